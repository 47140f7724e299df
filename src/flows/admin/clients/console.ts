import type { Context } from 'koa';
import { AppError } from '../../../http/errors.ts';
import type { MessageKey } from '../../../i18n/index.ts';
import { AUTH_METHODS, GRANT_TYPES, ID_TOKEN_ALGS } from '../../../oidc/clients.ts';
import { CLIENT_ID, type ConsoleKit } from '../console-kit.ts';
import { FieldError } from '../validation.ts';
import * as svc from './service.ts';

/** A JWK member only a private or symmetric key has: such a JWK Set is never kept for the page. */
const PRIVATE_JWK = /"(d|p|q|dp|dq|qi|k)"\s*:/;

/** The console's clients pages (mounted by ../console.ts in this order). */
export function clientsConsole(kit: ConsoleKit): void {
  const { adminDeps, router, page, requireAdmin, need, posted, form, actorOf } = kit;

  const lines = (s: string | undefined) =>
    (s ?? '')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);

  function clientFormValues(f: Record<string, string>) {
    return {
      clientId: (f.clientId ?? '').trim(),
      name: (f.name ?? '').trim(),
      redirectUris: lines(f.redirectUris),
      postLogoutRedirectUris: lines(f.postLogoutRedirectUris),
      grantTypes: GRANT_TYPES.filter((g) => f[`grant.${g}`] === 'on'),
      public: f.public === 'on',
      firstParty: f.firstParty === 'on',
      admin: f.admin === 'on',
      scope: (f.scope ?? '').trim(),
      ...clientSettingValues(f),
    };
  }

  /** The per-client settings of issue 11 as the form shows them (jwks as JSON text). */
  function clientSettingValues(f: Record<string, string>) {
    return {
      idTokenAlg: f.idTokenAlg ?? '',
      authMethod: f.authMethod ?? '',
      jwksUri: (f.jwksUri ?? '').trim(),
      jwksText: (f.jwksText ?? '').trim(),
      backchannelLogoutUri: (f.backchannelLogoutUri ?? '').trim(),
      backchannelLogoutSessionRequired: f.backchannelLogoutSessionRequired === 'on',
      frontchannelLogoutUri: (f.frontchannelLogoutUri ?? '').trim(),
      frontchannelLogoutSessionRequired: f.frontchannelLogoutSessionRequired === 'on',
      corsOrigins: lines(f.corsOrigins),
    };
  }

  /** The settings for the service: a JWK Set that is not JSON is reported on its field. */
  function clientSettingsBody(v: ReturnType<typeof clientSettingValues>, isPublic: boolean, update: boolean) {
    let jwks: unknown = null;
    if (v.jwksText) {
      try {
        jwks = JSON.parse(v.jwksText);
      } catch {
        throw new FieldError({ jwks: { key: 'admin.client.jwksInvalid' } });
      }
    }
    const body: Record<string, unknown> = {
      backchannelLogoutSessionRequired: v.backchannelLogoutSessionRequired,
      frontchannelLogoutSessionRequired: v.frontchannelLogoutSessionRequired,
      corsOrigins: v.corsOrigins,
    };
    if (v.idTokenAlg) body.idTokenAlg = v.idTokenAlg;
    if (!isPublic && v.authMethod && v.authMethod !== 'none') body.authMethod = v.authMethod;
    if (update) {
      body.jwks = jwks;
      body.jwksUri = v.jwksUri || null;
      body.backchannelLogoutUri = v.backchannelLogoutUri || null;
      body.frontchannelLogoutUri = v.frontchannelLogoutUri || null;
    } else {
      if (v.frontchannelLogoutUri) body.frontchannelLogoutUri = v.frontchannelLogoutUri;
      if (jwks) body.jwks = jwks;
      if (v.jwksUri) body.jwksUri = v.jwksUri;
      if (v.backchannelLogoutUri) body.backchannelLogoutUri = v.backchannelLogoutUri;
    }
    return body;
  }

  /** The new client's form as the service takes it (blank optional fields left out). */
  function newClientBody(v: ReturnType<typeof clientFormValues>) {
    const body: Record<string, unknown> = {
      clientId: v.clientId,
      redirectUris: v.redirectUris,
      postLogoutRedirectUris: v.postLogoutRedirectUris,
      grantTypes: v.grantTypes,
      public: v.public,
      firstParty: v.firstParty,
      admin: v.admin,
      ...clientSettingsBody(v, v.public, false),
    };
    if (v.name) body.name = v.name;
    if (v.scope) body.scope = v.scope;
    return body;
  }

  /** Field names of the service ("redirectUris.1") shown on the form's field ("redirectUris"). */
  const byField = (errors: Record<string, string>) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(errors)) out[k.split('.')[0]] ??= v;
    return out;
  };

  /**
   * What a refused form keeps for its page: the values typed (never a private key) and the messages;
   * the client's page, which has no summary of its own, shows a message about no field above it.
   */
  const refusedForm =
    (v: ReturnType<typeof clientFormValues>, summary: boolean) => (errors: Record<string, string>) => {
      const fields = byField(errors);
      return {
        values: { ...v, jwksText: PRIVATE_JWK.test(v.jwksText) ? '' : v.jwksText },
        errors: fields,
        ...(summary ? {} : { actionError: fields.body }),
      };
    };

  /** The one-time secret, shown on the answer to the post that made it (never in a URL or a flash). */
  const secretPage = (
    ctx: Context,
    r: { client: svc.ClientView; clientSecret: string | null },
    notice: MessageKey,
  ) =>
    page(ctx, 'client-secret', 'clients', {
      client: r.client,
      secret: r.clientSecret,
      notice: ctx.state.t(notice, { id: r.client.clientId }),
    });

  router.get('/clients', requireAdmin, need('clients.read'), async (ctx) => {
    // A refused post left its messages and what was typed here (post/redirect/get).
    const f = await kit.flash(ctx);
    page(
      ctx,
      'clients',
      'clients',
      {
        clients: await svc.listAllClients(adminDeps, actorOf(ctx)),
        grantTypes: GRANT_TYPES,
        idTokenAlgs: ID_TOKEN_ALGS,
        authMethods: AUTH_METHODS,
        values: {
          clientId: '',
          name: '',
          redirectUris: [],
          postLogoutRedirectUris: [],
          grantTypes: ['authorization_code', 'refresh_token'],
          public: false,
          firstParty: false,
          admin: false,
          scope: '',
          ...clientSettingValues({}),
        },
        notice: ctx.query.done === 'deleted' ? ctx.state.t('admin.client.deleted') : undefined,
        ...f?.data,
      },
      f?.status,
    );
  });

  router.post('/clients', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const v = clientFormValues(form(ctx));
    await kit.attempt(
      ctx,
      '/admin/clients',
      async () =>
        secretPage(
          ctx,
          await svc.createClient(adminDeps, actorOf(ctx), newClientBody(v)),
          'admin.client.created',
        ),
      refusedForm(v, true),
    );
  });

  const clientId = (ctx: Context) => {
    if (!CLIENT_ID.test(ctx.params.id))
      throw new AppError('client.not_found', 404, 'admin.error.clientNotFound');
    return ctx.params.id;
  };
  const clientPath = (id: string) => `/admin/clients/${encodeURIComponent(id)}`;

  router.get('/clients/:id', requireAdmin, need('clients.read'), async (ctx) => {
    const c = await svc.getClient(adminDeps, actorOf(ctx), clientId(ctx));
    const f = await kit.flash(ctx);
    page(
      ctx,
      'client',
      'clients',
      {
        client: c,
        grantTypes: GRANT_TYPES,
        values: {
          ...c,
          scope: c.scope ?? '',
          jwksUri: c.jwksUri ?? '',
          jwksText: c.jwks ? JSON.stringify(c.jwks) : '',
          backchannelLogoutUri: c.backchannelLogoutUri ?? '',
          frontchannelLogoutUri: c.frontchannelLogoutUri ?? '',
        },
        idTokenAlgs: ID_TOKEN_ALGS,
        authMethods: AUTH_METHODS,
        notice: ctx.query.done === 'saved' ? ctx.state.t('admin.client.saved') : undefined,
        ...f?.data,
      },
      f?.status,
    );
  });

  router.post('/clients/:id', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const id = clientId(ctx);
    const v = { ...clientFormValues(form(ctx)), clientId: id };
    await kit.attempt(
      ctx,
      clientPath(id),
      async () => {
        await svc.updateClient(adminDeps, actorOf(ctx), id, {
          name: v.name || undefined,
          redirectUris: v.redirectUris,
          postLogoutRedirectUris: v.postLogoutRedirectUris,
          grantTypes: v.grantTypes,
          firstParty: v.firstParty,
          admin: v.admin,
          scope: v.scope || null,
          ...clientSettingsBody(v, false, true),
        });
        ctx.redirect(`${clientPath(id)}?done=saved`);
      },
      refusedForm(v, false),
    );
  });

  router.post('/clients/:id/rotate', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const id = clientId(ctx);
    await kit.attempt(ctx, clientPath(id), async () =>
      secretPage(ctx, await svc.rotateClientSecret(adminDeps, actorOf(ctx), id), 'admin.client.rotated'),
    );
  });

  router.post('/clients/:id/delete', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const id = clientId(ctx);
    await kit.attempt(ctx, clientPath(id), async () => {
      await svc.deleteClient(adminDeps, actorOf(ctx), id);
      ctx.redirect('/admin/clients?done=deleted');
    });
  });
}

import type { Context } from 'koa';
import { AppError } from '../../../http/errors.ts';
import { AUTH_METHODS, GRANT_TYPES, ID_TOKEN_ALGS } from '../../../oidc/clients.ts';
import { CLIENT_ID, type ConsoleKit } from '../console-kit.ts';
import { FieldError } from '../validation.ts';
import * as svc from './service.ts';

/** The console's clients pages (mounted by ../console.ts in this order). */
export function clientsConsole(kit: ConsoleKit): void {
  const { adminDeps, router, page, requireAdmin, need, posted, form, actorOf, fieldsOf } = kit;

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

  /** Field names of the service ("redirectUris.1") shown on the form's field ("redirectUris"). */
  const byField = (errors: Record<string, string>) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(errors)) out[k.split('.')[0]] ??= v;
    return out;
  };

  router.get('/clients', requireAdmin, need('clients.read'), async (ctx) => {
    page(ctx, 'clients', 'clients', {
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
    });
  });

  router.post('/clients', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const v = clientFormValues(form(ctx));
    try {
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
      const r = await svc.createClient(adminDeps, actorOf(ctx), body);
      page(ctx, 'client-secret', 'clients', {
        client: r.client,
        secret: r.clientSecret,
        notice: ctx.state.t('admin.client.created', { id: r.client.clientId }),
      });
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      page(
        ctx,
        'clients',
        'clients',
        {
          clients: await svc.listAllClients(adminDeps, actorOf(ctx)),
          grantTypes: GRANT_TYPES,
          idTokenAlgs: ID_TOKEN_ALGS,
          authMethods: AUTH_METHODS,
          values: v,
          errors: byField(fieldsOf(ctx, err)),
        },
        err.status,
      );
    }
  });

  const clientId = (ctx: Context) => {
    if (!CLIENT_ID.test(ctx.params.id))
      throw new AppError('client.not_found', 404, 'admin.error.clientNotFound');
    return ctx.params.id;
  };

  async function clientPage(ctx: Context, extra: Record<string, unknown> = {}, status = 200) {
    const c = await svc.getClient(adminDeps, actorOf(ctx), clientId(ctx));
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
        ...extra,
      },
      status,
    );
  }

  router.get('/clients/:id', requireAdmin, need('clients.read'), async (ctx) => {
    await clientPage(ctx);
  });

  router.post('/clients/:id', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const id = clientId(ctx);
    const v = clientFormValues(form(ctx));
    try {
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
      ctx.redirect(`/admin/clients/${encodeURIComponent(id)}?done=saved`);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      const errors = byField(fieldsOf(ctx, err));
      await clientPage(ctx, { values: { ...v, clientId: id }, errors, actionError: errors.body }, err.status);
    }
  });

  router.post('/clients/:id/rotate', posted, requireAdmin, need('clients.write'), async (ctx) => {
    try {
      const r = await svc.rotateClientSecret(adminDeps, actorOf(ctx), clientId(ctx));
      page(ctx, 'client-secret', 'clients', {
        client: r.client,
        secret: r.clientSecret,
        notice: ctx.state.t('admin.client.rotated', { id: r.client.clientId }),
      });
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await clientPage(ctx, { actionError: Object.values(fieldsOf(ctx, err)).join(' ') }, err.status);
    }
  });

  router.post('/clients/:id/delete', posted, requireAdmin, need('clients.write'), async (ctx) => {
    try {
      await svc.deleteClient(adminDeps, actorOf(ctx), clientId(ctx));
      ctx.redirect('/admin/clients?done=deleted');
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await clientPage(ctx, { actionError: Object.values(fieldsOf(ctx, err)).join(' ') }, err.status);
    }
  });
}

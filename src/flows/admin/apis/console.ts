import type { Context } from 'koa';
import { AppError } from '../../../http/errors.ts';
import type { ConsoleKit } from '../console-kit.ts';
import { FieldError } from '../validation.ts';
import * as svc from './service.ts';

/** Space- or comma-separated scopes as typed in a form field. */
const scopesOf = (v: string | undefined) =>
  (v ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The console's APIs page (mounted by ../console.ts): every API with its grants, and the forms to
 * register one, grant an application scopes on it, withdraw a grant and delete an API. An API's
 * identifier is a URI, so it travels in a hidden field, never in the path.
 */
export function apisConsole(kit: ConsoleKit): void {
  const { adminDeps, router, page, requireAdmin, need, posted, form, actorOf, flash, attempt } = kit;
  const EMPTY = { identifier: '', name: '', scopes: '', tokenFormat: 'jwt', tokenTtlSeconds: '600' };

  async function apisPage(ctx: Context, extra: Record<string, unknown> = {}, status = 200) {
    page(
      ctx,
      'apis',
      'apis',
      {
        apis: await svc.listAllApis(adminDeps, actorOf(ctx)),
        values: EMPTY,
        grant: { api: '', clientId: '', scopes: '' },
        errors: {},
        grantErrors: {},
        ...extra,
      },
      status,
    );
  }

  router.get('/apis', requireAdmin, need('clients.read'), async (ctx) => {
    const f = await flash(ctx);
    const done = ctx.query.done;
    await apisPage(
      ctx,
      {
        notice:
          done === 'created' || done === 'granted' || done === 'withdrawn' || done === 'deleted'
            ? ctx.state.t(`admin.apis.done.${done}`)
            : undefined,
        ...f?.data,
      },
      f?.status,
    );
  });

  router.post('/apis', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const f = form(ctx);
    const values = {
      identifier: (f.identifier ?? '').trim().slice(0, 300),
      name: (f.name ?? '').slice(0, 200),
      scopes: (f.scopes ?? '').slice(0, 2000),
      tokenFormat: f.tokenFormat === 'opaque' ? 'opaque' : 'jwt',
      tokenTtlSeconds: (f.tokenTtlSeconds ?? '').trim().slice(0, 10),
    };
    await attempt(
      ctx,
      '/admin/apis',
      async () => {
        await svc.createApi(adminDeps, actorOf(ctx), {
          identifier: values.identifier,
          name: values.name,
          scopes: scopesOf(values.scopes),
          tokenFormat: values.tokenFormat,
          // Not a whole number: the service's range check answers it.
          tokenTtlSeconds: /^\d{1,7}$/.test(values.tokenTtlSeconds) ? Number(values.tokenTtlSeconds) : -1,
        });
        ctx.redirect('/admin/apis?done=created');
      },
      (errors) => ({ values, errors }),
    );
  });

  router.post('/apis/grant', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const f = form(ctx);
    const grant = {
      api: (f.api ?? '').slice(0, 300),
      clientId: (f.clientId ?? '').trim().slice(0, 200),
      scopes: (f.scopes ?? '').slice(0, 2000),
    };
    await attempt(
      ctx,
      '/admin/apis',
      async () => {
        try {
          await svc.grantApi(adminDeps, actorOf(ctx), grant.api, grant.clientId, {
            scopes: scopesOf(grant.scopes),
          });
        } catch (err) {
          // An unknown application is a message beside its field, not a page of its own.
          if (err instanceof AppError && err.code === 'client.not_found')
            throw new FieldError({ clientId: { key: 'admin.error.clientNotFound' } });
          throw err;
        }
        ctx.redirect('/admin/apis?done=granted');
      },
      (grantErrors) => ({ grant, grantErrors }),
    );
  });

  router.post('/apis/withdraw', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const f = form(ctx);
    await attempt(ctx, '/admin/apis', async () => {
      await svc.revokeApiGrant(
        adminDeps,
        actorOf(ctx),
        (f.api ?? '').slice(0, 300),
        (f.clientId ?? '').slice(0, 200),
      );
      ctx.redirect('/admin/apis?done=withdrawn');
    });
  });

  router.post('/apis/delete', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const f = form(ctx);
    await attempt(ctx, '/admin/apis', async () => {
      await svc.deleteApi(adminDeps, actorOf(ctx), (f.api ?? '').slice(0, 300));
      ctx.redirect('/admin/apis?done=deleted');
    });
  });
}

import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { AppDeps } from '../../app/deps.ts';
import { readJson } from '../../http/body.ts';
import { AppError } from '../../http/errors.ts';
import { type AdminApiDeps, API_PREFIX, type ApiRoute, RAW } from './api-route.ts';
import { auditApi } from './audit/api.ts';
import { authenticateBearer, TokenError } from './auth.ts';
import { clientsApi } from './clients/api.ts';
import { groupsApi } from './groups/api.ts';
import { listQueuedNotices, noticeQuerySchema, parseNoticeQuery } from './notices.ts';
import { apiDocument } from './openapi.ts';
import { policyApi } from './policy/api.ts';
import { reportsApi } from './reports/api.ts';
import { usersApi } from './users/api.ts';
import { FieldError, translateFields } from './validation.ts';

export type { ApiRoute } from './api-route.ts';

/** Every operation of the admin API; the router and the OpenAPI document are both made from it. */
export function apiRoutes(deps: AppDeps): ApiRoute[] {
  const d: AdminApiDeps = deps;
  return [
    {
      method: 'get',
      path: '/me',
      operationId: 'whoAmI',
      summary: 'The caller: who the token stands for and what it may do',
      tag: 'session',
      permission: null,
      response: { status: 200, schema: 'Caller' },
      handler: async ({ actor }) => ({
        id: actor.id,
        kind: actor.kind,
        label: actor.label,
        permissions: [...actor.permissions],
      }),
    },
    ...policyApi(d),
    ...usersApi(d),
    ...groupsApi(d),
    ...clientsApi(d),
    ...auditApi(d),
    {
      method: 'get',
      path: '/notices',
      operationId: 'listNotices',
      summary:
        'The notice queue: how many notices wait or finally failed, and the failed ones (or `status=pending`)',
      tag: 'notices',
      permission: 'audit.read',
      query: noticeQuerySchema,
      response: { status: 200, schema: 'NoticeList' },
      handler: ({ ctx, actor }) => listQueuedNotices(d, actor, parseNoticeQuery(ctx.query)),
    },
    ...reportsApi(d),
  ];
}

const toKoaPath = (p: string) => p.replace(/\{(\w+)\}/g, ':$1');

/** Errors as `{error, error_description}` (plus `fields` for a validation error) in the caller's language. */
async function apiErrors(ctx: Context, next: Next) {
  ctx.set('Cache-Control', 'no-store');
  try {
    await next();
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    ctx.status = err.status;
    if (err instanceof TokenError) ctx.set('WWW-Authenticate', err.wwwAuthenticate);
    const body: Record<string, unknown> = {
      error: err.code,
      error_description: ctx.state.t(err.messageKey, err.params),
    };
    if (err instanceof FieldError) body.fields = translateFields(err.fields, ctx.state.t);
    ctx.body = body;
  }
}

export function adminApiRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: API_PREFIX });
  const routes = apiRoutes(deps);
  router.use(apiErrors);
  router.get('/openapi.json', (ctx) => {
    ctx.body = apiDocument(routes, deps.config.issuer);
  });
  for (const r of routes) {
    router[r.method](toKoaPath(r.path), async (ctx) => {
      const actor = await authenticateBearer(deps, ctx);
      if (r.permission && !actor.permissions.has(r.permission)) {
        throw new TokenError(403, 'forbidden', 'not allowed');
      }
      let body: unknown;
      if (r.body) {
        const raw = await readJson(ctx);
        body = raw;
      }
      const out = await r.handler({ ctx, actor, body, params: ctx.params as Record<string, string> });
      if (out === RAW) return;
      ctx.status = r.response.status;
      if (r.response.status !== 204) ctx.body = out ?? {};
    });
  }
  router.all('/{*rest}', () => {
    throw new AppError('not_found', 404, 'admin.error.notFound');
  });
  return router;
}

import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { AppDeps } from '../../app/deps.ts';
import { readJson } from '../../http/body.ts';
import { AppError } from '../../http/errors.ts';
import { type AdminApiDeps, API_PREFIX, type ApiRoute, RAW, resourceApi } from './api-route.ts';
import { apisApi } from './apis/api.ts';
import { auditApi } from './audit/api.ts';
import { authenticateBearer, TokenError } from './auth.ts';
import { clientsApi } from './clients/api.ts';
import { groupsApi } from './groups/api.ts';
import { listQueuedNotices, noticeQuerySchema, parseNoticeQuery } from './notices.ts';
import { apiDocument } from './openapi.ts';
import type { Actor } from './permissions.ts';
import { policyApi } from './policy/api.ts';
import { reportsApi } from './reports/api.ts';
import { usersApi } from './users/api.ts';
import { FieldError, translateFields } from './validation.ts';

export type { ApiRoute } from './api-route.ts';

const session = resourceApi('session', {
  whoAmI: 'The caller: who the token stands for and what it may do',
});
const notices = resourceApi('notices', {
  listNotices:
    'The notice queue: how many notices wait or finally failed, and the failed ones (or `status=pending`)',
});

const caller = async (_: AdminApiDeps, actor: Actor) => ({
  id: actor.id,
  kind: actor.kind,
  label: actor.label,
  permissions: [...actor.permissions],
});

/** Every operation of the admin API; the router and the OpenAPI document are both made from it. */
export const API_ROUTES: ApiRoute[] = [
  session.get('/me', 'whoAmI', 'Caller', caller, { permission: null }),
  ...policyApi,
  ...usersApi,
  ...groupsApi,
  ...clientsApi,
  ...apisApi,
  ...auditApi,
  notices.get('/notices', 'listNotices', 'NoticeList', listQueuedNotices, {
    permission: 'audit.read',
    query: noticeQuerySchema,
    parse: parseNoticeQuery,
  }),
  ...reportsApi,
];

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
  const routes = API_ROUTES;
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
      const params = ctx.params as Record<string, string>;
      const out = await r.handler({ deps, ctx, actor, body, params });
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

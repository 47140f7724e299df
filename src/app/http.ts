import crypto from 'node:crypto';
import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import { adminApiRoutes } from '../flows/admin/api.ts';
import { ADMIN_CSS } from '../flows/admin/assets.ts';
import { adminConsoleRoutes } from '../flows/admin/console.ts';
import { scimRoutes } from '../flows/admin/scim/routes.ts';
import { demoRoutes } from '../flows/demo/routes.ts';
import { devRoutes } from '../flows/dev/routes.ts';
import { inviteRoutes } from '../flows/invite/routes.ts';
import { resetRoutes } from '../flows/reset/routes.ts';
import { portalRoutes } from '../flows/security-info/routes.ts';
import { signInRoutes } from '../flows/signin/routes.ts';
import { serveAssets } from '../http/assets.ts';
import { refuseControlCharacters } from '../http/body.ts';
import { clientIp, metricsAccess } from '../http/client.ts';
import { CSRF_COOKIE } from '../http/csrf.ts';
import { AppError } from '../http/errors.ts';
import { contentSecurityPolicy, securityHeaders } from '../http/headers.ts';
import { traceIdOf } from '../http/observe.ts';
import type { Tracing } from '../http/tracing.ts';
import { render } from '../http/views.ts';
import { isLocale, negotiateLocale, translator } from '../i18n/index.ts';
import type { InternalClient } from '../oidc/internal-client.ts';
import type { AppDeps } from './deps.ts';

/*
 * The HTTP side of the app: the middleware in the order it runs, then the routes of every flow, then
 * the OpenID Provider for everything else. The order is part of the security design (the client IP
 * before anything logs it, headers before any body, errors around every route).
 */

const ROUTE_LABELS: Array<[RegExp, string]> = [
  [/^\/\.well-known\/openid-configuration$/, 'discovery'],
  [/^\/jwks$/, 'jwks'],
  [/^\/auth(\/[^/]+)?$/, 'authorization'],
  [/^\/token$/, 'token'],
  [/^\/token\/introspection$/, 'introspection'],
  [/^\/token\/revocation$/, 'revocation'],
  [/^\/me$/, 'userinfo'],
  [/^\/request$/, 'par'],
  [/^\/session\/end(\/.*)?$/, 'end_session'],
];

function routeLabel(ctx: Context): string {
  if (ctx._matchedRoute) return String(ctx._matchedRoute);
  for (const [re, label] of ROUTE_LABELS) if (re.test(ctx.path)) return label;
  return 'other';
}

/** What the HTTP side needs from the container besides the deps. */
export interface HttpParts {
  /** The first-party client of the security-info portal (/my/). */
  portalRp: InternalClient;
  /** The demo relying party; undefined in production. */
  demoRp: InternalClient | undefined;
  /** The provider's request handler (replaced when the signing keys change). */
  providerCallback(): (req: Context['req'], res: Context['res']) => Promise<void> | void;
  /** Whether the instance is shutting down (responses then ask clients to reconnect). */
  draining(): boolean;
  /** OpenTelemetry request spans, when tracing is on. */
  tracing: Tracing | undefined;
  readiness(): Promise<{ ok: boolean; status: string; pendingMigrations?: number }>;
  /** The text /metrics serves. */
  metricsText(): Promise<string>;
}

/** Request id, access log and metrics. Never logs a query string: it can carry codes and tokens. */
function observeRequests(deps: AppDeps, draining: () => boolean, tracing: Tracing | undefined) {
  const { config, metrics, logger } = deps;
  return async (ctx: Context, next: Next) => {
    const started = process.hrtime.bigint();
    // The client IP as TRUST_PROXY defines it (never the leftmost X-Forwarded-For a client can forge).
    ctx.request.ip = clientIp(ctx.req.socket.remoteAddress, ctx.req.headers, config.proxy);
    const incoming = ctx.get('x-request-id');
    const requestId = /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const span = tracing?.startRequest(ctx.method, ctx.path, ctx.get('traceparent') || undefined);
    const traceId = span?.traceId ?? traceIdOf(ctx.get('traceparent'));
    ctx.state.traceId = traceId;
    // While draining, every response asks the client to reconnect (to another replica).
    if (draining()) ctx.set('Connection', 'close');
    try {
      await (span ? span.run(next) : next());
    } finally {
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      const route = routeLabel(ctx);
      span?.end(route, status);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequests.inc({ route, method: ctx.method, status: String(status) });
      metrics.httpDuration.observe({ route }, seconds);
      logger.info(
        {
          requestId,
          traceId,
          method: ctx.method,
          path: ctx.path,
          route,
          status,
          ms: Math.round(seconds * 1000),
        },
        'request',
      );
    }
  };
}

/** Locale, translator and request facts for every page, and the CSRF token made on first use. */
function requestFacts(deps: AppDeps) {
  const { config, box, secureCookies } = deps;
  // Messages the registered methods bring along (a method kept outside src/).
  const extraMessages = deps.methods.messages();
  return async (ctx: Context, next: Next) => {
    const locale = negotiateLocale(
      {
        uiLocales: typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : null,
        cookie: ctx.cookies.get('tobira.lang') ?? null,
        acceptLanguage: ctx.get('accept-language'),
      },
      config.defaultLocale,
    );
    ctx.state.locale = locale;
    ctx.state.t = translator(locale, extraMessages);
    ctx.state.extraMessages = extraMessages;
    ctx.state.dev = !config.production;
    ctx.state.meta = { ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512), locale };
    // The CSRF token is made on first use, so responses that render no form set no cookie.
    let csrfToken: string | undefined;
    Object.defineProperty(ctx.state, 'csrf', {
      configurable: true,
      enumerable: true,
      get() {
        if (csrfToken) return csrfToken;
        let seed = ctx.cookies.get(CSRF_COOKIE);
        if (!seed || !/^[A-Za-z0-9_-]{32}$/.test(seed)) {
          seed = crypto.randomBytes(24).toString('base64url');
          ctx.cookies.set(CSRF_COOKIE, seed, {
            httpOnly: true,
            sameSite: 'lax',
            secure: secureCookies,
            path: '/',
          });
        }
        csrfToken = box.hmac('csrf', seed);
        return csrfToken;
      },
    });
    await next();
  };
}

/** Errors: expected ones render in the user's language; anything else is logged and shown as a plain 500. */
function renderErrors(deps: AppDeps) {
  const { logger, views } = deps;
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      const known = err instanceof AppError;
      const status = known ? err.status : 500;
      if (!known)
        logger.error({ err, requestId: ctx.state.requestId, traceId: ctx.state.traceId }, 'unhandled error');
      const message = known ? ctx.state.t(err.messageKey, err.params) : ctx.state.t('error.http.500');
      if (ctx.path.startsWith('/api/')) {
        ctx.status = status;
        ctx.body = { error: known ? err.code : 'server_error', error_description: message };
        return;
      }
      if (known && err.code === NOT_FOUND) return render(ctx, views, 'not-found', {}, 404);
      render(ctx, views, 'error', { message, requestId: ctx.state.requestId }, status);
    }
  };
}

/** The code of an address nothing serves: Tobira's own 404 page (JSON under /api/). */
const NOT_FOUND = 'not_found';

/**
 * The provider's addresses (oidc-provider's default `routes`, which provider.ts keeps, and discovery):
 * everything else that no route of ours served is Tobira's own 404, not the provider's bare one.
 */
const PROVIDER_PATHS = [
  '/.well-known',
  '/auth',
  '/token',
  '/me',
  '/jwks',
  '/session/end',
  '/request',
  '/reg',
  '/device',
  '/backchannel',
  '/challenge',
  '/credential',
];
export const isProviderPath = (path: string) =>
  PROVIDER_PATHS.some((p) => path === p || path.startsWith(`${p}/`));

/** Home, health, readiness, metrics and the language switch. */
function baseRoutes(deps: AppDeps, parts: HttpParts): Router {
  const { config, views, metrics, secureCookies } = deps;
  const base = new Router();
  base.get('/', (ctx) => render(ctx, views, 'home'));
  base.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  base.get('/readyz', async (ctx) => {
    const { ok, ...body } = await parts.readiness();
    ctx.status = ok ? 200 : 503;
    ctx.body = body;
  });
  base.get('/metrics', metricsAccess(config.metricsToken, config.proxy), async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await parts.metricsText();
  });
  base.get('/lang/:locale', (ctx) => {
    const l = ctx.params.locale;
    if (!isLocale(l)) throw new AppError('locale.unknown', 404, 'error.http.404');
    ctx.cookies.set('tobira.lang', l, {
      httpOnly: true,
      sameSite: 'lax',
      secure: secureCookies,
      path: '/',
      maxAge: 365 * 24 * 3600_000,
    });
    const ret = typeof ctx.query.return === 'string' ? ctx.query.return : '/';
    ctx.redirect(ret.startsWith('/') && !ret.startsWith('//') && !ret.startsWith('/\\') ? ret : '/');
  });
  return base;
}

/** The brand stylesheet and the console's own. */
function styleRoutes(deps: AppDeps): Router {
  const router = deps.branding.routes();
  router.get('/assets/admin.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = ADMIN_CSS;
  });
  return router;
}

/** Builds the Koa application: middleware in order, then every flow's routes, then the provider. */
export async function createHttp(deps: AppDeps, parts: HttpParts): Promise<Koa> {
  const { config } = deps;
  const app = new Koa({ proxy: config.trustProxy });
  app.silent = true;

  app.use(observeRequests(deps, parts.draining, parts.tracing));
  app.use(securityHeaders(deps.secureCookies));
  app.use(requestFacts(deps));
  app.use(renderErrors(deps));
  app.use(refuseControlCharacters());

  const base = baseRoutes(deps, parts);
  app.use(serveAssets());
  app.use(deps.branding.middleware());
  app.use(base.routes());
  // A method no route implements is a 405 in the user's language, not the router's default 501.
  const notAllowed = () => new AppError('method.not_allowed', 405, 'error.http.405');
  app.use(base.allowedMethods({ throw: true, notImplemented: notAllowed, methodNotAllowed: notAllowed }));
  app.use(signInRoutes(deps).routes());
  app.use(portalRoutes(deps, parts.portalRp).routes());
  app.use(resetRoutes(deps).routes());
  app.use(inviteRoutes(deps).routes());
  if (parts.demoRp) app.use(demoRoutes(deps, parts.demoRp).routes());
  if (!config.production) app.use(devRoutes(deps).routes());
  app.use(styleRoutes(deps).routes());
  app.use(adminApiRoutes(deps).routes());
  app.use(scimRoutes(deps).routes());
  app.use((await adminConsoleRoutes(deps)).routes());

  // Everything else is the OpenID Provider's, or nobody's.
  app.use(async (ctx: Context) => {
    if (!isProviderPath(ctx.path)) throw new AppError(NOT_FOUND, 404, 'error.http.404');
    // A configured logo on another origin: the provider's pages (logout) show it too.
    if (ctx.state.imgOrigin) ctx.set('Content-Security-Policy', contentSecurityPolicy(ctx.state.imgOrigin));
    ctx.respond = false;
    await parts.providerCallback()(ctx.req, ctx.res);
  });
  return app;
}

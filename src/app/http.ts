import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
import { contentSecurityPolicy, securityHeaderList, securityHeaders } from '../http/headers.ts';
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

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Request id, trace span, access log and metrics of one request, on the bare request and response:
 * the Koa pipeline (observeRequests) and the provider's direct path (httpHandler) share it. Never logs
 * a query string: it can carry codes and tokens.
 */
function requestObserver(deps: AppDeps, draining: () => boolean, tracing: Tracing | undefined) {
  const { metrics, logger } = deps;
  return (req: IncomingMessage, res: ServerResponse, method: string, path: string) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : '';
    const span = tracing?.startRequest(method, path, traceparent || undefined);
    const traceId = span?.traceId ?? traceIdOf(traceparent);
    // While draining, every response asks the client to reconnect (to another replica).
    if (draining()) res.setHeader('Connection', 'close');
    return {
      requestId,
      traceId,
      run: (fn: () => Promise<void>) => (span ? span.run(fn) : fn()),
      end(route: string, status: number) {
        span?.end(route, status);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.httpRequests.inc({ route, method, status: String(status) });
        metrics.httpDuration.observe({ route }, seconds);
        logger.info(
          { requestId, traceId, method, path, route, status, ms: Math.round(seconds * 1000) },
          'request',
        );
      },
    };
  };
}

type Observer = ReturnType<typeof requestObserver>;

/** The Koa side of requestObserver, with the client IP as TRUST_PROXY defines it. */
function observeRequests(deps: AppDeps, observe: Observer) {
  const { config } = deps;
  return async (ctx: Context, next: Next) => {
    // The client IP as TRUST_PROXY defines it (never the leftmost X-Forwarded-For a client can forge).
    ctx.request.ip = clientIp(ctx.req.socket.remoteAddress, ctx.req.headers, config.proxy);
    const o = observe(ctx.req, ctx.res, ctx.method, ctx.path);
    ctx.state.requestId = o.requestId;
    ctx.state.traceId = o.traceId;
    try {
      await o.run(next);
    } finally {
      o.end(routeLabel(ctx), ctx.respond === false ? ctx.res.statusCode : ctx.status);
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
export async function createHttp(
  deps: AppDeps,
  parts: HttpParts,
): Promise<{ koa: Koa; handler: (req: IncomingMessage, res: ServerResponse) => void }> {
  const { config } = deps;
  const app = new Koa({ proxy: config.trustProxy });
  app.silent = true;
  const observe = requestObserver(deps, parts.draining, parts.tracing);

  app.use(observeRequests(deps, observe));
  app.use(securityHeaders(deps.secureCookies));
  app.use(requestFacts(deps));
  app.use(renderErrors(deps));
  app.use(refuseControlCharacters());

  /** Hands the request to the OpenID Provider, with a configured logo's origin in the CSP of its pages. */
  const toProvider = async (ctx: Context, imgOrigin: string | undefined) => {
    // A configured logo on another origin: the provider's pages (logout) show it too.
    if (imgOrigin) ctx.set('Content-Security-Policy', contentSecurityPolicy(imgOrigin));
    ctx.respond = false;
    await parts.providerCallback()(ctx.req, ctx.res);
  };
  // The provider's addresses (token endpoint, discovery, keys, authorization, logout) go to it at
  // once: no route of ours lies under them, so the assets, the routers and the page branding below
  // would only look at the path and pass (a token request went through a dozen routers).
  app.use(async (ctx: Context, next: Next) => {
    if (!isProviderPath(ctx.path)) return next();
    await toProvider(ctx, ctx.method === 'OPTIONS' ? undefined : await deps.branding.imgOrigin());
  });

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
    await toProvider(ctx, ctx.state.imgOrigin);
  });
  return { koa: app, handler: httpHandler(deps, parts, app, observe) };
}

/**
 * The provider's JSON endpoints, as an exact method and address (no query string), with their route
 * labels. Tobira's pipeline has nothing for them but the request's observation and the fixed
 * headers: no page, no form, no locale, no query to check for control characters, no logo in the CSP.
 * So they skip it, and with it one Koa context of two (the provider is a Koa application of its own).
 * Anything else, including these addresses with a query string, takes the pipeline.
 */
const DIRECT_PROVIDER = new Map([
  ['POST /token', 'token'],
  ['POST /token/introspection', 'introspection'],
  ['POST /token/revocation', 'revocation'],
  ['GET /jwks', 'jwks'],
  ['GET /.well-known/openid-configuration', 'discovery'],
]);

/** The server's request handler: the provider's JSON endpoints directly, everything else through Koa. */
function httpHandler(deps: AppDeps, parts: HttpParts, app: Koa, observe: Observer) {
  const viaKoa = app.callback();
  const headers = securityHeaderList(deps.secureCookies);
  const direct = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    route: string,
  ) => {
    const o = observe(req, res, method, path);
    for (const [name, value] of headers) res.setHeader(name, value);
    try {
      await o.run(async () => {
        await parts.providerCallback()(req, res);
      });
    } catch (err) {
      // The provider answers its own errors; this is a fault of its handler, answered as Koa would.
      deps.logger.error({ err, requestId: o.requestId, traceId: o.traceId }, 'unhandled error');
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      }
      if (!res.writableEnded) res.end('Internal Server Error');
    } finally {
      o.end(route, res.statusCode);
    }
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? '';
    const path = req.url ?? '';
    const route = DIRECT_PROVIDER.get(`${method} ${path}`);
    if (route === undefined) return viaKoa(req, res);
    void direct(req, res, method, path, route);
  };
}

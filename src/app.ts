import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import type Provider from 'oidc-provider';
import { BackgroundRunner } from './background.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Config, Locale } from './config.ts';
import type { Db } from './db/knex.ts';
import { pendingMigrations } from './db/migrate.ts';
import { CHANNELS, createDelivery, type Delivery } from './delivery/index.ts';
import { adminApiRoutes } from './flows/admin/api.ts';
import { brandingFor } from './flows/admin/branding.ts';
import { adminConsoleRoutes } from './flows/admin/console.ts';
import { sweepAuditRetention } from './flows/admin/service.ts';
import { DEMO_CLIENT_ID, demoRoutes } from './flows/demo/routes.ts';
import { devRoutes } from './flows/dev/routes.ts';
import { inviteRoutes } from './flows/invite/routes.ts';
import {
  type DeliveryRun,
  deliverNotices,
  notifyAdminsOfAdminReset,
  notifyPasswordChanged,
  notifyPasswordReset,
  notifySecondFactorLocked,
  notifySecurityInfoChanged,
  requestHelpdeskContact,
} from './flows/notices.ts';
import { resetRoutes } from './flows/reset/routes.ts';
import { recordAbandoned } from './flows/reset/service.ts';
import { PORTAL_CLIENT_ID, portalRoutes } from './flows/security-info/routes.ts';
import { signInRoutes } from './flows/signin/routes.ts';
import type { RequestMeta } from './flows/signin/service.ts';
import { serveAssets } from './http/assets.ts';
import { refuseControlCharacters } from './http/body.ts';
import { clientIp, metricsAccess } from './http/client.ts';
import { CSRF_COOKIE } from './http/csrf.ts';
import { AppError } from './http/errors.ts';
import { securityHeaders } from './http/headers.ts';
import { createMetrics, type Metrics, registerGauges } from './http/metrics.ts';
import { instrumentDelivery, metricsFromAudit, traceIdOf } from './http/observe.ts';
import { createViews, render, type Views } from './http/views.ts';
import { isLocale, negotiateLocale, type Translate, translator } from './i18n/index.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMethodRegistry, type Passkeys, passkeys } from './methods/index.ts';
import type { MethodRegistry } from './methods/registry.ts';
import type { MethodContext } from './methods/types.ts';
import { BackchannelDelivery } from './oidc/backchannel.ts';
import { ClientCache, ensureBuiltinClient } from './oidc/clients.ts';
import { InternalClient } from './oidc/internal-client.ts';
import { ensureKeys, type KeySet, loadKeySet, rotateKeys } from './oidc/keys.ts';
import { createProvider } from './oidc/provider.ts';
import { type Policy, policyFromSettings } from './policy/settings.ts';
import { createPow, type Pow } from './security/pow.ts';
import { phonePaused } from './security/rate-limits.ts';
import type { SecretBox } from './security/secrets.ts';
import { observeAudit } from './store/audit.ts';
import { sweepChallenges } from './store/challenges.ts';
import { sweepCounters } from './store/counters.ts';
import { listCredentials } from './store/credentials.ts';
import { noticeQueueDepth, sweepNotices } from './store/notice-queue.ts';
import { sweepExpired } from './store/oidc.ts';
import { sweepOutbox } from './store/outbox.ts';
import { sweepSessions } from './store/sessions.ts';
import { readSettings } from './store/settings.ts';
import type { User } from './store/users.ts';
import { listUsersWithRole } from './store/users.ts';

export interface AppDeps {
  config: Config;
  db: Db;
  box: SecretBox;
  clock: Clock;
  logger: Logger;
  views: Views;
  metrics: Metrics;
  clients: ClientCache;
  provider(): Provider;
  keySet(): KeySet;
  issuerOrigin: string;
  secureCookies: boolean;
  localUrl(): string;
  methods: MethodRegistry;
  /** Passwordless sign-in; undefined when no method offers it. */
  passkeys: Passkeys | undefined;
  /** The administrator policy, read per use so that a change takes effect at once on every instance. */
  policy(): Promise<Policy>;
  methodContext(policy: Policy, request?: { ip: string; locale: Locale }): MethodContext;
  translatorFor(user: { locale: string | null }): Translate;
  notices: Notices;
  delivery: Delivery;
  /** The proof-of-work check in front of the reset flow. */
  pow: Pow;
  /** Back-channel logout delivery (background, retried, audited). */
  backchannel: BackchannelDelivery;
}

/**
 * The notices flows send. Each only queues (src/flows/notices.ts): the background worker sends, with
 * retries, so a request never waits for mail and a mail outage loses nothing.
 */
export interface Notices {
  securityInfoChanged(
    user: User,
    change: 'added' | 'removed' | 'default_changed',
    label: string,
    meta: RequestMeta,
  ): Promise<boolean>;
  passwordChanged(user: User, meta: RequestMeta): Promise<boolean>;
  /** After a reset: every address the user registered (profile and alternate email). */
  passwordReset(user: User, meta: RequestMeta, first?: boolean): Promise<number>;
  /** After an administrator's reset: the other administrators. */
  adminPasswordReset(user: User, meta: RequestMeta): Promise<number>;
  /**
   * "Contact an administrator" for the user ID as typed, known or not: the same work either way; the
   * worker finds the account and its recipients (the address the policy names, the helpdesk, else
   * the administrators).
   */
  helpdesk(login: string, meta: RequestMeta): Promise<void>;
  /** Too many failed second-factor attempts locked signing in until `until`. */
  secondFactorLocked(user: User, until: Date, meta: RequestMeta): Promise<boolean>;
}

export interface CreateAppOptions {
  config: Config;
  db: Db;
  box: SecretBox;
  clock?: Clock;
  logger?: Logger;
  /** Start the background sweeper and key poller (off in most tests, which call them directly). */
  background?: boolean;
  /** Message delivery; by default built from the configuration (unconfigured channels go to the outbox). */
  delivery?: Delivery;
}

export interface TobiraApp {
  deps: AppDeps;
  koa: Koa;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  setLocalUrl(url: string): void;
  /** Reloads keys when another instance rotated them; returns whether anything changed. */
  syncKeys(): Promise<boolean>;
  rotateKeys(): Promise<string[]>;
  sweep(): Promise<number>;
  /** Sends the due notices of the queue (the background worker runs this; tests call it directly). */
  deliverNotices(): Promise<DeliveryRun>;
  /** Periodic jobs (sweep, key sync; others register here); started only with `background`. */
  background: BackgroundRunner;
  /** SIGTERM's first step: /readyz answers 503 and every response asks the client to close its connection. */
  beginShutdown(): void;
  readonly shuttingDown: boolean;
  /** Where /metrics gets its text (a WORKERS cluster asks the primary for the aggregate). */
  setMetricsSource(source: () => Promise<string>): void;
  /** 200 or 503 with the reason, as /readyz answers. */
  readiness(): Promise<{ ok: boolean; status: string; pendingMigrations?: number }>;
  close(): Promise<void>;
}

const KEY_POLL_MS = 10_000;
const SWEEP_MS = 60_000;
const NOTICE_POLL_MS = 5_000;
/** Sent notices are kept a day (for support questions), failed ones 30 days, then swept. */
const NOTICE_SENT_KEEP_MS = 24 * 3600_000;
const NOTICE_FAILED_KEEP_MS = 30 * 24 * 3600_000;

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

export async function createApp(opts: CreateAppOptions): Promise<TobiraApp> {
  const { config, db, box } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const views = createViews(config.production);
  const metrics = createMetrics({ noticeQueueDepth: () => noticeQueueDepth(db) });
  const clients = new ClientCache(db, box);
  const issuerOrigin = new URL(config.issuer).origin;
  const secureCookies = config.issuer.startsWith('https:');
  let localUrl = `http://127.0.0.1:${config.port}`;

  await ensureKeys(db, box, clock.now());
  let keySet = await loadKeySet(db, box, clock.now());

  const methods = createMethodRegistry();
  const rpId = new URL(config.issuer).hostname;
  const translatorFor = (user: { locale: string | null }) =>
    translator(isLocale(user.locale) ? user.locale : config.defaultLocale);
  const deps: AppDeps = {
    methods,
    passkeys: methods.all().some((m) => m.passwordless) ? passkeys : undefined,
    policy: async () => policyFromSettings(await readSettings(db)),
    methodContext: (policy, request) => ({
      db,
      box,
      clock,
      config,
      rp: { id: rpId, origin: issuerOrigin, name: policy.organizationName },
      organizationName: policy.organizationName,
      policy,
      delivery: deps.delivery,
      request: request ?? { ip: '', locale: config.defaultLocale },
    }),
    translatorFor,
    notices: {
      securityInfoChanged: (user, change, label, meta) =>
        notifySecurityInfoChanged(deps, user, change, label, meta),
      passwordChanged: (user, meta) => notifyPasswordChanged(deps, user, meta),
      passwordReset: async (user, meta, first) => {
        const alternates = (await listCredentials(db, user.id))
          .filter((c) => c.kind === 'email' && typeof c.data.address === 'string')
          .map((c) => c.data.address as string);
        return notifyPasswordReset(deps, user, meta, [user.email ?? '', ...alternates], first);
      },
      adminPasswordReset: async (user, meta) =>
        notifyAdminsOfAdminReset(deps, user, await listUsersWithRole(db, 'admin'), meta),
      helpdesk: (login, meta) => requestHelpdeskContact(deps, login, meta),
      secondFactorLocked: (user, until, meta) => notifySecondFactorLocked(deps, user, until, meta),
    },
    delivery: instrumentDelivery(opts.delivery ?? createDelivery({ db, logger, config, clock }), metrics),
    pow: createPow({ box, db, clock }),
    backchannel: new BackchannelDelivery({ db, clock, logger, provider: () => provider }),
    config,
    db,
    box,
    clock,
    logger,
    views,
    metrics,
    clients,
    provider: () => provider,
    keySet: () => keySet,
    issuerOrigin,
    secureCookies,
    localUrl: () => localUrl,
  };

  // In production a method whose channel has no sender is not offered at all (the outbox is unread there).
  if (config.production) methods.withoutChannels(CHANNELS.filter((c) => !deps.delivery.isLive(c)));

  const build = () => {
    const p = createProvider({
      config,
      db,
      views,
      keys: keySet,
      loadClient: async (id) => (await clients.get(id))?.payload,
    });
    p.on('grant.success', (ctx) =>
      metrics.tokens.inc({ grant: String(ctx.oidc.params?.grant_type ?? 'unknown') }),
    );
    p.on('server_error', (_ctx, err) => logger.error({ err }, 'provider error'));
    // Logout tokens the provider sends itself (RP-initiated logout): logged, audited, retried.
    p.on('backchannel.success', (_ctx, client, accountId, sid) =>
      deps.backchannel.providerSucceeded(client, accountId, sid),
    );
    p.on('backchannel.error', (_ctx, err, client, accountId, sid) =>
      deps.backchannel.providerFailed(err, client, accountId, sid),
    );
    return p;
  };
  let provider = build();
  let providerCallback = provider.callback();

  const publicJwks = () =>
    keySet.jwks.keys.map((k) => {
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = k as Record<string, string>;
      return pub as crypto.JsonWebKey;
    });

  const portalRedirect = '/my/callback';
  const portalSecret = await ensureBuiltinClient(
    db,
    box,
    {
      clientId: PORTAL_CLIENT_ID,
      name: 'Tobira',
      redirectUris: [`${config.issuer}${portalRedirect}`],
      postLogoutRedirectUris: [`${config.issuer}/`],
      grantTypes: ['authorization_code'],
      firstParty: true,
    },
    clock.now(),
  );
  const portalRp = new InternalClient({
    clientId: PORTAL_CLIENT_ID,
    clientSecret: portalSecret,
    issuer: config.issuer,
    redirectPath: portalRedirect,
    box,
    localUrl: () => localUrl,
    jwks: publicJwks,
  });

  let demoRp: InternalClient | undefined;
  if (!config.production) {
    const redirectPath = '/demo/callback';
    const secret = await ensureBuiltinClient(
      db,
      box,
      {
        clientId: DEMO_CLIENT_ID,
        name: 'Tobira demo',
        redirectUris: [`${config.issuer}${redirectPath}`],
        postLogoutRedirectUris: [`${config.issuer}/demo`],
        grantTypes: ['authorization_code'],
        firstParty: true,
      },
      clock.now(),
    );
    demoRp = new InternalClient({
      clientId: DEMO_CLIENT_ID,
      clientSecret: secret,
      issuer: config.issuer,
      redirectPath,
      box,
      localUrl: () => localUrl,
      jwks: publicJwks,
    });
  }

  const app = new Koa({ proxy: config.trustProxy });
  app.silent = true;

  // Request id, access log and metrics. Never logs a query string: it can carry codes and tokens.
  app.use(async (ctx: Context, next: Next) => {
    const started = process.hrtime.bigint();
    // The client IP as TRUST_PROXY defines it (never the leftmost X-Forwarded-For a client can forge).
    ctx.request.ip = clientIp(ctx.req.socket.remoteAddress, ctx.req.headers, config.proxy);
    const incoming = ctx.get('x-request-id');
    const requestId = /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const traceId = traceIdOf(ctx.get('traceparent'));
    ctx.state.traceId = traceId;
    // While draining, every response asks the client to reconnect (to another replica).
    if (draining) ctx.set('Connection', 'close');
    try {
      await next();
    } finally {
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      const route = routeLabel(ctx);
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
  });

  app.use(securityHeaders(secureCookies));

  // Locale, translator and request facts for every page.
  app.use(async (ctx: Context, next: Next) => {
    const locale = negotiateLocale(
      {
        uiLocales: typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : null,
        cookie: ctx.cookies.get('tobira.lang') ?? null,
        acceptLanguage: ctx.get('accept-language'),
      },
      config.defaultLocale,
    );
    ctx.state.locale = locale;
    ctx.state.t = translator(locale);
    ctx.state.dev = !config.production;
    ctx.state.meta = { ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512) };
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
  });

  // Errors: expected ones render in the user's language; anything else is logged and shown as a plain 500.
  app.use(async (ctx: Context, next: Next) => {
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
      render(ctx, views, 'error', { message, requestId: ctx.state.requestId }, status);
    }
  });
  app.use(refuseControlCharacters());

  const assets = serveAssets();
  const base = new Router();
  base.get('/', (ctx) => render(ctx, views, 'home'));
  base.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  base.get('/readyz', async (ctx) => {
    const { ok, ...body } = await tobira.readiness();
    ctx.status = ok ? 200 : 503;
    ctx.body = body;
  });
  base.get('/metrics', metricsAccess(config.metricsToken, config.proxy), async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metricsSource();
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

  app.use(assets);
  app.use(brandingFor(deps).middleware());
  app.use(base.routes());
  // A method no route implements is a 405 in the user's language, not the router's default 501.
  const notAllowed = () => new AppError('method.not_allowed', 405, 'error.http.405');
  app.use(base.allowedMethods({ throw: true, notImplemented: notAllowed, methodNotAllowed: notAllowed }));
  const signin = signInRoutes(deps);
  app.use(signin.routes());
  app.use(portalRoutes(deps, portalRp).routes());
  app.use(resetRoutes(deps).routes());
  app.use(inviteRoutes(deps).routes());
  if (demoRp) app.use(demoRoutes(deps, demoRp).routes());
  if (!config.production) app.use(devRoutes(deps).routes());
  app.use(brandingFor(deps).routes().routes());
  app.use(adminApiRoutes(deps).routes());
  app.use((await adminConsoleRoutes(deps)).routes());

  // Everything else is the OpenID Provider's.
  app.use(async (ctx: Context) => {
    ctx.respond = false;
    await providerCallback(ctx.req, ctx.res);
  });

  let draining = false;
  let migrated = false;
  let metricsSource = () => metrics.registry.metrics();
  const background = new BackgroundRunner(db, logger);
  background.onRun = (job, result) => metrics.backgroundRuns.inc({ job, result });
  const unobserve = observeAudit(metricsFromAudit(metrics));
  const tobira: TobiraApp = {
    deps,
    koa: app,
    handler: app.callback(),
    setLocalUrl(url) {
      localUrl = url;
    },
    async syncKeys() {
      const next = await loadKeySet(db, box, clock.now());
      if (next.fingerprint === keySet.fingerprint) return false;
      keySet = next;
      provider = build();
      providerCallback = provider.callback();
      logger.info({ keys: next.jwks.keys.length }, 'signing keys reloaded');
      return true;
    },
    async rotateKeys() {
      const kids = await rotateKeys(db, box, clock.now());
      await tobira.syncKeys();
      return kids;
    },
    async sweep() {
      let total = 0;
      for (;;) {
        const n = await db.transaction((trx) => sweepExpired(trx, clock.now()));
        total += n;
        if (n < 500) break;
      }
      total += await recordAbandoned(db, clock.now());
      total += await sweepCounters(db, clock.now());
      total += await sweepAuditRetention(deps);
      total += await sweepOutbox(db, clock.now());
      total += await sweepSessions(db, clock.now());
      const now = clock.now().getTime();
      total += await sweepNotices(
        db,
        new Date(now - NOTICE_SENT_KEEP_MS),
        new Date(now - NOTICE_FAILED_KEEP_MS),
      );
      return total + (await sweepChallenges(db, clock.now()));
    },
    deliverNotices: () => deliverNotices(deps),
    background,
    beginShutdown() {
      draining = true;
      metrics.shuttingDown.set(1);
    },
    get shuttingDown() {
      return draining;
    },
    setMetricsSource(source) {
      metricsSource = source;
    },
    async readiness() {
      if (draining) return { ok: false, status: 'shutting down' };
      try {
        await db.raw('select 1');
        // Once this code's migrations are all applied they stay applied (later releases only add), so
        // the migration table is read only until then: health checks stay one cheap query.
        const pending = migrated ? 0 : await pendingMigrations(db);
        migrated = pending === 0;
        return { ok: !pending, status: pending ? 'migrations pending' : 'ready', pendingMigrations: pending };
      } catch {
        return { ok: false, status: 'database unreachable' };
      }
    },
    async close() {
      unobserve();
      await background.stop();
      deps.backchannel.close();
    },
  };

  registerGauges(metrics, {
    ready: async () => (await tobira.readiness()).ok,
    pool: () => {
      const pool = (db.client as { pool?: Record<string, any> }).pool;
      return {
        used: pool?.numUsed?.() ?? 0,
        free: pool?.numFree?.() ?? 0,
        pending: pool?.numPendingAcquires?.() ?? 0,
        max: pool?.max ?? 1,
      };
    },
    phonePaused: async () => {
      const policy = await deps.policy();
      return policy.phoneHourlyBudget > 0 && (await phonePaused(deps.methodContext(policy)));
    },
  });

  // Key sync reloads this process's own key cache, so every process runs it; the sweep runs once
  // across all processes on the database at a time.
  background.add({ name: 'key-sync', everyMs: KEY_POLL_MS, scope: 'process', run: () => tobira.syncKeys() });
  background.add({ name: 'sweep', everyMs: SWEEP_MS, scope: 'cluster', run: () => tobira.sweep() });
  // Every process sends: rows are claimed with FOR UPDATE SKIP LOCKED, so none is sent twice.
  background.add({
    name: 'notices',
    everyMs: NOTICE_POLL_MS,
    scope: 'process',
    run: () => tobira.deliverNotices(),
  });
  if (opts.background) background.start();

  return tobira;
}

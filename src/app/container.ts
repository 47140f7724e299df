import type crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Koa from 'koa';
import { adminAlerts } from '../account/alerts.ts';
import {
  type DeliveryRun,
  deliverNotices,
  notifyAdminsOfAdminReset,
  notifyPasswordChanged,
  notifyPasswordReset,
  notifySecondFactorLocked,
  notifySecurityInfoChanged,
  requestHelpdeskContact,
} from '../account/notices.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { createRelaxedCommitDb, type Db, waitForEveryCommit } from '../db/knex.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { CHANNELS, createDelivery, type Delivery } from '../delivery/index.ts';
import { createEmailViews } from '../delivery/templates.ts';
import { DEMO_CLIENT_ID } from '../flows/demo/routes.ts';
import { PORTAL_CLIENT_ID } from '../flows/security-info/routes.ts';
import { Branding } from '../http/branding.ts';
import { createMetrics, registerGauges } from '../http/metrics.ts';
import { instrumentDelivery, metricsFromAudit } from '../http/observe.ts';
import { startTracing, type Tracing } from '../http/tracing.ts';
import { createViews } from '../http/views.ts';
import { isLocale, translator } from '../i18n/index.ts';
import { createLogger, type Logger } from '../logger.ts';
import { createMethodRegistry, passkeys } from '../methods/index.ts';
import type { VerificationMethod } from '../methods/types.ts';
import { relaxTokenCommits } from '../oidc/adapter.ts';
import { BackchannelDelivery } from '../oidc/backchannel.ts';
import { ClientCache, ensureBuiltinClient } from '../oidc/clients.ts';
import { InternalClient } from '../oidc/internal-client.ts';
import { ensureKeys, loadKeySet, rotateKeys } from '../oidc/keys.ts';
import { createProvider } from '../oidc/provider.ts';
import { storeRegisteredClient } from '../oidc/registration.ts';
import { createPow } from '../security/pow.ts';
import { phonePaused } from '../security/rate-limits.ts';
import type { SecretBox } from '../security/secrets.ts';
import { observeAudit } from '../store/audit.ts';
import { listCredentials } from '../store/credentials.ts';
import { isServerDatabase, pingDatabase } from '../store/locks.ts';
import { noticeQueueDepth } from '../store/notice-queue.ts';
import { PolicyCache } from '../store/policy-cache.ts';
import { listUsersWithRole } from '../store/users.ts';
import { BackgroundRunner, registerJobs, sweepExpiredRows } from './background.ts';
import type { AppDeps } from './deps.ts';
import { createHttp } from './http.ts';

/*
 * The composition root: builds every dependency once, wires them into AppDeps, and hands them to the
 * HTTP side (./http.ts) and the background jobs (./background.ts). Nothing imports this module but
 * the entry points (src/main.ts, tests through src/app.ts).
 */

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
  /**
   * Verification methods kept outside src/, registered after Tobira's own (CONTRIBUTING.md, "Adding
   * a verification method"), with the partials and messages they bring.
   */
  methods?: readonly VerificationMethod[];
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
  /** Delivers the due back-channel logouts of the queue (a background job; tests call it directly). */
  deliverLogouts(): Promise<number>;
  /** Periodic jobs (sweep, key sync; others register here); started only with `background`. */
  background: BackgroundRunner;
  /** SIGTERM's first step: /readyz answers 503 and every response asks the client to close its connection. */
  beginShutdown(): void;
  readonly shuttingDown: boolean;
  /** Where /metrics gets its text (a WORKERS cluster asks the primary for the aggregate). */
  setMetricsSource(source: () => Promise<string>): void;
  /** 200 or 503 with the reason, as /readyz answers. */
  readiness(): Promise<{ ok: boolean; status: string; pendingMigrations?: number }>;
  /** OpenTelemetry tracing, when OTEL_EXPORTER_OTLP_ENDPOINT turned it on. */
  readonly tracing: Tracing | undefined;
  /**
   * The pool client-credentials tokens commit through without waiting for the disk
   * (CLIENT_TOKEN_COMMIT=async on PostgreSQL); undefined when every commit waits.
   */
  readonly relaxedDb: Db | undefined;
  close(): Promise<void>;
}

/** A first-party client of our own provider (the portal, the demo), registered on first start. */
async function builtinRp(
  deps: Pick<AppDeps, 'db' | 'box' | 'clock' | 'config' | 'localUrl'>,
  o: { clientId: string; name: string; redirectPath: string; postLogoutPath: string },
  jwks: () => crypto.JsonWebKey[],
): Promise<InternalClient> {
  const { db, box, clock, config } = deps;
  const secret = await ensureBuiltinClient(
    db,
    box,
    {
      clientId: o.clientId,
      name: o.name,
      redirectUris: [`${config.issuer}${o.redirectPath}`],
      postLogoutRedirectUris: [`${config.issuer}${o.postLogoutPath}`],
      grantTypes: ['authorization_code'],
      firstParty: true,
    },
    clock.now(),
  );
  return new InternalClient({
    clientId: o.clientId,
    clientSecret: secret,
    issuer: config.issuer,
    redirectPath: o.redirectPath,
    box,
    localUrl: deps.localUrl,
    jwks,
  });
}

export async function createApp(opts: CreateAppOptions): Promise<TobiraApp> {
  const { config, db, box } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const tracing = await startTracing(config, db, logger);
  const methods = createMethodRegistry(opts.methods);
  const views = createViews(config.production, methods.viewDirs());
  const emails = createEmailViews(config.production);
  const alerts = adminAlerts({ db, box, clock, config });
  const metrics = createMetrics({ noticeQueueDepth: () => noticeQueueDepth(db) });
  const clients = new ClientCache(db, box);
  const issuerOrigin = new URL(config.issuer).origin;
  const secureCookies = config.issuer.startsWith('https:');
  let localUrl = `http://127.0.0.1:${config.port}`;

  await ensureKeys(db, box, clock.now());
  let keySet = await loadKeySet(db, box, clock.now());

  // The policy from memory, dropped on any settings write (issue 12). The embedded database has one
  // process (the CLI goes through the control socket), so its cache never needs to poll.
  const policyCache = new PolicyCache(db, { pollMs: isServerDatabase(db) ? 1000 : Number.POSITIVE_INFINITY });
  if (config.databaseUrl) await policyCache.listen(config.databaseUrl);
  const rpId = new URL(config.issuer).hostname;
  const methodMessages = methods.messages();
  const translatorFor = (user: { locale: string | null }) =>
    translator(isLocale(user.locale) ? user.locale : config.defaultLocale, methodMessages);
  const deps: AppDeps = {
    methods,
    passkeys: methods.all().some((m) => m.passwordless) ? passkeys : undefined,
    policy: () => policyCache.get(),
    methodContext: (policy, request) => ({
      db,
      box,
      clock,
      config,
      rp: { id: rpId, origin: issuerOrigin, name: policy.organizationName },
      organizationName: policy.organizationName,
      policy,
      delivery: deps.delivery,
      emails,
      alerts,
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
    branding: new Branding(() => policyCache.get()),
    config,
    db,
    box,
    clock,
    logger,
    views,
    emails,
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
      clientInfo: (id) => clients.get(id),
      corsOrigins: () => clients.knownOrigins(),
      registerClient: async (payload) => {
        await storeRegisteredClient(db, box, payload, clock.now());
        clients.invalidate(String(payload.client_id));
      },
      policy: () => policyCache.get(),
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
  // Client-credentials tokens and new interactions commit without waiting for the disk, on a pool of
  // their own (adapter.ts RELAXED_MODELS), and so do the sign-in counter's reservation and clear, each
  // in its own statement (db/knex.ts relaxedCommit); CLIENT_TOKEN_COMMIT=sync makes every commit wait.
  const relaxedDb =
    config.clientTokenCommit === 'async'
      ? createRelaxedCommitDb(db, config.databasePreparedStatements)
      : undefined;
  if (config.clientTokenCommit === 'sync') waitForEveryCommit(db);
  const unrelax = relaxTokenCommits(db, relaxedDb);
  let provider = build();
  let providerCallback = provider.callback();

  const publicJwks = () =>
    keySet.jwks.keys.map((k) => {
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = k as Record<string, string>;
      return pub as crypto.JsonWebKey;
    });

  const portalRp = await builtinRp(
    deps,
    { clientId: PORTAL_CLIENT_ID, name: 'Tobira', redirectPath: '/my/callback', postLogoutPath: '/' },
    publicJwks,
  );
  const demoRp = config.production
    ? undefined
    : await builtinRp(
        deps,
        {
          clientId: DEMO_CLIENT_ID,
          name: 'Tobira demo',
          redirectPath: '/demo/callback',
          postLogoutPath: '/demo',
        },
        publicJwks,
      );

  let draining = false;
  let migrated = false;
  let metricsSource = () => metrics.registry.metrics();
  const http = await createHttp(deps, {
    portalRp,
    demoRp,
    providerCallback: () => providerCallback,
    draining: () => draining,
    tracing,
    readiness: () => tobira.readiness(),
    metricsText: () => metricsSource(),
  });

  const background = new BackgroundRunner(db, logger);
  background.onRun = (job, result) => metrics.backgroundRuns.inc({ job, result });
  const unobserve = observeAudit(metricsFromAudit(metrics));
  const tobira: TobiraApp = {
    deps,
    koa: http.koa,
    handler: http.handler,
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
    sweep: () => sweepExpiredRows(deps),
    deliverNotices: () => deliverNotices(deps),
    deliverLogouts: () => deps.backchannel.drain(),
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
        await pingDatabase(db);
        // Once this code's migrations are all applied they stay applied (later releases only add), so
        // the migration table is read only until then: health checks stay one cheap query.
        const pending = migrated ? 0 : await pendingMigrations(db);
        migrated = pending === 0;
        return { ok: !pending, status: pending ? 'migrations pending' : 'ready', pendingMigrations: pending };
      } catch {
        return { ok: false, status: 'database unreachable' };
      }
    },
    tracing,
    relaxedDb,
    async close() {
      unobserve();
      unrelax();
      await relaxedDb?.destroy();
      await background.stop();
      await deps.backchannel.close();
      await policyCache.close();
      await tracing?.shutdown();
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

  registerJobs(background, tobira);
  if (opts.background) background.start();

  return tobira;
}

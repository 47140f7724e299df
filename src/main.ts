import cluster from 'node:cluster';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createApp, type TobiraApp } from './app.ts';
import { type Clock, systemClock } from './clock.ts';
import { askPrimaryForMetrics, runPrimary, shareRegistry } from './cluster.ts';
import { runCommand } from './commands.ts';
import { type Config, ConfigError, loadConfig, serveProblems, serveWarnings } from './config.ts';
import { listenControl } from './control.ts';
import { createDb, type Db } from './db/knex.ts';
import { migrateLatest } from './db/migrate.ts';
import { CHANNELS } from './delivery/types.ts';
import { createLogger } from './logger.ts';
import { resolveSecretKey } from './secret-key.ts';
import { SecretBox } from './security/secrets.ts';
import { registerServer } from './server-registry.ts';
import { countUsers } from './store/users.ts';

export interface Running {
  config: Config;
  app: TobiraApp;
  db: Db;
  server: http.Server;
  url: string;
  stop(): Promise<void>;
}

/** Where this instance reaches itself (its built-in apps redeem codes here, never at the public URL). */
function loopbackHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The start script and the image set GLIBC_TUNABLES so that glibc maps each password hash's 19 MiB
 * block on its own and gives it back after the hash, in transparent huge pages (README, "Memory").
 * Where the kernel has huge pages off, every hash faults its block in 4 KiB pages: sign-ins get
 * slower (a quarter of the rate on the machine that measured it), so say so at start.
 */
function hugePagesWarning(): string | undefined {
  if (!/glibc\.malloc\.mmap_threshold=/.test(process.env.GLIBC_TUNABLES ?? '')) return undefined;
  let mode: string;
  try {
    mode = fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
  } catch {
    return undefined;
  }
  if (!mode.includes('[never]')) return undefined;
  return (
    'transparent huge pages are off (/sys/kernel/mm/transparent_hugepage/enabled), so GLIBC_TUNABLES ' +
    'makes every password hash map its memory afresh and sign-ins slower: enable them (madvise) or ' +
    'start with GLIBC_TUNABLES= (empty) to keep the memory instead'
  );
}

/** Boot: config -> db -> migrate -> app -> listen. */
export async function start(
  env: Record<string, string | undefined>,
  clock: Clock = systemClock,
): Promise<Running> {
  const config = loadConfig(env);
  const problems = serveProblems(config);
  if (problems.length) throw new ConfigError(problems);
  const root = createLogger(config.logLevel);
  const logger = cluster.isWorker ? root.child({ worker: cluster.worker?.id }) : root;
  for (const w of serveWarnings(config)) logger.warn(w);
  const pages = hugePagesWarning();
  if (pages) logger.warn(pages);
  const secret = resolveSecretKey(config);
  if (!config.secretKey && config.databaseUrl) {
    logger.warn(
      { file: secret.file },
      'SECRET_KEY is not set: using a key from DATA_DIR; every instance must share it',
    );
  }
  const box = new SecretBox(secret.key);
  const db = createDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir,
    preparedStatements: config.databasePreparedStatements,
  });
  let app: TobiraApp;
  let server: http.Server;
  try {
    const applied = await migrateLatest(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    app = await createApp({ config, db, box, clock, logger, background: true });
    server = http.createServer({ requestTimeout: 30_000, headersTimeout: 15_000 }, app.handler);
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    await db.destroy();
    throw err;
  }
  if (cluster.isWorker) {
    shareRegistry(app.deps.metrics.registry);
    app.setMetricsSource(askPrimaryForMetrics);
  }
  const addr = server.address() as { port: number };
  app.setLocalUrl(`http://${loopbackHost(config.host)}:${addr.port}`);

  const control = config.databaseUrl
    ? undefined
    : await listenControl(config.dataDir, (argv, stdin) =>
        runCommand(argv, stdin, {
          db,
          box,
          clock,
          onClientsChanged: () => app.deps.clients.invalidate(),
          onKeysChanged: () => app.syncKeys(),
          backchannel: app.deps.backchannel,
          config,
        }),
      );

  const users = await countUsers(db);
  const lines = [
    `Tobira is listening on ${config.issuer} (${config.host} port ${addr.port}, ${config.production ? 'production' : 'development'} mode)`,
    `  discovery: ${config.issuer}/.well-known/openid-configuration`,
    config.databaseUrl
      ? '  data: PostgreSQL (DATABASE_URL)'
      : `  data: embedded database in ${path.resolve(config.dataDir)}`,
  ];
  if (users === 0) {
    lines.push(
      '  no users yet: create the first administrator with',
      "    printf '%s\\n' 'a long password' | npx tobira user add admin --admin --password-stdin",
    );
  }
  if (!config.production) lines.push(`  demo app: ${config.issuer}/demo`);
  const off = app.deps.methods.unavailable();
  if (off.length) {
    const channels = CHANNELS.filter((c) => !app.deps.delivery.isLive(c));
    lines.push(
      `  channels off (not configured): ${channels.join(', ')}; methods not offered: ${off.join(', ')}`,
    );
  }
  if (!cluster.isWorker || cluster.worker?.id === 1) process.stdout.write(`${lines.join('\n')}\n`);
  // The CLI finds the server of its ISSUER here and refuses to work on another database.
  const unregister = !cluster.isWorker || cluster.worker?.id === 1 ? registerServer(config) : () => {};

  // Shutdown: readiness turns 503 and responses carry `Connection: close` at once; background jobs stop
  // (a run in progress finishes); for SHUTDOWN_DRAIN_SECONDS the server still serves, so a load
  // balancer has time to see the 503 and move new connections elsewhere; then the listener closes,
  // idle keep-alive connections are closed, requests in flight get SHUTDOWN_TIMEOUT_SECONDS to
  // finish, and whatever is left is cut.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      app.beginShutdown();
      logger.info(
        { drainSeconds: config.shutdownDrainSeconds, timeoutSeconds: config.shutdownTimeoutSeconds },
        'shutting down: draining',
      );
      const jobs = app.close();
      control?.close();
      unregister();
      if (config.shutdownDrainSeconds > 0) {
        await new Promise((r) => setTimeout(r, config.shutdownDrainSeconds * 1000));
      }
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, config.shutdownTimeoutSeconds * 1000).unref();
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      await jobs;
      await db.destroy();
      logger.info('shut down');
    })());

  return { config, app, db, server, url: `http://127.0.0.1:${addr.port}`, stop };
}

if (import.meta.main) {
  try {
    const config = loadConfig(process.env);
    if (cluster.isPrimary && config.workers > 1) {
      await runPrimary(config, createLogger(config.logLevel));
    } else {
      await runSingle();
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`tobira: could not start: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  }
}

async function runSingle() {
  const running = await start(process.env);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      // A second signal while draining stops at once (a worker hears its primary's SIGTERM after the
      // terminal's SIGINT, so it keeps draining).
      if (running.app.shuttingDown) {
        if (!cluster.isWorker) process.exit(1);
        return;
      }
      running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

import cluster, { type Worker } from 'node:cluster';
import crypto from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Config } from './config.ts';
import { createDb } from './db/knex.ts';
import { migrateLatest } from './db/migrate.ts';
import type { Logger } from './logger.ts';

/**
 * WORKERS=N: the primary applies migrations once, forks N workers that share the listening port
 * (node:cluster hands connections round-robin), restarts a worker that dies, and on SIGTERM/SIGINT
 * passes SIGTERM to every worker and waits for each to drain and exit. The primary serves no
 * requests; it answers the workers' requests for the metrics of all workers together.
 */
export async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const db = createDb({
    databaseUrl: config.databaseUrl,
    poolMax: 1,
    preparedStatements: config.databasePreparedStatements,
  });
  try {
    const applied = await migrateLatest(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
  } finally {
    await db.destroy();
  }
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const fork = () => {
    const w = cluster.fork();
    w.on('message', (msg: { type?: string; id?: string }) => {
      if (msg?.type !== METRICS_REQUEST || typeof msg.id !== 'string') return;
      aggregator.clusterMetrics().then(
        (text) => w.send({ type: METRICS_REPLY, id: msg.id, text }),
        (err: Error) => w.send({ type: METRICS_REPLY, id: msg.id, error: err.message }),
      );
    });
    return w;
  };
  cluster.on('exit', (w: Worker, code, signal) => {
    if (stopping) return;
    logger.warn({ worker: w.id, code, signal }, 'worker exited; starting another in a second');
    setTimeout(() => {
      if (!stopping) fork();
    }, 1_000);
  });
  // Readiness of one worker is not readiness of the cluster: say when every worker accepts connections
  // (operators see the whole cluster up; the workers test waits for it before counting who served).
  const listening = new Set<number>();
  cluster.on('listening', (w: Worker) => {
    listening.add(w.id);
    const up = Object.values(cluster.workers ?? {}).filter((x) => x && listening.has(x.id)).length;
    if (up === config.workers) logger.info({ workers: up }, 'all workers listening');
  });
  for (let i = 0; i < config.workers; i++) fork();
  logger.info({ workers: config.workers }, 'cluster started');

  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    logger.info('cluster shutting down');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    let left = workers.length;
    if (!left) process.exit(0);
    for (const w of workers) {
      w.once('exit', () => {
        if (--left === 0) process.exit(0);
      });
      w.process.kill('SIGTERM');
    }
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

const METRICS_REQUEST = 'tobira:metrics?';
const METRICS_REPLY = 'tobira:metrics';

/** In a worker: the registry the primary's aggregator collects. */
export function shareRegistry(registry: Registry): void {
  // Constructing one installs prom-client's listener that answers the primary's requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/** In a worker: /metrics answers with every worker's metrics, aggregated by the primary. */
export function askPrimaryForMetrics(): Promise<string> {
  const id = crypto.randomUUID();
  return new Promise((resolve, reject) => {
    const onMessage = (msg: { type?: string; id?: string; text?: string; error?: string }) => {
      if (msg?.type !== METRICS_REPLY || msg.id !== id) return;
      process.off('message', onMessage);
      clearTimeout(timer);
      if (typeof msg.text === 'string') resolve(msg.text);
      else reject(new Error(msg.error ?? 'no metrics from the primary'));
    };
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the primary did not answer for metrics'));
    }, 15_000);
    process.on('message', onMessage);
    process.send?.({ type: METRICS_REQUEST, id });
  });
}

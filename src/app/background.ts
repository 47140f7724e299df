import type { Db } from '../db/knex.ts';
import { sweepAuditRetention } from '../flows/admin/service.ts';
import type { Logger } from '../logger.ts';
import { sweepChallenges } from '../store/challenges.ts';
import { sweepCounters } from '../store/counters.ts';
import { sweepImportJobs } from '../store/import-jobs.ts';
import { isServerDatabase, withAdvisoryLock } from '../store/locks.ts';
import { sweepNotices } from '../store/notice-queue.ts';
import { sweepExpired } from '../store/oidc.ts';
import { sweepOutbox } from '../store/outbox.ts';
import { sweepResetSessions } from '../store/reset-sessions.ts';
import { sweepSessions } from '../store/sessions.ts';
import { SWEEP_MAX_BATCHES } from '../store/sweep.ts';
import type { AppDeps } from './deps.ts';

export interface BackgroundJob {
  name: string;
  everyMs: number;
  /**
   * `cluster`: at most one run at a time across every process on the database (a PostgreSQL advisory
   * lock; other replicas skip that round). `process`: every process runs it (e.g. reloading its own
   * key cache).
   */
  scope: 'cluster' | 'process';
  run(): Promise<unknown>;
}

export type RunResult = 'ran' | 'skipped' | 'failed' | 'stopped';

/**
 * Runs periodic jobs. A job never overlaps itself in one process; a `cluster` job takes a
 * PostgreSQL advisory lock while it runs, so replicas and workers never run it twice at once. On the
 * embedded database there is one process by construction (PGlite allows one), so the in-process guard
 * is the whole lock there: holding a transaction open on PGlite's single connection would block the
 * job's own queries.
 */
export class BackgroundRunner {
  readonly #db: Db;
  readonly #logger: Logger;
  readonly #jobs = new Map<string, BackgroundJob>();
  /** Runs in progress in this process, per database handle: runners sharing one never overlap. */
  static readonly #runningByDb = new WeakMap<object, Map<string, Promise<RunResult>>>();
  readonly #running: Map<string, Promise<RunResult>>;
  readonly #mine = new Set<Promise<RunResult>>();
  readonly #timers: NodeJS.Timeout[] = [];
  #stopped = false;
  /** Called after every run (metrics). */
  onRun: (job: string, result: RunResult, seconds: number) => void = () => {};

  constructor(db: Db, logger: Logger) {
    this.#db = db;
    this.#logger = logger;
    let running = BackgroundRunner.#runningByDb.get(db);
    if (!running) {
      running = new Map();
      BackgroundRunner.#runningByDb.set(db, running);
    }
    this.#running = running;
  }

  add(job: BackgroundJob): void {
    this.#jobs.set(job.name, job);
  }

  jobs(): string[] {
    return [...this.#jobs.keys()];
  }

  start(): void {
    for (const job of this.#jobs.values()) {
      this.#timers.push(
        setInterval(() => {
          void this.runOnce(job.name);
        }, job.everyMs).unref(),
      );
    }
  }

  /** Runs one job now unless it is running here already, or (cluster scope) in another process. */
  runOnce(name: string): Promise<RunResult> {
    const job = this.#jobs.get(name);
    if (!job) return Promise.reject(new Error(`unknown background job ${name}`));
    if (this.#stopped) return Promise.resolve('stopped');
    if (this.#running.has(name)) return Promise.resolve('skipped');
    const started = process.hrtime.bigint();
    const p = (async (): Promise<RunResult> => {
      try {
        if (job.scope === 'cluster' && isServerDatabase(this.#db)) {
          const r = await withAdvisoryLock(this.#db, job.name, () => job.run());
          return r ? 'ran' : 'skipped';
        }
        await job.run();
        return 'ran';
      } catch (err) {
        this.#logger.warn({ err, job: name }, 'background job failed');
        return 'failed';
      }
    })().then((result) => {
      this.#running.delete(name);
      this.#mine.delete(p);
      this.onRun(name, result, Number(process.hrtime.bigint() - started) / 1e9);
      return result;
    });
    this.#running.set(name, p);
    this.#mine.add(p);
    return p;
  }

  /** Stops scheduling and waits for the runs in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
    await Promise.allSettled([...this.#mine]);
  }
}

// -- the jobs every app registers --------------------------------------------------------------

const KEY_POLL_MS = 10_000;
const SWEEP_MS = 60_000;
const NOTICE_POLL_MS = 5_000;
const BACKCHANNEL_POLL_MS = 5_000;
/** Sent notices are kept a day (for support questions), failed ones 30 days, then swept. */
const NOTICE_SENT_KEEP_MS = 24 * 3600_000;
const NOTICE_FAILED_KEEP_MS = 30 * 24 * 3600_000;

/** Deletes what has expired everywhere (OIDC rows, abandoned resets, counters, audit past retention, outbox, import jobs, sessions, notices, challenges). */
export async function sweepExpiredRows(deps: AppDeps): Promise<number> {
  const { db, clock } = deps;
  // Bounded per table (issue 12): small transactions, a cap per run; the next run continues.
  let total = 0;
  for (let i = 0; i < SWEEP_MAX_BATCHES; i++) {
    const n = await db.transaction((trx) => sweepExpired(trx, clock.now()));
    total += n;
    if (n < 500) break;
  }
  total += await sweepResetSessions(db, clock.now(), { maxBatches: SWEEP_MAX_BATCHES });
  total += await sweepCounters(db, clock.now());
  total += await sweepAuditRetention(deps);
  total += await sweepOutbox(db, clock.now());
  total += await sweepImportJobs(db, clock.now());
  total += await sweepSessions(db, clock.now());
  const now = clock.now().getTime();
  total += await sweepNotices(db, new Date(now - NOTICE_SENT_KEEP_MS), new Date(now - NOTICE_FAILED_KEEP_MS));
  return total + (await sweepChallenges(db, clock.now()));
}

/** What the registered jobs run. */
export interface JobTargets {
  syncKeys(): Promise<unknown>;
  sweep(): Promise<unknown>;
  deliverNotices(): Promise<unknown>;
  deliverLogouts(): Promise<unknown>;
}

/** Registers the periodic jobs on `background` (started only when the app runs with `background`). */
export function registerJobs(background: BackgroundRunner, app: JobTargets): void {
  // Key sync reloads this process's own key cache, so every process runs it; the sweep runs once
  // across all processes on the database at a time.
  background.add({ name: 'key-sync', everyMs: KEY_POLL_MS, scope: 'process', run: () => app.syncKeys() });
  background.add({ name: 'sweep', everyMs: SWEEP_MS, scope: 'cluster', run: () => app.sweep() });
  // Every process sends: rows are claimed with FOR UPDATE SKIP LOCKED, so none is sent twice.
  background.add({
    name: 'notices',
    everyMs: NOTICE_POLL_MS,
    scope: 'process',
    run: () => app.deliverNotices(),
  });
  // Queued back-channel logouts (retries, and logouts of sessions the CLI ended): claimed the same way.
  background.add({
    name: 'backchannel',
    everyMs: BACKCHANNEL_POLL_MS,
    scope: 'process',
    run: () => app.deliverLogouts(),
  });
}

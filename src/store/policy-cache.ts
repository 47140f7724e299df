import { performance } from 'node:perf_hooks';
import type { Db } from '../db/knex.ts';
import { type Policy, policyFromSettings } from '../policy/settings.ts';
import { readSettings, settingsGeneration, watchSettings } from './settings.ts';

/**
 * The policy, read from the settings table once and then served from memory (issue 12: a sign-in
 * used to read the whole table four times). A cached policy is dropped when:
 * - this process writes a setting (settingsGeneration changes);
 * - on PostgreSQL, another process writes one (LISTEN/NOTIFY on a connection of its own);
 * - otherwise (the embedded database, or while that connection is down), after `pollMs`.
 * Readers share one in-flight read; a failed read is not cached.
 */
export class PolicyCache {
  readonly #db: Db;
  readonly #pollMs: number;
  #value: Promise<Policy> | undefined;
  #generation = -1;
  #readAt = 0;
  #listening = false;
  #unlisten: (() => Promise<void>) | undefined;
  /** How many times the settings were read (tests and the benchmark count them). */
  reads = 0;

  constructor(db: Db, opts: { pollMs?: number } = {}) {
    this.#db = db;
    this.#pollMs = opts.pollMs ?? 1000;
  }

  get(): Promise<Policy> {
    const gen = settingsGeneration();
    const fresh =
      this.#value &&
      this.#generation === gen &&
      (this.#listening || performance.now() - this.#readAt < this.#pollMs);
    if (fresh) return this.#value!;
    this.#generation = gen;
    this.#readAt = performance.now();
    this.reads++;
    const p = readSettings(this.#db).then(policyFromSettings);
    this.#value = p;
    p.catch(() => {
      if (this.#value === p) this.#value = undefined;
    });
    return p;
  }

  invalidate(): void {
    this.#value = undefined;
  }

  /** Listens for writes by other processes (PostgreSQL); on failure the cache keeps polling. */
  async listen(databaseUrl: string): Promise<void> {
    try {
      this.#unlisten = await watchSettings(databaseUrl, (event) => {
        this.invalidate();
        if (event === 'lost') this.#listening = false;
      });
      this.invalidate();
      this.#listening = true;
    } catch {
      this.#listening = false;
    }
  }

  async close(): Promise<void> {
    this.#listening = false;
    await this.#unlisten?.();
  }
}

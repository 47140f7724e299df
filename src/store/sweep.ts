import type { Knex } from 'knex';
import { affected, type Tx } from '../db/knex.ts';

/**
 * Bounded sweeping (issue 12): a backlog is deleted in small statements of `batch` rows, each its own
 * short transaction, and at most `maxBatches` of them per run, so one table's backlog never holds a
 * long transaction or starves the other tables; the next run continues. Rows are taken with SKIP
 * LOCKED, so instances sweeping at once never wait on each other.
 */
export interface SweepLimits {
  batch?: number;
  maxBatches?: number;
}

export const SWEEP_BATCH = 1000;
export const SWEEP_MAX_BATCHES = 50;

export async function deleteInBatches(
  db: Tx,
  table: string,
  key: string,
  where: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
  limits: SweepLimits = {},
): Promise<number> {
  const batch = limits.batch ?? SWEEP_BATCH;
  const maxBatches = limits.maxBatches ?? SWEEP_MAX_BATCHES;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const keys = where(db(table).select(key)).limit(batch).forUpdate().skipLocked();
    const n = affected(await db(table).whereIn(key, keys).delete());
    total += n;
    if (n < batch) break;
  }
  return total;
}

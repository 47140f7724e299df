import type { Db, Tx } from '../db/knex.ts';

/** Whether the database is a PostgreSQL server (several processes) rather than embedded PGlite (one). */
export function isServerDatabase(db: Db): boolean {
  return (db.client as { config?: { client?: unknown } }).config?.client === 'pg';
}

/** Waits for the transaction-scoped advisory lock `key` inside `trx`; it is released at commit or rollback. */
export async function waitForXactLock(trx: Tx, key: number): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(?::bigint)', [key]);
}

/** One round trip to the database (readiness checks); throws when it is unreachable. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.raw('select 1');
}

/**
 * Runs `fn` while this process holds the transaction-scoped advisory lock named `name`, or returns
 * `undefined` at once when another process holds it. The lock lives on one pooled connection in an
 * open transaction and is released when `fn` settles or that connection dies, so a crashed replica
 * never leaves it taken. `fn` uses its own connections (the lock's transaction only holds the lock).
 */
export async function withAdvisoryLock<T>(
  db: Db,
  name: string,
  fn: () => Promise<T>,
): Promise<{ value: T } | undefined> {
  return db.transaction(async (trx: Tx) => {
    const r = await trx.raw('select pg_try_advisory_xact_lock(hashtext(?)::bigint) as got', [
      `tobira:${name}`,
    ]);
    const got = (r.rows?.[0] ?? r[0])?.got;
    if (!got) return undefined;
    return { value: await fn() };
  });
}

import { affected, type Tx } from '../db/knex.ts';

export interface LockRule {
  limit: number;
  windowMs: number;
  lockMs: number;
}

export interface LockState {
  count: number;
  lockedUntil: Date | null;
}

export async function readLock(db: Tx, key: string): Promise<LockState> {
  const r = await db('reset_locks').where({ key }).first();
  return r
    ? { count: r.count, lockedUntil: r.locked_until ? new Date(r.locked_until) : null }
    : { count: 0, lockedUntil: null };
}

export function lockedAt(s: LockState, now: Date): boolean {
  return !!s.lockedUntil && s.lockedUntil.getTime() > now.getTime();
}

/** Counts one event in the key's window (atomically, across instances); the limit-th locks the key. */
export async function countEvent(
  db: Tx,
  key: string,
  rule: LockRule,
  now: Date,
  userId: string | null = null,
): Promise<LockState> {
  return (db as any).transaction(async (trx: Tx) => {
    await trx('reset_locks')
      .insert({ key, count: 0, window_start: now, user_id: userId })
      .onConflict('key')
      .ignore();
    const r = await trx('reset_locks').where({ key }).forUpdate().first();
    const windowOver = now.getTime() - new Date(r.window_start).getTime() >= rule.windowMs;
    let count = windowOver ? 1 : r.count + 1;
    const windowStart = windowOver ? now : new Date(r.window_start);
    let lockedUntil: Date | null = r.locked_until ? new Date(r.locked_until) : null;
    if (count >= rule.limit) {
      lockedUntil = new Date(now.getTime() + rule.lockMs);
      count = 0;
    }
    await trx('reset_locks')
      .where({ key })
      .update({ count, window_start: windowStart, locked_until: lockedUntil });
    return { count, lockedUntil };
  });
}

/** A successful reset clears every lock of the user. */
export async function clearUserLocks(db: Tx, userId: string, extraKeys: string[] = []): Promise<number> {
  let n = affected(await db('reset_locks').where({ user_id: userId }).delete());
  if (extraKeys.length) n += affected(await db('reset_locks').whereIn('key', extraKeys).delete());
  return n;
}

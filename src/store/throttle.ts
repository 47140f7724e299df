import type { Tx } from '../db/knex.ts';
import { EMPTY_THROTTLE, type ThrottleState } from '../policy/lockout.ts';

const fromRow = (r: any): ThrottleState => ({
  failures: r.failures,
  lockCount: r.lock_count,
  lockedUntil: r.locked_until ? new Date(r.locked_until) : null,
});

export async function readThrottle(db: Tx, login: string): Promise<ThrottleState> {
  const r = await db('sign_in_throttle').where({ login_normalized: login }).first();
  return r ? fromRow(r) : EMPTY_THROTTLE;
}

/** Reads the row under a lock (inside a transaction), creating it when missing. */
export async function lockThrottle(trx: Tx, login: string, now: Date): Promise<ThrottleState> {
  await trx('sign_in_throttle')
    .insert({ login_normalized: login, updated_at: now })
    .onConflict('login_normalized')
    .ignore();
  const r = await trx('sign_in_throttle').where({ login_normalized: login }).forUpdate().first();
  return fromRow(r);
}

export async function writeThrottle(trx: Tx, login: string, s: ThrottleState, now: Date): Promise<void> {
  await trx('sign_in_throttle').where({ login_normalized: login }).update({
    failures: s.failures,
    lock_count: s.lockCount,
    locked_until: s.lockedUntil,
    updated_at: now,
  });
}

export async function clearThrottle(db: Tx, login: string): Promise<void> {
  await db('sign_in_throttle').where({ login_normalized: login }).delete();
}

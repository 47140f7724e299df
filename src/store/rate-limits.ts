import { affected, type Tx } from '../db/knex.ts';

/** One counter of the `rate_limits` table: its hits in the current window and when the window ends. */
export interface LimitWindow {
  points: number;
  expiresAt: Date;
}

const rowsOf = (res: unknown): any[] => (res as { rows?: any[] }).rows ?? [];

/**
 * Counts one hit on `key` when the window has room, atomically on every instance: the row is created
 * (window starting now), restarted (its window is over) or incremented (below `limit`). Returns the
 * counter after the hit, or undefined when the window is full and nothing was counted.
 */
export async function hitLimit(
  db: Tx,
  key: string,
  limit: number,
  windowMs: number,
  now: Date,
): Promise<LimitWindow | undefined> {
  if (limit < 1) return undefined;
  const res = await db.raw(
    `insert into rate_limits as r (key, points, expires_at) values (?, 1, ?)
     on conflict (key) do update set
       points = case when r.expires_at <= ? then 1 else r.points + 1 end,
       expires_at = case when r.expires_at <= ? then excluded.expires_at else r.expires_at end
     where r.expires_at <= ? or r.points < ?
     returning points, expires_at`,
    [key, new Date(now.getTime() + windowMs), now, now, now, limit],
  );
  const row = rowsOf(res)[0];
  return row ? { points: Number(row.points), expiresAt: new Date(row.expires_at) } : undefined;
}

/** The counter's current window, when one is running. */
export async function readLimit(db: Tx, key: string, now: Date): Promise<LimitWindow | undefined> {
  const r = await db('rate_limits').where({ key }).andWhere('expires_at', '>', now).first();
  return r ? { points: Number(r.points), expiresAt: new Date(r.expires_at) } : undefined;
}

/** Deletes counters whose window ended before `now` (their next hit would restart them anyway). */
export async function sweepRateLimits(db: Tx, now: Date): Promise<number> {
  return affected(await db('rate_limits').where('expires_at', '<', now).delete());
}

import { affected, relaxedCommit, runNamed, runStatement, type Tx } from '../db/knex.ts';
import { type CounterRule, type CounterState, EMPTY_COUNTER, lockDuration } from '../policy/counters.ts';
import { deleteInBatches, type SweepLimits } from './sweep.ts';
import { type RideAlong, whenChanged } from './together.ts';

/*
 * The `counters` table: every limit of Tobira, one row per key. Each change is ONE statement
 * (`insert ... on conflict do update ... where ... returning`, or `update ... returning`), so it is
 * atomic on PostgreSQL with any number of instances and on PGlite, with no read-then-write.
 *
 * An attempt whose outcome is not known yet (a password, a code) is reserved first: `hits` and
 * `pending` go up by one, and only when the counter has room and is not locked. When the check is
 * done the reservation is settled: a failure stays in `hits` (and locks when it completes the limit),
 * a success gives it back (and may clear the counter). An event (a send, a reset start) is counted
 * and settled in the same statement.
 *
 * Lock lengths double with each lock (`lock_count`), from rule.firstLockMs up to rule.maxLockMs; the
 * SQL computes least(first * 2^lock_count, max), which is policy/counters.ts lockDuration(rule, n).
 */

const COLUMNS = 'hits, pending, window_ends, locked_until, lock_count';

function fromRow(r: any): CounterState {
  return {
    hits: Number(r.hits),
    pending: Number(r.pending),
    windowEnds: r.window_ends ? new Date(r.window_ends) : null,
    lockedUntil: r.locked_until ? new Date(r.locked_until) : null,
    lockCount: Number(r.lock_count),
  };
}

/** The window's end for a counter starting now; null when the rule has no window. */
const windowEnd = (rule: CounterRule, now: Date) =>
  rule.windowMs === null ? null : new Date(now.getTime() + rule.windowMs);

/** SQL: the stored window is over, so this attempt starts a new one. */
const EXPIRED = '(c.window_ends is not null and c.window_ends <= :now)';
/** SQL: the stored counter is locked now. */
const LOCKED = '(c.locked_until is not null and c.locked_until > :now)';
/** SQL: the end of the lock that starts now, the (lock_count + 1)-th. */
const LOCK_END =
  "cast(:now as timestamptz) + least(cast(:first as double precision) * power(2, least(c.lock_count, 30)), cast(:max as double precision)) * interval '1 millisecond'";

/** What a counter holds when its first attempt is a settled one: locked at once when the limit is 1. */
function firstRow(key: string, rule: CounterRule, now: Date, userId: string | null, pending: number) {
  const locks = pending === 0 && rule.firstLockMs > 0 && rule.limit <= 1;
  return {
    key,
    hits: locks ? 0 : 1,
    pending,
    window_ends: windowEnd(rule, now),
    locked_until: locks ? new Date(now.getTime() + lockDuration(rule, 1)) : null,
    lock_count: locks ? 1 : 0,
    user_id: userId,
    now,
  };
}

const INSERT = `insert into counters as c (key, hits, pending, window_ends, locked_until, lock_count, user_id, updated_at)
  values (:key, :hits, :pending, :window_ends, :locked_until, :lock_count, :user_id, :now)`;

/**
 * Takes one attempt on `key`, only when the counter is not locked and its window has room (fewer than
 * rule.limit hits, reservations included). `settle: 'event'` counts it for good, and the hit that
 * reaches the limit locks (rules with a lock); `settle: 'later'` reserves it until failed() or
 * succeeded(). Returns the counter after the hit, or undefined when nothing was taken.
 */
export async function reserve(
  db: Tx,
  key: string,
  rule: CounterRule,
  now: Date,
  opts: {
    settle: 'event' | 'later';
    userId?: string | null;
    /**
     * The reservation's commit does not wait for the WAL flush (db/knex.ts relaxedCommit): for a
     * reservation settled later, whose failure is settled by a durable commit before anyone is told,
     * which makes this one durable too (security/counters.ts guard).
     */
    relaxed?: boolean;
  },
): Promise<CounterState | undefined> {
  if (rule.limit < 1) return undefined;
  const event = opts.settle === 'event';
  const pend = event ? 0 : 1;
  const next = `(case when ${EXPIRED} then 1 else c.hits + 1 end)`;
  const locks = event && rule.firstLockMs > 0 ? `(${next} >= :limit)` : 'false';
  const relaxed = opts.relaxed && !event ? relaxedCommit(db) : '';
  const res = await runNamed(
    db,
    `${relaxed ? 'with r as (' : ''}${INSERT}
     on conflict (key) do update set
       hits = case when ${locks} then 0 else ${next} end,
       pending = case when ${EXPIRED} then :pending else c.pending + :pending end,
       window_ends = case when ${EXPIRED} then excluded.window_ends else c.window_ends end,
       locked_until = case when ${locks} then ${LOCK_END} else c.locked_until end,
       lock_count = case when ${locks} then c.lock_count + 1 else c.lock_count end,
       user_id = coalesce(c.user_id, excluded.user_id),
       updated_at = :now
     where not ${LOCKED} and (${EXPIRED} or c.hits < :limit)
     returning ${COLUMNS}${relaxed ? `) select ${COLUMNS}${relaxed} from r` : ''}`,
    {
      ...firstRow(key, rule, now, opts.userId ?? null, pend),
      limit: rule.limit,
      first: rule.firstLockMs,
      max: rule.maxLockMs,
    },
  );
  const row = res.rows[0];
  return row ? fromRow(row) : undefined;
}

/**
 * Settles a reservation as a failure: it stays counted, and when settled failures reach the limit the
 * counter locks (rules with a lock; hits then start again from the reservations still in flight).
 * When the counter was cleared meanwhile (a success, an administrator), the failure starts it anew:
 * no failure goes uncounted.
 */
export async function failed(
  db: Tx,
  key: string,
  rule: CounterRule,
  now: Date,
  userId: string | null = null,
): Promise<CounterState> {
  const left = 'greatest(c.pending - 1, 0)';
  const locks = rule.firstLockMs > 0 ? `(not ${LOCKED} and c.hits - ${left} >= :limit)` : 'false';
  const res = await runNamed(
    db,
    `${INSERT}
     on conflict (key) do update set
       pending = ${left},
       hits = case when ${locks} then ${left} else c.hits end,
       locked_until = case when ${locks} then ${LOCK_END} else c.locked_until end,
       lock_count = case when ${locks} then c.lock_count + 1 else c.lock_count end,
       updated_at = :now
     returning ${COLUMNS}`,
    {
      ...firstRow(key, rule, now, userId, 0),
      limit: rule.limit,
      first: rule.firstLockMs,
      max: rule.maxLockMs,
    },
  );
  return fromRow(res.rows[0]);
}

/**
 * Settles a reservation that was not a failure: it is given back. With `clear` (a right password,
 * a right second factor) the counter also forgets its failures and locks so far, unless it is locked
 * now: a success racing the failures that locked it does not unlock it. Returns the counter after,
 * for the caller's re-check.
 */
export async function succeeded(db: Tx, key: string, now: Date, clear: boolean): Promise<CounterState> {
  const left = 'greatest(c.pending - 1, 0)';
  const clears = clear ? `(not ${LOCKED})` : 'false';
  const res = await runNamed(
    db,
    `update counters as c set
       pending = ${left},
       hits = case when ${clears} then ${left} else greatest(c.hits - 1, 0) end,
       lock_count = case when ${clears} then 0 else c.lock_count end,
       updated_at = :now
     where c.key = :key
     returning ${COLUMNS}`,
    { key, now },
  );
  const row = res.rows[0];
  return row ? fromRow(row) : EMPTY_COUNTER;
}

/**
 * A success that clears, when it is the only attempt in flight: succeeded(clear) would leave the row
 * empty (no hits, nothing pending, no lock count), and dropIfEmpty would delete it, so it is deleted
 * at once, in one statement. False (nothing changed) when another attempt is in flight or the
 * counter is locked now; the caller then settles with succeeded(). `along`: writes the success makes
 * anyway, made in the same statement and only when the counter was cleared (store/together.ts).
 */
export async function clearIfOnlyAttempt(
  db: Tx,
  key: string,
  now: Date,
  along: RideAlong[] = [],
  opts: { relaxed?: boolean } = {},
): Promise<boolean> {
  const clear = {
    sql: 'delete from counters where key = ? and pending <= 1 and (locked_until is null or locked_until <= ?)',
    bindings: [key, now],
  };
  if (along.length || opts.relaxed) return (await whenChanged(db, clear, along, opts)) > 0;
  return (await runStatement(db, clear.sql, clear.bindings)).rowCount > 0;
}

/** Deletes the counter when it holds nothing (after a success cleared it); a racing attempt keeps it. */
export async function dropIfEmpty(db: Tx, key: string, now: Date): Promise<void> {
  await db('counters')
    .where({ key, hits: 0, pending: 0, lock_count: 0 })
    .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<=', now))
    .delete();
}

export async function readCounter(db: Tx, key: string): Promise<CounterState> {
  const r = await db('counters').where({ key }).first();
  return r ? fromRow(r) : EMPTY_COUNTER;
}

/** Forgets counters (an administrator's unlock, a successful reset). */
export async function clearCounters(db: Tx, keys: string[]): Promise<number> {
  if (!keys.length) return 0;
  return affected(await db('counters').whereIn('key', keys).delete());
}

/** Forgets every counter of an account (a successful reset), and these keys too. */
export async function clearUserCounters(db: Tx, userId: string, keys: string[] = []): Promise<number> {
  const n = affected(await db('counters').where({ user_id: userId }).delete());
  return n + (await clearCounters(db, keys));
}

/**
 * Deletes counters that no longer hold anything: not locked, nothing in flight, and their window over.
 * Counters without a window go when empty; the memory of past locks (which makes the next lock longer)
 * is kept for a day after the last change.
 */
export async function sweepCounters(db: Tx, now: Date, limits?: SweepLimits): Promise<number> {
  const dayAgo = new Date(now.getTime() - 24 * 3600_000);
  return deleteInBatches(
    db,
    'counters',
    'key',
    (q) =>
      q
        .where('pending', 0)
        .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<=', now))
        .andWhere((q) =>
          q.where('window_ends', '<=', now).orWhere((q2) =>
            q2
              .whereNull('window_ends')
              .andWhere('hits', 0)
              .andWhere((q3) => q3.where('lock_count', 0).orWhere('updated_at', '<', dayAgo)),
          ),
        ),
    limits,
  );
}

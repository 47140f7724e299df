import crypto from 'node:crypto';
import type { Db, Tx } from '../db/knex.ts';
import { type AuditEvent, recordAuditMany } from './audit.ts';
import type { SweepLimits } from './sweep.ts';

/**
 * Reset sessions (table `reset_sessions`, SSPR.md §3): one row per "Can't access your account?" run,
 * with the stage the reset state machine (flows/reset/machine.ts) last reached. Every change goes
 * through `changeResetSession`, which takes the row with FOR UPDATE: parallel requests of one session
 * apply their transitions one after the other, each to the state the previous one left.
 */

/** The stored stage; `expired` is `expiresAt` passing, never stored. */
export type ResetSessionStage = 'verifying' | 'passed' | 'finished';

export interface ResetSession {
  id: string;
  /** HMAC of the browser's secret. */
  bind: string;
  login: string;
  userId: string | null;
  interaction: string | null;
  stage: ResetSessionStage;
  /** Gates passed (credential kinds), and the methods that passed them, in order. */
  gates: string[];
  methods: string[];
  /** Methods whose reset pre-step passed. */
  prechecked: string[];
  /** The method in progress (its pre-step passed, no gate passed since). */
  activeMethod: string | null;
  startedAt: Date;
  expiresAt: Date;
}

/** What a transition may change. */
export type ResetSessionChange = Pick<
  ResetSession,
  'stage' | 'gates' | 'methods' | 'prechecked' | 'activeMethod'
>;

const TABLE = 'reset_sessions';

const list = (v: unknown): string[] => {
  const x = typeof v === 'string' ? JSON.parse(v) : v;
  return Array.isArray(x) ? x.filter((e): e is string => typeof e === 'string') : [];
};

function fromRow(r: any): ResetSession {
  return {
    id: r.id,
    bind: r.bind,
    login: r.login,
    userId: r.user_id ?? null,
    interaction: r.interaction ?? null,
    stage: r.stage,
    gates: list(r.gates),
    methods: list(r.methods),
    prechecked: list(r.prechecked),
    activeMethod: r.active_method ?? null,
    startedAt: new Date(r.started_at),
    expiresAt: new Date(r.expires_at),
  };
}

const changeRow = (c: ResetSessionChange, now: Date) => ({
  stage: c.stage,
  gates: JSON.stringify(c.gates),
  methods: JSON.stringify(c.methods),
  prechecked: JSON.stringify(c.prechecked),
  active_method: c.activeMethod,
  updated_at: now,
});

/** Starts a session in stage `verifying`; it lives `ttlMs` from `now`. */
export async function createResetSession(
  db: Tx,
  s: Pick<ResetSession, 'bind' | 'login' | 'userId' | 'interaction'>,
  now: Date,
  ttlMs: number,
): Promise<ResetSession> {
  const [row] = await db(TABLE)
    .insert({
      id: crypto.randomUUID(),
      bind: s.bind,
      login: s.login,
      user_id: s.userId,
      interaction: s.interaction,
      ...changeRow({ stage: 'verifying', gates: [], methods: [], prechecked: [], activeMethod: null }, now),
      started_at: now,
      expires_at: new Date(now.getTime() + ttlMs),
    })
    .returning('*');
  return fromRow(row);
}

/** The session if it has not expired (finished or not: the caller decides). */
export async function findResetSession(db: Tx, id: string, now: Date): Promise<ResetSession | undefined> {
  const r = await db(TABLE).where({ id }).andWhere('expires_at', '>', now).first();
  return r ? fromRow(r) : undefined;
}

/**
 * Decides and applies one change to a live session under its row lock, in one short transaction:
 * `decide` sees the session as it is now (after any parallel request) and returns the change to
 * store, if any, with its result. `decide` must be pure (no I/O): the transaction waits on nothing
 * else. undefined when the session does not exist or has expired.
 */
export async function changeResetSession<T>(
  db: Db,
  id: string,
  now: Date,
  decide: (s: ResetSession) => { change?: ResetSessionChange; result: T },
): Promise<T | undefined> {
  return db.transaction(async (trx) => {
    const r = await trx(TABLE).where({ id }).andWhere('expires_at', '>', now).forUpdate().first();
    if (!r) return undefined;
    const { change, result } = decide(fromRow(r));
    if (change) await trx(TABLE).where({ id }).update(changeRow(change, now));
    return result;
  });
}

export const RESET_SWEEP_BATCH = 200;

/**
 * Deletes expired sessions in batches of `batch` rows (at most `maxBatches` per run), each batch in
 * one short transaction with SKIP LOCKED, so instances sweeping at once never take a row twice; an
 * unfinished session of a real user is recorded as an abandoned reset (SSPR.md §5), once, with a
 * single insert per batch. Returns the abandoned resets recorded.
 */
export async function sweepResetSessions(db: Db, now: Date, limits: SweepLimits = {}): Promise<number> {
  const batch = limits.batch ?? RESET_SWEEP_BATCH;
  let total = 0;
  for (let i = 0; i < (limits.maxBatches ?? 1); i++) {
    const { rows, abandoned } = await db.transaction(async (trx) => {
      const expired = (
        await trx(TABLE).where('expires_at', '<', now).limit(batch).forUpdate().skipLocked()
      ).map(fromRow);
      const events: AuditEvent[] = expired
        .filter((s) => s.stage !== 'finished' && s.userId)
        .map((s) => ({
          at: now,
          actorId: s.userId,
          subjectId: s.userId,
          activity: 'reset.attempt',
          result: 'abandoned',
          details: { gates: s.gates.length, methods: s.methods },
        }));
      await recordAuditMany(trx, events);
      if (expired.length)
        await trx(TABLE)
          .whereIn(
            'id',
            expired.map((s) => s.id),
          )
          .delete();
      return { rows: expired.length, abandoned: events.length };
    });
    total += abandoned;
    if (rows < batch) break;
  }
  return total;
}

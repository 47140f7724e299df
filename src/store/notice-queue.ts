import { affected, type Tx } from '../db/knex.ts';
import { claimDue } from './claims.ts';

/*
 * SQL of the durable notice queue (migrations/20261201030000_notice_queue.ts). A row is pending until
 * a worker sends it (done) or gives up on it (failed). Workers on any number of instances claim due
 * rows with FOR UPDATE SKIP LOCKED and move `due_at` forward by a lease, so two workers never hold
 * the same row, and a worker that died mid-send only delays the row until the lease ends.
 */

export type NoticeKind = 'email' | 'contact';
export type NoticeStatus = 'pending' | 'done' | 'failed';

export interface NewNotice {
  kind: NoticeKind;
  purpose: string;
  userId?: string | null;
  /** Already sealed by the caller (the store never sees recipients in the clear). */
  payload: string;
}

export interface ClaimedNotice {
  id: number;
  kind: NoticeKind;
  purpose: string;
  userId: string | null;
  payload: string;
  attempts: number;
  claim: string;
  createdAt: Date;
}

export interface NoticeRow {
  id: number;
  kind: NoticeKind;
  purpose: string;
  userId: string | null;
  login: string | null;
  status: NoticeStatus;
  attempts: number;
  dueAt: Date;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/** Queues one notice, due now; `db` may be the transaction of the event the notice is about. */
export async function enqueueNotice(db: Tx, n: NewNotice, now: Date): Promise<number> {
  const [row] = await db('notice_queue').insert(newRow(n, now)).returning('id');
  return Number(row?.id ?? row);
}

/** Queues several notices in one insert, all due now. */
export async function enqueueNotices(db: Tx, notices: readonly NewNotice[], now: Date): Promise<void> {
  if (!notices.length) return;
  await db('notice_queue').insert(notices.map((n) => newRow(n, now)));
}

/** A new notice's row: pending, due now, not tried yet. */
const newRow = (n: NewNotice, now: Date) => ({
  kind: n.kind,
  purpose: n.purpose,
  user_id: n.userId ?? null,
  payload: n.payload,
  status: 'pending',
  attempts: 0,
  due_at: now,
  created_at: now,
});

/**
 * Claims up to `limit` due pending rows for `leaseMs`: counts the attempt, stamps a fresh claim and
 * moves `due_at` to the end of the lease. One statement, so a row is claimed by one worker at a time.
 */
export async function claimDueNotices(
  db: Tx,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<ClaimedNotice[]> {
  const rows = await claimDue(
    db,
    {
      table: 'notice_queue',
      set: 'attempts = attempts + 1',
      where: "status = 'pending'",
      returning: 'id, kind, purpose, user_id, payload, attempts, created_at',
    },
    now,
    limit,
    leaseMs,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    purpose: r.purpose,
    userId: r.user_id ?? null,
    payload: r.payload,
    attempts: Number(r.attempts),
    claim: r.claim,
    createdAt: new Date(r.created_at),
  }));
}

/** The claimed row was sent (or, for a contact request, resolved). False when the claim was lost. */
export async function markNoticeSent(db: Tx, n: ClaimedNotice, now: Date): Promise<boolean> {
  const done = await db('notice_queue')
    .where({ id: n.id, claim: n.claim, status: 'pending' })
    .update({ status: 'done', claim: null, finished_at: now, last_error: null });
  return affected(done) === 1;
}

/** The attempt failed: try again at `retryAt`, or, when undefined, give up (status failed). */
export async function markNoticeFailed(
  db: Tx,
  n: ClaimedNotice,
  error: string,
  now: Date,
  retryAt: Date | undefined,
): Promise<boolean> {
  const patch = retryAt
    ? { due_at: retryAt, claim: null, last_error: error }
    : { status: 'failed', claim: null, last_error: error, finished_at: now };
  const done = await db('notice_queue').where({ id: n.id, claim: n.claim, status: 'pending' }).update(patch);
  return affected(done) === 1;
}

/** How many notices wait (pending) and how many finally failed and are still kept. */
export async function noticeQueueDepth(db: Tx): Promise<{ pending: number; failed: number }> {
  const rows = await db('notice_queue')
    .select('status')
    .count({ n: '*' })
    .whereIn('status', ['pending', 'failed'])
    .groupBy('status');
  const out = { pending: 0, failed: 0 };
  for (const r of rows as Array<{ status: NoticeStatus; n: string | number }>) {
    if (r.status === 'pending' || r.status === 'failed') out[r.status] = Number(r.n);
  }
  return out;
}

/** Notices by status, newest first, with the login of the account each is about. */
export async function listNotices(db: Tx, status: NoticeStatus, limit = 100): Promise<NoticeRow[]> {
  const rows = await db('notice_queue as n')
    .leftJoin('users as u', 'u.id', 'n.user_id')
    .where('n.status', status)
    .orderBy('n.created_at', 'desc')
    .orderBy('n.id', 'desc')
    .limit(limit)
    .select(
      'n.id',
      'n.kind',
      'n.purpose',
      'n.user_id',
      'u.login',
      'n.status',
      'n.attempts',
      'n.due_at',
      'n.last_error',
      'n.created_at',
      'n.finished_at',
    );
  return rows.map((r: any) => ({
    id: Number(r.id),
    kind: r.kind,
    purpose: r.purpose,
    userId: r.user_id ?? null,
    login: r.login ?? null,
    status: r.status,
    attempts: Number(r.attempts),
    dueAt: new Date(r.due_at),
    lastError: r.last_error ?? null,
    createdAt: new Date(r.created_at),
    finishedAt: r.finished_at ? new Date(r.finished_at) : null,
  }));
}

/**
 * Deletes one batch of finished rows: done ones finished before `sentBefore`, failed ones before
 * `failedBefore`. Rows are taken with SKIP LOCKED so instances never do the same work.
 */
export async function sweepNotices(db: Tx, sentBefore: Date, failedBefore: Date): Promise<number> {
  const ids = db('notice_queue')
    .select('id')
    .where((q) =>
      q
        .where((w) => w.where('status', 'done').andWhere('finished_at', '<', sentBefore))
        .orWhere((w) => w.where('status', 'failed').andWhere('finished_at', '<', failedBefore)),
    )
    .limit(500)
    .forUpdate()
    .skipLocked();
  return affected(await db('notice_queue').whereIn('id', ids).delete());
}

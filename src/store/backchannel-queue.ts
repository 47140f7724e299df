import { affected, type Tx } from '../db/knex.ts';
import { claimDue } from './claims.ts';

/*
 * SQL of the durable back-channel logout queue (migrations/20261205010000_backchannel_queue.ts). A row
 * is a logout still to deliver; it is deleted once delivered or given up. Workers on any number of
 * instances claim due rows with FOR UPDATE SKIP LOCKED and move `due_at` forward by a lease, so two
 * workers never hold the same row, and a worker that died mid-send only delays the row until the
 * lease ends.
 */

export interface QueuedLogout {
  clientId: string;
  sub: string;
  sid?: string;
  auditSubject?: string;
}

export interface ClaimedLogout extends QueuedLogout {
  id: number;
  attempt: number;
  claim: string;
}

/** Queues logouts for their attempt number `attempt`, due at `dueAt`; `db` may be a transaction. */
export async function enqueueLogouts(
  db: Tx,
  logouts: readonly QueuedLogout[],
  o: { attempt: number; dueAt: Date; now: Date; error?: string },
): Promise<void> {
  if (!logouts.length) return;
  await db('backchannel_logouts').insert(
    logouts.map((l) => ({
      client_id: l.clientId,
      sub: l.sub,
      sid: l.sid ?? null,
      audit_subject: l.auditSubject ?? null,
      attempt: o.attempt,
      due_at: o.dueAt,
      last_error: o.error ?? null,
      created_at: o.now,
    })),
  );
}

/** Claims up to `limit` due rows for `leaseMs` (one statement: a row is claimed by one worker at a time). */
export async function claimDueLogouts(
  db: Tx,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<ClaimedLogout[]> {
  const rows = await claimDue(
    db,
    { table: 'backchannel_logouts', returning: 'id, client_id, sub, sid, audit_subject, attempt' },
    now,
    limit,
    leaseMs,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    clientId: r.client_id,
    sub: r.sub,
    sid: r.sid ?? undefined,
    auditSubject: r.audit_subject ?? undefined,
    attempt: Number(r.attempt),
    claim: r.claim,
  }));
}

/** The claimed row is finished (delivered, or given up): removes it. False when the claim was lost. */
export async function finishLogout(db: Tx, l: ClaimedLogout): Promise<boolean> {
  return affected(await db('backchannel_logouts').where({ id: l.id, claim: l.claim }).delete()) === 1;
}

/** The attempt failed and another follows at `retryAt`. False when the claim was lost. */
export async function retryLogout(db: Tx, l: ClaimedLogout, error: string, retryAt: Date): Promise<boolean> {
  const n = await db('backchannel_logouts')
    .where({ id: l.id, claim: l.claim })
    .update({ attempt: l.attempt + 1, due_at: retryAt, claim: null, last_error: error });
  return affected(n) === 1;
}

/** Logouts waiting in the queue (metrics, tests). */
export async function pendingLogouts(db: Tx): Promise<number> {
  const [row] = await db('backchannel_logouts').count({ n: '*' });
  return Number((row as { n: string | number }).n);
}

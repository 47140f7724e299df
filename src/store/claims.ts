import crypto from 'node:crypto';
import type { Tx } from '../db/knex.ts';

/** What a queue table's claim changes and returns: SQL fragments fixed by the calling store module. */
export interface ClaimSpec {
  table: string;
  /** Extra assignments besides the claim and the lease, e.g. `attempts = attempts + 1`. */
  set?: string;
  /** Extra condition besides being due, e.g. `status = 'pending'`. */
  where?: string;
  /** The columns to return (the claim is always among them). */
  returning: string;
}

/**
 * Claims up to `limit` due rows of a queue table for `leaseMs`: one statement that marks them with a
 * fresh claim token and moves `due_at` to the end of the lease, taking them `FOR UPDATE SKIP LOCKED`,
 * so concurrent workers (other instances, other processes) never claim the same row. A worker that
 * dies leaves the row due again when the lease ends. Rows come back in id order.
 */
export async function claimDue(
  db: Tx,
  spec: ClaimSpec,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<any[]> {
  const claim = crypto.randomBytes(12).toString('base64url');
  const set = spec.set ? `${spec.set}, ` : '';
  const where = spec.where ? `${spec.where} and ` : '';
  const res = await db.raw(
    `update ${spec.table} set ${set}claim = ?, due_at = ?
     where id in (
       select id from ${spec.table} where ${where}due_at <= ?
       order by due_at, id limit ? for update skip locked)
     returning ${spec.returning}, claim`,
    [claim, new Date(now.getTime() + leaseMs), now, limit],
  );
  const rows: any[] = (res as { rows?: any[] }).rows ?? [];
  return rows.sort((a, b) => Number(a.id) - Number(b.id));
}

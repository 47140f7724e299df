import { affected, type Tx } from '../db/knex.ts';
import { type AuditRow, auditFromRow } from './audit.ts';
import { type Credential, fromRow as credentialFromRow } from './credentials.ts';

/** Reading the audit log for administrators: filters, keyset paging, retention, report inputs. */

export interface AuditFilter {
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  /** Matches events where the user is the subject or the actor. */
  userId?: string;
  /** Exact activity, or a prefix when it ends with '*' (e.g. "admin.*"). */
  activity?: string;
  result?: string;
  /** Keyset paging: only events with a smaller id (the previous page's last id). */
  beforeId?: number;
  /** Snapshot bound: only events with an id at most this (an export sees what the listing saw). */
  maxId?: number;
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * How far `at` may run against `id` order: an event's time is taken just before its insert, so two
 * events are never out of order by more than a transaction's length. Time bounds become id bounds
 * through the `at` index with this margin; the exact `at` predicates stay, so the bounds only narrow
 * the primary-key walk and never change which rows match.
 */
export const AUDIT_SKEW_MS = 3_600_000;
const MAX_ID = '9223372036854775807';

function filtered(db: Tx, f: AuditFilter) {
  const q = unfilteredByUser(db, f);
  // Two index reads, (subject_id, id) and (actor_id, id), instead of an OR that scans the table.
  if (f.userId)
    q.whereRaw(
      'id in (select s.id from audit_events s where s.subject_id = ? union all select a.id from audit_events a where a.actor_id = ?)',
      [f.userId, f.userId],
    );
  return q;
}

/** Every filter but the user's. */
function unfilteredByUser(db: Tx, f: AuditFilter) {
  const q = db('audit_events');
  if (f.from) {
    q.where('at', '>=', f.from);
    const before = new Date(f.from.getTime() - AUDIT_SKEW_MS);
    q.whereRaw(
      'id > coalesce((select b.id from audit_events b where b.at < ? order by b.at desc limit 1), 0)',
      [before],
    );
  }
  if (f.to) {
    q.where('at', '<', f.to);
    const after = new Date(f.to.getTime() + AUDIT_SKEW_MS);
    q.whereRaw('id < coalesce((select b.id from audit_events b where b.at >= ? order by b.at limit 1), ?)', [
      after,
      MAX_ID,
    ]);
  }
  if (f.activity) {
    if (f.activity.endsWith('*'))
      q.whereRaw("activity like ? escape '\\'", [`${likeEscape(f.activity.slice(0, -1))}%`]);
    else q.where('activity', f.activity);
  }
  if (f.result) q.where('result', f.result);
  if (f.beforeId !== undefined) q.where('id', '<', f.beforeId);
  if (f.maxId !== undefined) q.where('id', '<=', f.maxId);
  return q;
}

/**
 * Newest first. Filtered by a user, each side (the user as subject, as actor) walks its own
 * (subject_id, id) or (actor_id, id) index newest first and stops at `limit`; the actor side leaves
 * out what the subject side has (the user as both), so the two add up exactly. An administrator
 * with a long history costs `limit` rows per side, not the whole history.
 */
export async function queryAudit(db: Tx, f: AuditFilter, limit: number): Promise<AuditRow[]> {
  if (!f.userId) {
    const rows = await filtered(db, f).orderBy('id', 'desc').limit(limit);
    return rows.map(auditFromRow);
  }
  const asSubject = unfilteredByUser(db, f).where('subject_id', f.userId).orderBy('id', 'desc').limit(limit);
  const asActor = unfilteredByUser(db, f)
    .where('actor_id', f.userId)
    .whereRaw('subject_id is distinct from ?', [f.userId])
    .orderBy('id', 'desc')
    .limit(limit);
  const r = await db.raw('select * from (? union all ?) e order by id desc limit ?', [
    asSubject,
    asActor,
    limit,
  ]);
  return (r.rows as unknown[]).map(auditFromRow);
}

export async function countAudit(db: Tx, f: AuditFilter): Promise<number> {
  const [r] = await filtered(db, f).count<{ c: string | number }[]>({ c: '*' });
  return Number(r.c);
}

export async function maxAuditId(db: Tx): Promise<number> {
  const r = await db('audit_events').max<{ m: string | number | null }>({ m: 'id' }).first();
  return Number(r?.m ?? 0);
}

/** Every matching event, newest first, in batches (for the CSV export). */
export async function* iterateAudit(db: Tx, f: AuditFilter, batch = 1000): AsyncGenerator<AuditRow> {
  let beforeId = f.beforeId;
  for (;;) {
    const rows = await queryAudit(db, { ...f, beforeId }, batch);
    for (const r of rows) yield r;
    if (rows.length < batch) return;
    beforeId = rows[rows.length - 1].id;
  }
}

/**
 * Deletes one batch of events older than the cutoff; rows are taken with SKIP LOCKED so instances
 * sweeping at the same time never do the same work.
 */
export async function deleteAuditBefore(db: Tx, cutoff: Date, batch = 1000): Promise<number> {
  const ids = db('audit_events')
    .select('id')
    .where('at', '<', cutoff)
    .orderBy('at')
    .limit(batch)
    .forUpdate()
    .skipLocked();
  return affected(await db.raw(`delete from audit_events where id in (${ids.toQuery()})`));
}

/** Events of some activities since a time, oldest first, with the columns the reports read. */
export async function auditSince(
  db: Tx,
  activities: string[],
  from: Date,
  to: Date,
): Promise<Array<Pick<AuditRow, 'at' | 'activity' | 'result' | 'details' | 'subjectId'>>> {
  const rows = await db('audit_events')
    .whereIn('activity', activities)
    .where('at', '>=', from)
    .where('at', '<', to)
    .orderBy('at')
    .select('at', 'activity', 'result', 'details', 'subject_id');
  return rows.map((r: any) => ({
    at: new Date(r.at),
    activity: r.activity,
    result: r.result,
    details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
    subjectId: r.subject_id,
  }));
}

/**
 * The credentials of active users, for the reports only: `data` is loaded because a method decides
 * from it whether a credential is usable (a text needs a mobile phone); nothing of it is shown.
 */
export async function credentialsOfActiveUsers(db: Tx): Promise<Credential[]> {
  const rows = await db('credentials')
    .join('users', 'users.id', 'credentials.user_id')
    .where('users.status', 'active')
    .select('credentials.*');
  return rows.map(credentialFromRow);
}

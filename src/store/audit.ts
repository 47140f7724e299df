import type { Tx } from '../db/knex.ts';
import type { MessageKey } from '../i18n/index.ts';
import type { RideAlong } from './together.ts';

/**
 * Every activity an audit event can record: the codes with an `activity.<code>` label in the message
 * catalogue (src/i18n/en/activity.ts, and ja/ is type-checked against en/), so an event can only be recorded
 * under a name the portal and the audit log can show in both languages. A new activity is added by
 * adding its two labels. test/unit/activity-labels.test.ts checks the other direction: every code the
 * source records is in this union.
 */
export type Activity = MessageKey extends infer K ? (K extends `activity.${infer A}` ? A : never) : never;

/** Every result an audit event can record (the reports and the audit filter list them in this order). */
export const AUDIT_RESULTS = [
  'succeeded',
  'failed',
  'blocked',
  'cancelled',
  'abandoned',
  'contacted_admin',
] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export interface AuditEvent {
  at: Date;
  actorId?: string | null;
  subjectId?: string | null;
  activity: Activity;
  result: AuditResult;
  reason?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown> | null;
}

type AuditObserver = (e: AuditEvent) => void;
const observers = new Set<AuditObserver>();

/** Sees every audit event this process records (metrics count them); returns the unsubscribe. */
export function observeAudit(fn: AuditObserver): () => void {
  observers.add(fn);
  return () => observers.delete(fn);
}

export async function recordAudit(db: Tx, e: AuditEvent): Promise<void> {
  await insertAudit(db, e);
  auditRecorded(e);
}

/**
 * The insert of `e` as a write that rides along with another statement (store/together.ts); once
 * that statement says it was made, the caller reports it with auditRecorded().
 */
export function auditAlong(e: AuditEvent): RideAlong {
  return { table: 'audit_events', insert: auditRow(e) };
}

/** Tells the observers about an event recorded through auditAlong(). */
export function auditRecorded(e: AuditEvent): void {
  for (const fn of observers) fn(e);
}

/** Several events in one insert (the sweep's abandoned resets); observers see each. */
export async function recordAuditMany(db: Tx, events: AuditEvent[]): Promise<void> {
  if (!events.length) return;
  await db('audit_events').insert(events.map(auditRow));
  for (const e of events) for (const fn of observers) fn(e);
}

async function insertAudit(db: Tx, e: AuditEvent): Promise<void> {
  await db('audit_events').insert(auditRow(e));
}

function auditRow(e: AuditEvent) {
  return {
    at: e.at,
    actor_id: e.actorId ?? null,
    subject_id: e.subjectId ?? null,
    activity: e.activity,
    result: e.result,
    reason: e.reason ?? null,
    ip: e.ip ?? null,
    user_agent: e.userAgent ? e.userAgent.slice(0, 512) : null,
    details: e.details ? JSON.stringify(e.details) : null,
  };
}

export interface AuditRow extends AuditEvent {
  id: number;
}

export async function listAudit(
  db: Tx,
  f: { subjectId?: string; activity?: string; result?: string; limit?: number } = {},
): Promise<AuditRow[]> {
  const q = db('audit_events')
    .orderBy('id', 'desc')
    .limit(f.limit ?? 100);
  if (f.subjectId) q.where({ subject_id: f.subjectId });
  if (f.activity) q.where({ activity: f.activity });
  if (f.result) q.where({ result: f.result });
  const rows = await q;
  return rows.map(auditFromRow);
}

/** An `audit_events` row as an AuditRow (also used by store/audit-query.ts). */
export function auditFromRow(r: any): AuditRow {
  return {
    id: Number(r.id),
    at: new Date(r.at),
    actorId: r.actor_id,
    subjectId: r.subject_id,
    activity: r.activity,
    result: r.result,
    reason: r.reason,
    ip: r.ip,
    userAgent: r.user_agent,
    details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
  };
}

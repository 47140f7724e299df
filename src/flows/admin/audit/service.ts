import { z } from 'zod';
import type { Clock } from '../../../clock.ts';
import type { Db, Tx } from '../../../db/knex.ts';
import { AUDIT_RESULTS, type AuditRow } from '../../../store/audit.ts';
import {
  type AuditFilter,
  deleteAuditBefore,
  iterateAudit,
  maxAuditId,
  queryAudit,
} from '../../../store/audit-query.ts';
import { SWEEP_MAX_BATCHES } from '../../../store/sweep.ts';
import { findUserById, findUserByLogin, loginsByIds } from '../../../store/users.ts';
import { type Actor, requirePermission } from '../permissions.ts';
import { readPolicy } from '../policy/service.ts';
import { type AdminDeps, audit, UUID } from '../shared.ts';
import { parseOrThrow } from '../validation.ts';

export { AUDIT_RESULTS };

const dateParam = z
  .string()
  .max(40)
  .refine((v) => !Number.isNaN(Date.parse(v)), { params: { key: 'admin.audit.badDate' } })
  .transform((v) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v));

/** Filters as given in a query string or a form: dates (ISO), a user (id or login), activity, result. */
export const auditQuerySchema = z.object({
  from: z.union([z.literal(''), dateParam]).optional(),
  to: z.union([z.literal(''), dateParam]).optional(),
  user: z.string().max(256).optional(),
  activity: z
    .string()
    .max(100)
    .regex(/^[a-z0-9_.]*\*?$/)
    .optional(),
  result: z.union([z.literal(''), z.enum(AUDIT_RESULTS)]).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  before: z.coerce.number().int().min(1).optional(),
});
export type AuditQuery = z.output<typeof auditQuerySchema>;

/** Turns query parameters into a store filter; a date given as YYYY-MM-DD for `to` includes that day. */
export async function auditFilter(db: Tx, q: AuditQuery): Promise<AuditFilter | undefined> {
  const f: AuditFilter = {};
  if (q.from instanceof Date) f.from = q.from;
  if (q.to instanceof Date) f.to = q.to;
  if (q.user) {
    const u = UUID.test(q.user) ? await findUserById(db, q.user) : await findUserByLogin(db, q.user);
    // An unknown user matches nothing (but an id of a deleted user still matches its events).
    f.userId = u?.id ?? (UUID.test(q.user) ? q.user : '00000000-0000-0000-0000-000000000000');
  }
  if (q.activity) f.activity = q.activity;
  if (q.result) f.result = q.result;
  return f;
}

export function parseAuditQuery(raw: Record<string, unknown>): AuditQuery {
  const q = parseOrThrow(
    auditQuerySchema,
    Object.fromEntries(Object.entries(raw).filter(([k]) => k in auditQuerySchema.shape)),
  );
  // A plain date as the end of the range means "through that day".
  const toRaw = raw.to;
  if (q.to instanceof Date && typeof toRaw === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(toRaw)) {
    q.to = new Date(q.to.getTime() + 86_400_000);
  }
  return q;
}

export interface AuditView {
  id: number;
  at: string;
  actorId: string | null;
  actor: string | null;
  subjectId: string | null;
  subject: string | null;
  activity: string;
  result: string;
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
}

async function loginsOf(db: Tx, ids: Iterable<string | null | undefined>): Promise<Map<string, string>> {
  const uuids = [...new Set([...ids].filter((x): x is string => !!x && UUID.test(x)))];
  return loginsByIds(db, uuids);
}

async function views(db: Tx, rows: AuditRow[]): Promise<AuditView[]> {
  const logins = await loginsOf(
    db,
    rows.flatMap((r) => [r.actorId, r.subjectId]),
  );
  const name = (id: string | null | undefined) => (id ? (logins.get(id) ?? id) : null);
  return rows.map((r) => ({
    id: r.id,
    at: r.at.toISOString(),
    actorId: r.actorId ?? null,
    actor: name(r.actorId),
    subjectId: r.subjectId ?? null,
    subject: name(r.subjectId),
    activity: r.activity,
    result: r.result,
    reason: r.reason ?? null,
    ip: r.ip ?? null,
    userAgent: r.userAgent ?? null,
    details: r.details ?? null,
  }));
}

export async function listAuditEvents(
  deps: AdminDeps,
  actor: Actor,
  q: AuditQuery,
): Promise<{ events: AuditView[]; next: number | null }> {
  requirePermission(actor, 'audit.read');
  const f = await auditFilter(deps.db, q);
  const limit = q.limit ?? 100;
  const rows = f ? await queryAudit(deps.db, { ...f, beforeId: q.before }, limit) : [];
  return {
    events: await views(deps.db, rows),
    next: rows.length === limit ? rows[rows.length - 1].id : null,
  };
}

/** "Contact an administrator" requests, for the helpdesk. */
export async function listContactRequests(deps: AdminDeps, actor: Actor, limit = 100): Promise<AuditView[]> {
  requirePermission(actor, 'contacts.read');
  return views(deps.db, await queryAudit(deps.db, { result: 'contacted_admin' }, limit));
}

const FORMULA = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; a cell a spreadsheet
 * would run as a formula (= + - @, tab, CR, and their full-width forms) is prefixed with a quote.
 */
export function csvCell(value: unknown): string {
  let s =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = [
  'id',
  'time',
  'actor_id',
  'actor',
  'subject_id',
  'subject',
  'activity',
  'result',
  'reason',
  'ip',
  'user_agent',
  'details',
];

export function csvRow(e: AuditView): string {
  return [
    e.id,
    e.at,
    e.actorId,
    e.actor,
    e.subjectId,
    e.subject,
    e.activity,
    e.result,
    e.reason,
    e.ip,
    e.userAgent,
    e.details,
  ]
    .map(csvCell)
    .join(',');
}

/**
 * The audit events a filter selects, as CSV lines (with a byte-order mark so spreadsheets read
 * UTF-8). The export is recorded first, but the file holds only events up to the moment it was
 * asked for, so it shows what the filtered listing showed.
 */
export async function exportAuditCsv(
  deps: AdminDeps,
  actor: Actor,
  q: AuditQuery,
): Promise<AsyncGenerator<string>> {
  requirePermission(actor, 'audit.read');
  const f = await auditFilter(deps.db, q);
  const snapshot = await maxAuditId(deps.db);
  await audit(deps.db, deps, actor, 'admin.audit.export', null, {
    filter: {
      from: q.from instanceof Date ? q.from.toISOString() : undefined,
      to: q.to instanceof Date ? q.to.toISOString() : undefined,
      user: q.user || undefined,
      activity: q.activity || undefined,
      result: q.result || undefined,
    },
  });
  const db = deps.db;
  return (async function* lines() {
    yield `\uFEFF${CSV_COLUMNS.join(',')}\r\n`;
    if (!f) return;
    let batch: AuditRow[] = [];
    const flush = async function* () {
      for (const v of await views(db, batch)) yield `${csvRow(v)}\r\n`;
      batch = [];
    };
    for await (const row of iterateAudit(db, { ...f, maxId: snapshot })) {
      batch.push(row);
      if (batch.length >= 500) yield* flush();
    }
    yield* flush();
  })();
}

// ---------------------------------------------------------------- retention

/**
 * Deletes audit events older than the retention setting (0 keeps them forever), in batches taken
 * with SKIP LOCKED; meant for the background sweep of every instance. Returns how many went.
 */
export async function sweepAuditRetention(deps: { db: Db; clock: Clock }): Promise<number> {
  const { auditRetentionDays } = await readPolicy(deps.db);
  if (!auditRetentionDays) return 0;
  const cutoff = new Date(deps.clock.now().getTime() - auditRetentionDays * 86_400_000);
  // Bounded per run (issue 12): 1,000-event transactions through the `at` index, 50 at most.
  let total = 0;
  for (let i = 0; i < SWEEP_MAX_BATCHES; i++) {
    const n = await deps.db.transaction((trx) => deleteAuditBefore(trx, cutoff));
    total += n;
    if (n < 1000) break;
  }
  return total;
}

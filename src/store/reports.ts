import type { Knex } from 'knex';
import type { Tx } from '../db/knex.ts';

/**
 * The report inputs, read from rollup tables the database keeps current with triggers in the writing
 * transaction (issue 12, migration 20261203120000): active users per (roles, groups, credential
 * classes), and reset events per UTC day (by result, and by method). A report reads a few hundred
 * rows, O(days x activities), whatever the size of the directory and the audit log.
 *
 * Whether a credential is usable depends on its data for two kinds (a text needs a mobile phone; a
 * question set needs a well-formed list). The database sorts every credential into a class that
 * captures exactly that (kept per user in users.credential_summary by a trigger, migration
 * 20261202020100), and the report asks the method registry about one representative credential
 * per class (see `representative`); test/integration/report-sql.test.ts checks that each class
 * gives the same answer as the registry on real credentials.
 */

/** A credential's kind and data standing for its class (nothing of it is real). */
export function representative(cls: string): { kind: string; data: Record<string, unknown> } {
  if (cls === 'phone:mobile') return { kind: 'phone', data: { e164: '+10000000000', type: 'mobile' } };
  if (cls === 'phone:alternate') return { kind: 'phone', data: { e164: '+10000000000', type: 'alternate' } };
  if (cls === 'questions')
    return {
      kind: 'questions',
      data: { questions: [1, 2, 3].map((i) => ({ id: `q${i}`, hash: 'x' })) },
    };
  const [kind] = cls.split(':');
  return { kind, data: {} };
}

export interface SubjectClassCount {
  roles: string[];
  groups: string[];
  /** The credentials of these users counted per class (empty: nothing registered). */
  summary: Record<string, number>;
  users: number;
}

const arr = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? JSON.parse(v) : [];
const obj = (v: unknown): any => (typeof v === 'string' ? JSON.parse(v) : v);

/**
 * Active users counted by (roles, groups, credential summary): the rollup table report_subjects,
 * kept by triggers on users (migration 20261203120000), a few hundred rows whatever the directory's
 * size. Signatures no user has any more stay with 0 and are left out.
 */
export async function activeUsersBySummary(db: Tx): Promise<SubjectClassCount[]> {
  const rows = await db('report_subjects')
    .where('users', '>', 0)
    .select('roles', 'groups', 'summary', 'users');
  return rows.map((x: any) => ({
    roles: obj(x.roles),
    groups: arr(x.groups),
    summary: obj(x.summary) ?? {},
    users: Number(x.users),
  }));
}

/** The UTC day of a window bound; the rollups count whole UTC days, so a bound must be a midnight. */
function dayBound(d: Date): string {
  if (d.getTime() % 86_400_000 !== 0) throw new Error('report windows start and end at midnight UTC');
  return d.toISOString().slice(0, 10);
}

/** Completed resets per UTC day in [from, to) (UTC midnights), from the daily rollup. */
export async function resetsByDay(db: Tx, from: Date, to: Date): Promise<Map<string, number>> {
  const rows = await db('report_audit_daily')
    .where({ activity: 'reset.complete', result: 'succeeded' })
    .andWhere('day', '>=', dayBound(from))
    .andWhere('day', '<', dayBound(to))
    .andWhere('n', '>', 0)
    .select(db.raw("to_char(day, 'YYYY-MM-DD') as day"), 'n');
  return new Map(rows.map((x: any) => [x.day, Number(x.n)]));
}

/** Completed resets per method named in their details (each method once per reset), from the rollup. */
export async function resetsByMethod(db: Tx, from: Date, to: Date): Promise<Map<string, number>> {
  return sumsBy(db, db('report_reset_methods'), 'method', from, to);
}

/** Reset attempts per result in [from, to) (UTC midnights), from the daily rollup. */
export async function attemptsByResult(db: Tx, from: Date, to: Date): Promise<Map<string, number>> {
  return sumsBy(db, db('report_audit_daily').where({ activity: 'reset.attempt' }), 'result', from, to);
}

/** A daily rollup's counts (`n`) in [from, to) summed per value of `column`; only sums above zero. */
async function sumsBy(
  db: Tx,
  rollup: Knex.QueryBuilder,
  column: string,
  from: Date,
  to: Date,
): Promise<Map<string, number>> {
  const rows = await rollup
    .andWhere('day', '>=', dayBound(from))
    .andWhere('day', '<', dayBound(to))
    .groupBy(column)
    .havingRaw('sum(n) > 0')
    .select(column, db.raw('sum(n) as n'));
  return new Map(rows.map((x: any) => [x[column], Number(x.n)]));
}

import type { Tx } from '../db/knex.ts';

/**
 * The report inputs as aggregates computed by the database (issue 12): a 200,000-user directory
 * answers in a few hundred milliseconds and Node holds a few hundred rows, never the directory.
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
 * Active users counted by (roles, groups, credential summary): one pass over the users table (the
 * summary is the rollup kept by the credentials trigger), a few hundred rows out.
 */
export async function activeUsersBySummary(db: Tx): Promise<SubjectClassCount[]> {
  const r = await db.raw(`
    with grp as (
      select gm.user_id, array_agg(g.name order by g.name) as groups
      from group_members gm join groups g on g.id = gm.group_id
      group by gm.user_id
    )
    select u.roles, coalesce(grp.groups, '{}') as groups, u.credential_summary as summary, count(*) as users
    from users u left join grp on grp.user_id = u.id
    where u.status = 'active'
    group by 1, 2, 3`);
  return r.rows.map((x: any) => ({
    roles: obj(x.roles),
    groups: arr(x.groups),
    summary: obj(x.summary) ?? {},
    users: Number(x.users),
  }));
}

/** Completed resets per UTC day in [from, to). */
export async function resetsByDay(db: Tx, from: Date, to: Date): Promise<Map<string, number>> {
  const r = await db.raw(
    `select to_char(at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*) as n
     from audit_events
     where activity = 'reset.complete' and result = 'succeeded' and at >= ? and at < ?
     group by 1`,
    [from, to],
  );
  return new Map(r.rows.map((x: any) => [x.day, Number(x.n)]));
}

/** Completed resets per method named in their details (each method once per reset). */
export async function resetsByMethod(db: Tx, from: Date, to: Date): Promise<Map<string, number>> {
  const r = await db.raw(
    `select m.method, count(*) as n
     from audit_events e,
       lateral (select distinct x #>> '{}' as method
                from jsonb_array_elements(case when jsonb_typeof(e.details->'methods') = 'array'
                                               then e.details->'methods' else '[]'::jsonb end) x
                where jsonb_typeof(x) = 'string' and length(x #>> '{}') <= 40) m
     where e.activity = 'reset.complete' and e.result = 'succeeded' and e.at >= ? and e.at < ?
     group by m.method`,
    [from, to],
  );
  return new Map(r.rows.map((x: any) => [x.method, Number(x.n)]));
}

/** Reset attempts per result in [from, to). */
export async function attemptsByResult(db: Tx, from: Date, to: Date): Promise<Map<string, number>> {
  const r = await db.raw(
    `select result, count(*) as n from audit_events
     where activity = 'reset.attempt' and at >= ? and at < ? group by result`,
    [from, to],
  );
  return new Map(r.rows.map((x: any) => [x.result, Number(x.n)]));
}

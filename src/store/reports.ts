import type { Tx } from '../db/knex.ts';

/**
 * The report inputs as aggregates computed by the database (issue 12): a 200,000-user directory
 * answers in a few hundred milliseconds and Node holds a few hundred rows, never the directory.
 *
 * Whether a credential is usable depends on its data for two kinds (a text needs a mobile phone; a
 * question set needs a well-formed list). The database sorts every credential into a class that
 * captures exactly that, and the report asks the method registry about one representative credential
 * per class (see `representative`); test/integration/report-sql.test.ts checks that each class
 * gives the same answer as the registry on real credentials.
 */

/** A class per credential: the kind, refined by what the methods' `accepts` look at. */
const CLASS_SQL = `case
  when c.kind = 'phone' then
    case when c.data->>'e164' ~ '^\\+[1-9][0-9]{6,14}$'
      then 'phone:' || case when c.data->>'type' = 'mobile' then 'mobile' else 'alternate' end
      else 'phone:invalid' end
  when c.kind = 'questions' then
    case when jsonb_typeof(c.data->'questions') = 'array'
      and jsonb_array_length(c.data->'questions') between 3 and 5
      and not exists (
        select 1 from jsonb_array_elements(c.data->'questions') q
        where jsonb_typeof(q) <> 'object'
          or coalesce(jsonb_typeof(q->'id'), '') <> 'string'
          or coalesce(jsonb_typeof(q->'hash'), '') <> 'string'
          or (q->'text' is not null and jsonb_typeof(q->'text') <> 'string'))
      then 'questions' else 'questions:invalid' end
  else c.kind end`;

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
  /** Distinct credential classes of these users (empty: nothing registered). */
  classes: string[];
  users: number;
}

const arr = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? JSON.parse(v) : [];

/** Active users counted by (roles, groups, credential classes): a few hundred rows at most. */
export async function activeUsersByClasses(db: Tx): Promise<SubjectClassCount[]> {
  const r = await db.raw(`
    with creds as (
      select c.user_id, array_agg(distinct ${CLASS_SQL} order by ${CLASS_SQL}) as classes
      from credentials c join users u on u.id = c.user_id and u.status = 'active'
      group by c.user_id
    ), grp as (
      select gm.user_id, array_agg(g.name order by g.name) as groups
      from group_members gm join groups g on g.id = gm.group_id
      group by gm.user_id
    )
    select u.roles, coalesce(grp.groups, '{}') as groups, coalesce(creds.classes, '{}') as classes,
           count(*) as users
    from users u left join creds on creds.user_id = u.id left join grp on grp.user_id = u.id
    where u.status = 'active'
    group by 1, 2, 3`);
  return r.rows.map((x: any) => ({
    roles: typeof x.roles === 'string' ? JSON.parse(x.roles) : x.roles,
    groups: arr(x.groups),
    classes: arr(x.classes),
    users: Number(x.users),
  }));
}

/** Per stored kind, over active users: how many users have one and how many are registered. */
export async function credentialKindCounts(
  db: Tx,
): Promise<Array<{ kind: string; users: number; registered: number }>> {
  const r = await db.raw(`
    select per.kind, count(*) as users, sum(per.n) as registered
    from (select c.kind, c.user_id, count(*) as n
          from credentials c join users u on u.id = c.user_id and u.status = 'active'
          group by c.kind, c.user_id) per
    group by per.kind`);
  return r.rows.map((x: any) => ({ kind: x.kind, users: Number(x.users), registered: Number(x.registered) }));
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

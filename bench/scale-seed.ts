/**
 * The bulk seeding of `npm run bench:scale` (issue 12): users with their methods and groups, and the
 * audit log, generated in SQL (generate_series: no rows pass through Node), as fast as a restore:
 *
 * - the four loaded tables lose their secondary indexes and their constraints (unique, foreign keys,
 *   and primary keys no foreign key points at) for the load; each index is then built with one sort,
 *   and the constraints come back from the catalog's own definitions, so the schema ends as migrated;
 * - the rollup triggers are off during the load; the columns they keep on users (credential_summary,
 *   group_names) are written with the users, and tobira_report_rollups_rebuild() fills the report
 *   tables once at the end (for small sizes the seed checks these columns against the triggers);
 * - each user's id is computed once (md5('user' || n), a table of 200,000 rows), not once per row
 *   that names the user;
 * - the seeding connections run with synchronous_commit off and a large maintenance_work_mem, and
 *   independent work overlaps: the audit log loads while users and methods load, and indexes build
 *   SEED_PARALLEL (4) at a time as soon as their table is loaded.
 *
 * Every step's duration is printed with its start (seconds since the seeding began), since steps overlap.
 */
import { performance } from 'node:perf_hooks';
import knexFactory, { type Knex } from 'knex';

const DAY = 86_400_000;
/** The seeded audit log spans this many days up to now, one id order = time order. */
export const SPAN_DAYS = 365;
const TABLES = ['users', 'group_members', 'credentials', 'audit_events'] as const;
type Table = (typeof TABLES)[number];

interface Rebuild {
  table: Table;
  name: string;
  /** CREATE INDEX … (constraints: the index behind them, attached afterwards by `attach`). */
  index?: string;
  /** ALTER TABLE … ADD CONSTRAINT …, run after every index exists. */
  attach?: string;
}

/** What the load drops and how to put it back, read from the catalog (the migrated schema). */
async function droppable(db: Knex): Promise<{ drop: string[]; rebuild: Rebuild[] }> {
  const list = `array[${TABLES.map((t) => `'${t}'`).join(', ')}]::regclass[]`;
  const constraints = (
    await db.raw(`
      select c.conrelid::regclass::text as tbl, c.conname as name, c.contype as type,
             pg_get_constraintdef(c.oid) as def,
             case when c.contype in ('p', 'u') then pg_get_indexdef(c.conindid) end as index
      from pg_constraint c
      where c.conrelid = any(${list})
        and (c.contype = 'f'
             or (c.contype in ('p', 'u') and not exists (
                   select 1 from pg_constraint r where r.contype = 'f' and r.conindid = c.conindid)))`)
  ).rows as Array<{ tbl: Table; name: string; type: string; def: string; index: string | null }>;
  const indexes = (
    await db.raw(`
      select i.indrelid::regclass::text as tbl, i.indexrelid::regclass::text as name,
             pg_get_indexdef(i.indexrelid) as index
      from pg_index i
      where i.indrelid = any(${list})
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`)
  ).rows as Array<{ tbl: Table; name: string; index: string }>;
  const fks = constraints.filter((c) => c.type === 'f');
  const keys = constraints.filter((c) => c.type !== 'f');
  return {
    drop: [
      ...fks.map((c) => `alter table ${c.tbl} drop constraint ${c.name}`),
      ...keys.map((c) => `alter table ${c.tbl} drop constraint ${c.name}`),
      ...indexes.map((i) => `drop index ${i.name}`),
    ],
    rebuild: [
      ...indexes.map((i) => ({ table: i.tbl, name: i.name, index: i.index })),
      ...keys.map((c) => ({
        table: c.tbl,
        name: c.name,
        index: c.index!,
        attach: `alter table ${c.tbl} add constraint ${c.name} ${c.type === 'p' ? 'primary key' : 'unique'} using index ${c.name}`,
      })),
      ...fks.map((c) => ({
        table: c.tbl,
        name: c.name,
        attach: `alter table ${c.tbl} add constraint ${c.name} ${c.def}`,
      })),
    ],
  };
}

/**
 * The longest index builds start first (so the last one to start is a short one): those on the
 * audit log's text ids, then other text keys, then the rest.
 */
function cost(r: Rebuild): number {
  const table = r.table === 'audit_events' ? 10 : 1;
  const key = /\((.*)\)/.exec(r.index ?? '')?.[1] ?? '';
  return table * (/subject_id|actor_id/.test(key) ? 3 : /activity|login|email|name/.test(key) ? 2 : 1);
}

/** Runs at most n of the given functions at a time. */
function limiter(n: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/**
 * Seeds a migrated, empty database at `url`: `users` users (ids md5('user' || n)), two groups, one to
 * four methods per user (2.4 on average) and `events` audit events spread over SPAN_DAYS up to `now`. Returns seconds.
 */
export async function seedScale(url: string, users: number, events: number, now: Date): Promise<number> {
  const parallel = Math.max(1, Number(process.env.SEED_PARALLEL ?? 4));
  const db = knexFactory({
    client: 'pg',
    connection: url,
    pool: {
      min: 0,
      max: parallel + 7,
      afterCreate: (conn: any, done: (err: Error | null, conn: unknown) => void) =>
        conn.query(
          "set synchronous_commit = off; set maintenance_work_mem = '512MB'; set work_mem = '64MB'",
          (err: Error | null) => done(err, conn),
        ),
    },
  });
  const t0 = performance.now();
  const steps: Array<{ name: string; from: number; to: number }> = [];
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const from = (performance.now() - t0) / 1000;
    await fn();
    steps.push({ name, from, to: (performance.now() - t0) / 1000 });
  };
  try {
    const { drop, rebuild } = await droppable(db);
    await step('prepare', async () => {
      for (const sql of drop) await db.raw(sql);
      for (const t of TABLES) {
        await db.raw(`alter table ${t} disable trigger user`);
        // Autovacuum would start on the growing tables and then block (or yield to) the index builds.
        await db.raw(`alter table ${t} set (autovacuum_enabled = false)`);
      }
      await db.raw('create unlogged table seed_user_ids (n integer primary key, id uuid not null)');
      await db.raw(
        `insert into seed_user_ids select n, md5('user' || n)::uuid from generate_series(1, ${users}) n`,
      );
    });
    const slot = limiter(parallel);
    const rebuildOf = (tables: Table[]) => rebuild.filter((r) => tables.includes(r.table));
    const buildIndexes = (tables: Table[]) =>
      Promise.all(
        rebuildOf(tables)
          .filter((r) => r.index)
          .sort((a, b) => cost(b) - cost(a))
          .map((r) => slot(() => step(`index ${r.name}`, () => db.raw(r.index!)))),
      );
    const attach = (tables: Table[]) =>
      step(`constraints ${tables.join(', ')}`, async () => {
        for (const r of rebuildOf(tables)) if (r.attach) await db.raw(r.attach);
      });
    const vacuum = (t: Table) => step(`vacuum analyze ${t}`, () => db.raw(`vacuum analyze ${t}`));
    // The directory: users, memberships and each kind of method load at once (no index, no foreign
    // key to wait on), then their indexes, constraints and statistics.
    const directory = Promise.all([
      step('users', () => loadUsers(db, users)),
      step('groups', () => loadGroups(db)),
      ...credentialInserts().map(([kind, sql]) => step(`credentials ${kind}`, () => db.raw(sql))),
    ]).then(async () => {
      const tables: Table[] = ['users', 'group_members', 'credentials'];
      await buildIndexes(tables);
      await attach(tables);
    });
    // The audit log meanwhile, in one statement so that its rows lie in id (time) order.
    const auditLoaded = step('audit events', () => loadAudit(db, users, events, now));
    const audit = auditLoaded.then(async () => {
      await buildIndexes(['audit_events']);
      await attach(['audit_events']);
      // What autovacuum does on a live database: statistics and the visibility map (index-only scans).
      await vacuum('audit_events');
    });
    const directoryDone = directory.then(() =>
      Promise.all((['users', 'group_members', 'credentials'] as const).map((t) => slot(() => vacuum(t)))),
    );
    // The report rollups read the loaded rows only (building indexes on the audit log does not stop them).
    const rollups = Promise.all([directory, auditLoaded]).then(() =>
      step('rollups', () => db.raw('select tobira_report_rollups_rebuild()')),
    );
    await Promise.all([audit, directoryDone, rollups]);
    await step('finish', async () => {
      for (const t of TABLES) {
        await db.raw(`alter table ${t} enable trigger user`);
        await db.raw(`alter table ${t} reset (autovacuum_enabled)`);
      }
      await db.raw('drop table seed_user_ids');
      await db.raw('analyze groups, report_subjects, report_audit_daily, report_reset_methods');
    });
    const seconds = (performance.now() - t0) / 1000;
    printSteps(steps);
    if (users <= 10_000) await checkAgainstTriggers(db);
    return seconds;
  } finally {
    await db.destroy();
  }
}

/**
 * Each step (its duration and start) and each phase: from its first step's start to its last step's
 * end, since the steps of a phase, and the phases, overlap.
 */
function printSteps(steps: Array<{ name: string; from: number; to: number }>) {
  const s = (x: number) => x.toFixed(1);
  console.error(
    `  seeding steps: ${steps.map((x) => `${x.name} ${s(x.to - x.from)} s (from ${s(x.from)})`).join(', ')}`,
  );
  const phaseOf = (name: string) =>
    /^(users|groups|credentials|audit)/.test(name)
      ? 'load'
      : name.split(' ')[0].replace(/^index$/, 'indexes');
  const phases = new Map<string, { from: number; to: number }>();
  for (const x of steps) {
    const p = phases.get(phaseOf(x.name));
    phases.set(phaseOf(x.name), p ? { from: Math.min(p.from, x.from), to: Math.max(p.to, x.to) } : { ...x });
  }
  console.error(
    `  seeding phases: ${[...phases].map(([name, p]) => `${name} ${s(p.from)}–${s(p.to)} s`).join(', ')}`,
  );
}

/**
 * Users with the rollup columns the triggers would write: credential_summary counts the methods
 * loadCredentials gives user n (an app; a phone unless n % 3 = 0, 'alternate' when n % 4 = 0; an
 * email when n is even; a question set when n % 5 = 0), group_names the groups of loadGroups.
 */
function loadUsers(db: Knex, users: number) {
  return db.raw(`
    insert into users (id, login, login_normalized, display_name, email, status, roles,
                       credential_summary, group_names, created_at, updated_at)
    select s.id, 'user' || s.n, 'user' || s.n, 'User Number ' || s.n, 'user' || s.n || '@example.com',
           case when s.n % 50 = 0 then 'disabled' else 'active' end,
           case when s.n % 1000 = 0 then '["helpdesk"]' when s.n = 1 then '["admin"]' else '[]' end::jsonb,
           jsonb_build_object('app', 1)
             || case when s.n % 3 = 0 then '{}'::jsonb
                     when s.n % 4 = 0 then '{"phone:alternate":1}' else '{"phone:mobile":1}' end
             || case when s.n % 2 = 0 then '{"email":1}'::jsonb else '{}' end
             || case when s.n % 5 = 0 then '{"questions":1}'::jsonb else '{}' end,
           array_remove(array[case when s.n % 7 = 0 then 'contractors' end,
                              case when s.n % 10 = 0 then 'staff' end], null),
           now(), now()
    from seed_user_ids s
    where s.n <= ${users}`);
}

async function loadGroups(db: Knex) {
  await db.raw(`
    insert into groups (id, name, created_at) values
      (md5('g-staff')::uuid, 'staff', now()), (md5('g-contractors')::uuid, 'contractors', now())`);
  await db.raw(`
    insert into group_members (group_id, user_id)
    select md5('g-staff')::uuid, s.id from seed_user_ids s where s.n % 10 = 0
    union all
    select md5('g-contractors')::uuid, s.id from seed_user_ids s where s.n % 7 = 0`);
}

/** One INSERT per kind of method, run side by side. */
function credentialInserts(): Array<[string, string]> {
  const insert = (select: string) =>
    `insert into credentials (id, user_id, kind, label, data, is_default, created_at, confirmed_at) ${select}`;
  return [
    [
      'app',
      insert(`select gen_random_uuid(), s.id, 'app', 'Authenticator', '{"secret":"sealed"}', true, now(), now()
              from seed_user_ids s`),
    ],
    [
      'phone',
      insert(`select gen_random_uuid(), s.id, 'phone', 'Phone',
                     jsonb_build_object('e164', '+8190' || lpad(s.n::text, 8, '0'), 'country', 'JP',
                                        'type', case when s.n % 4 = 0 then 'alternate' else 'mobile' end),
                     false, now(), now()
              from seed_user_ids s where s.n % 3 <> 0`),
    ],
    [
      'email',
      insert(`select gen_random_uuid(), s.id, 'email', 'Email',
                     jsonb_build_object('address', 'user' || s.n || '@home.example'), false, now(), now()
              from seed_user_ids s where s.n % 2 = 0`),
    ],
    [
      'questions',
      insert(`select gen_random_uuid(), s.id, 'questions', 'Questions',
                     '{"questions":[{"id":"q1","hash":"h"},{"id":"q2","hash":"h"},{"id":"q3","hash":"h"}]}',
                     false, now(), now()
              from seed_user_ids s where s.n % 5 = 0`),
    ],
  ];
}

/**
 * Events in id order = time order (ids given, the sequence moved past them), spread over SPAN_DAYS up
 * to now. Mostly sign-ins; some resets, a few administrator actions (the admin, user1, is the actor).
 * Event i is about user 1 + (i * 7919) % users, looked up in an array of the ids (one uuid each).
 */
async function loadAudit(db: Knex, users: number, events: number, now: Date) {
  const stepMs = (SPAN_DAYS * DAY) / events;
  await db.raw(
    `insert into audit_events (id, at, actor_id, subject_id, activity, result, ip, details)
     select i, ?::timestamptz - ((${events} - i)::float8 * ${stepMs}) * interval '1 millisecond',
            case when i % 100 = 0 then md5('user1')::uuid::text else u.id end,
            u.id,
            case when i % 100 = 0 then 'admin.user.update'
                 when i % 20 = 1 then 'reset.attempt'
                 when i % 20 = 2 then 'reset.complete'
                 else 'signin.password' end,
            case when i % 20 = 1 then (array['succeeded','failed','blocked','cancelled','abandoned','contacted_admin'])[1 + i % 6]
                 when i % 13 = 0 then 'failed' else 'succeeded' end,
            '192.0.2.' || (i % 250),
            case when i % 20 = 2 then '{"methods":["sms","app"]}'::jsonb end
     from (select array_agg(id order by n) as ids from seed_user_ids) a,
          generate_series(1, ${events}) i,
          lateral (select (a.ids[1 + (i::bigint * 7919) % ${users}])::text as id) u`,
    [now],
  );
  await db.raw(`select setval(pg_get_serial_sequence('audit_events', 'id'), ${events})`);
}

/**
 * The bulk path against the real triggers (small sizes): every credential and membership is deleted
 * and inserted again with the triggers on, inside a transaction that is rolled back; the rollup
 * columns the triggers compute must equal the ones the load wrote.
 */
async function checkAgainstTriggers(db: Knex) {
  const differ = await db
    .transaction(async (trx) => {
      await trx.raw(
        'create temp table seeded on commit drop as select id, credential_summary, group_names from users',
      );
      await trx.raw('create temp table seeded_c on commit drop as select * from credentials');
      await trx.raw('create temp table seeded_g on commit drop as select * from group_members');
      await trx.raw('delete from credentials');
      await trx.raw('delete from group_members');
      await trx.raw('insert into credentials select * from seeded_c');
      await trx.raw('insert into group_members select * from seeded_g');
      const r = await trx.raw(`
        select count(*)::int as n from users u join seeded s using (id)
        where (u.credential_summary, u.group_names) is distinct from (s.credential_summary, s.group_names)`);
      throw Object.assign(new Error('rollback'), { differ: r.rows[0].n as number });
    })
    .catch((err) => {
      if (typeof err.differ !== 'number') throw err;
      return err.differ as number;
    });
  if (differ) throw new Error(`seed: ${differ} users' rollup columns differ from what the triggers compute`);
}

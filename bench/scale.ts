/**
 * `npm run bench:scale`: the directory and audit log at scale, on PostgreSQL (issue 12).
 *
 * Creates two fresh databases on the server of BENCH_DATABASE_URL, migrates both, seeds them in SQL
 * (generate_series: no rows pass through Node) and times the same administrative queries on each:
 *
 *   small  SCALE_SMALL_USERS (1,000) users and SCALE_SMALL_EVENTS (10,000) audit events
 *   large  SCALE_USERS (200,000) users and SCALE_EVENTS (2,000,000) audit events
 *
 * Every user has two or three registered methods (an app, most a phone, half an email, a fifth a
 * question set). Each query runs SCALE_REPEAT (5) times after one warm-up; the table shows the median,
 * the growth ratio and, for the reports, the extra RSS while they ran. The machine's load average is
 * printed next to the figures. Both databases are dropped at the end (SCALE_KEEP=1 keeps them).
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import knexFactory, { type Knex } from 'knex';
import { systemClock } from '../src/clock.ts';
import { migrateLatest } from '../src/db/migrate.ts';
import { loadReport } from '../src/flows/admin/reports.ts';
import { parseFilter } from '../src/flows/admin/scim/filter.ts';
import { createMethodRegistry } from '../src/methods/index.ts';
import { queryAudit } from '../src/store/audit-query.ts';
import { searchUsers } from '../src/store/directory.ts';
import { scimUserPage } from '../src/store/scim.ts';
import { listUsers } from '../src/store/users.ts';

const ADMIN_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 1) throw new Error(`${name}: expected a positive number`);
  return Math.floor(v);
};
const SIZES = {
  small: { users: num('SCALE_SMALL_USERS', 1_000), events: num('SCALE_SMALL_EVENTS', 10_000) },
  large: { users: num('SCALE_USERS', 200_000), events: num('SCALE_EVENTS', 2_000_000) },
};
const REPEAT = num('SCALE_REPEAT', 5);
const DAY = 86_400_000;
/** The seeded audit log spans this many days up to now, one id order = time order. */
const SPAN_DAYS = 365;

function dbUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Seeds in SQL, with what a restore does to go fast: the secondary indexes of users and audit_events
 * are dropped and built after their rows (one sort each instead of 2 million index insertions), the
 * rollup triggers are off during the load and the rollups rebuilt once after it
 * (tobira_report_rollups_rebuild, and credential_summary in one statement). Prints each step's time.
 */
async function seed(db: Knex, users: number, events: number, now: Date): Promise<number> {
  const t0 = performance.now();
  const steps: string[] = [];
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    steps.push(`${name} ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  const secondaryIndexes = async (table: string) =>
    (
      await db.raw(
        `select i.indexname, i.indexdef from pg_indexes i
         where i.tablename = ? and not exists (
           select 1 from pg_constraint c where c.conname = i.indexname)`,
        [table],
      )
    ).rows as Array<{ indexname: string; indexdef: string }>;
  const dropped = [...(await secondaryIndexes('users')), ...(await secondaryIndexes('audit_events'))];
  await step('drop indexes and triggers', async () => {
    for (const i of dropped) await db.raw(`drop index ${i.indexname}`);
    for (const t of ['users', 'group_members', 'credentials', 'audit_events'])
      await db.raw(`alter table ${t} disable trigger user`);
  });
  await step('users', () =>
    db.raw(`
    insert into users (id, login, login_normalized, display_name, email, status, roles, created_at, updated_at)
    select md5('user' || i)::uuid, 'user' || i, 'user' || i, 'User Number ' || i, 'user' || i || '@example.com',
           case when i % 50 = 0 then 'disabled' else 'active' end,
           case when i % 1000 = 0 then '["helpdesk"]' when i = 1 then '["admin"]' else '[]' end::jsonb,
           now(), now()
    from generate_series(1, ${users}) i`),
  );
  await step('groups', async () => {
    await db.raw(`
    insert into groups (id, name, created_at) values
      (md5('g-staff')::uuid, 'staff', now()), (md5('g-contractors')::uuid, 'contractors', now())`);
    await db.raw(`
    insert into group_members (group_id, user_id)
    select md5('g-staff')::uuid, md5('user' || i)::uuid from generate_series(1, ${users}) i where i % 10 = 0
    union all
    select md5('g-contractors')::uuid, md5('user' || i)::uuid from generate_series(1, ${users}) i where i % 7 = 0`);
  });
  await step('credentials', () =>
    db.raw(`
    insert into credentials (id, user_id, kind, label, data, is_default, created_at, confirmed_at)
    select gen_random_uuid(), md5('user' || i)::uuid, 'app', 'Authenticator', '{"secret":"sealed"}', true, now(), now()
    from generate_series(1, ${users}) i
    union all
    select gen_random_uuid(), md5('user' || i)::uuid, 'phone', 'Phone',
           jsonb_build_object('e164', '+8190' || lpad(i::text, 8, '0'), 'country', 'JP',
                              'type', case when i % 4 = 0 then 'alternate' else 'mobile' end),
           false, now(), now()
    from generate_series(1, ${users}) i where i % 3 <> 0
    union all
    select gen_random_uuid(), md5('user' || i)::uuid, 'email', 'Email',
           jsonb_build_object('address', 'user' || i || '@home.example'), false, now(), now()
    from generate_series(1, ${users}) i where i % 2 = 0
    union all
    select gen_random_uuid(), md5('user' || i)::uuid, 'questions', 'Questions',
           '{"questions":[{"id":"q1","hash":"h"},{"id":"q2","hash":"h"},{"id":"q3","hash":"h"}]}', false, now(), now()
    from generate_series(1, ${users}) i where i % 5 = 0`),
  );
  await step('credential summaries', () =>
    db.raw(`
    update users u set credential_summary = s.summary
    from (select t.user_id, jsonb_object_agg(t.cls, t.n) as summary
          from (select c.user_id,
                       case when c.kind = 'phone' then 'phone:' || case when c.data->>'type' = 'mobile' then 'mobile' else 'alternate' end
                            else c.kind end as cls,
                       count(*) as n
                from credentials c group by 1, 2) t
          group by t.user_id) s
    where s.user_id = u.id`),
  );
  // Events in id order = time order, spread over SPAN_DAYS up to now. Mostly sign-ins; some resets,
  // a few administrator actions (the admin, user1, is the actor). The user of event i is computed
  // once per row (a lateral), not once per column.
  const step_ms = (SPAN_DAYS * DAY) / events;
  await step('audit events', () =>
    db.raw(
      `insert into audit_events (at, actor_id, subject_id, activity, result, ip, details)
     select ?::timestamptz - ((${events} - i)::float8 * ${step_ms}) * interval '1 millisecond',
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
     from generate_series(1, ${events}) i,
          lateral (select md5('user' || (1 + (i::bigint * 7919) % ${users}))::uuid::text as id) u`,
      [now],
    ),
  );
  await step('indexes', () =>
    db.transaction(async (trx) => {
      await trx.raw("set local maintenance_work_mem = '256MB'");
      for (const i of dropped) await trx.raw(i.indexdef);
    }),
  );
  await step('rollups', async () => {
    for (const t of ['users', 'group_members', 'credentials', 'audit_events'])
      await db.raw(`alter table ${t} enable trigger user`);
    await db.raw('select tobira_report_rollups_rebuild()');
  });
  // What autovacuum does on a live database: statistics and the visibility map (index-only scans).
  await step('vacuum analyze', () => db.raw('vacuum analyze'));
  console.error(`  seeding steps: ${steps.join(', ')}`);
  return (performance.now() - t0) / 1000;
}

interface Measure {
  name: string;
  run: (db: Knex, size: { users: number; events: number }) => Promise<unknown>;
}

const methods = createMethodRegistry();
const NOW = new Date();
const MEASURES: Measure[] = [
  { name: 'reports (loadReport)', run: (db) => loadReport({ db, clock: systemClock, methods }) },
  {
    name: 'audit filtered by user',
    run: (db, s) => queryAudit(db, { userId: uuidOf(Math.floor(s.users / 2)) }, 50),
  },
  {
    name: 'audit filtered by the admin (actor)',
    run: (db) => queryAudit(db, { userId: uuidOf(1) }, 50),
  },
  {
    name: 'audit for one day (100 days ago)',
    run: (db) => {
      const from = new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), NOW.getUTCDate()) - 100 * DAY);
      return queryAudit(db, { from, to: new Date(from.getTime() + DAY) }, 50);
    },
  },
  { name: "audit activity 'admin.*'", run: (db) => queryAudit(db, { activity: 'admin.*' }, 50) },
  {
    name: 'user search, exact login',
    run: (db, s) => searchUsers(db, { q: `user${Math.floor(s.users / 3)}` }),
  },
  {
    name: 'user search, exact email',
    run: (db, s) => searchUsers(db, { q: `user${Math.floor(s.users / 3)}@example.com` }),
  },
  { name: "user search, substring 'er 12345'", run: (db) => searchUsers(db, { q: 'er 12345' }) },
  { name: 'users, first page', run: (db) => searchUsers(db, { limit: 50 }) },
  {
    name: 'users, last page (keyset)',
    run: (db) => searchUsers(db, { limit: 50, after: 'user99999' }),
  },
  { name: 'tobira user list (1000)', run: (db) => listUsers(db, { limit: 1000 }) },
  // SCIM (issue 16): a filtered, counted page of 200, as an identity-management tool asks for it.
  ...(
    [
      ['SCIM userName eq', (s) => `userName eq "user${Math.floor(s.users / 3)}"`],
      ['SCIM emails.value eq', (s) => `emails.value eq "user${Math.floor(s.users / 3)}@example.com"`],
      ['SCIM externalId eq', () => 'externalId eq "E-1"'],
      ['SCIM displayName co', () => 'displayName co "number 12345"'],
      ['SCIM userName sw (counts every match)', () => 'userName sw "user1"'],
      ['SCIM no filter, first page', () => ''],
    ] as Array<[string, (s: { users: number }) => string]>
  ).map(([name, filter]) => ({
    name,
    run: (db: Knex, s: { users: number }) =>
      scimUserPage(db, { filter: filter(s) ? parseFilter(filter(s)) : undefined, startIndex: 1, count: 200 }),
  })),
  {
    name: 'SCIM page at startIndex 50000 (offset)',
    run: (db) => scimUserPage(db, { startIndex: 50_000, count: 200 }),
  },
];

/** Stable across sizes: user i has the same id in both databases (md5('user' || i)). */
function uuidOf(i: number): string {
  const h = crypto.createHash('md5').update(`user${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measureAll(db: Knex, size: { users: number; events: number }) {
  const out = new Map<string, { ms: number; max: number; rssMb: number }>();
  for (const m of MEASURES) {
    await m.run(db, size);
    const times: number[] = [];
    let peak = 0;
    for (let i = 0; i < REPEAT; i++) {
      global.gc?.();
      const before = process.memoryUsage().rss;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss - before);
      }, 5);
      const t = performance.now();
      await m.run(db, size);
      times.push(performance.now() - t);
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss - before);
    }
    out.set(m.name, { ms: median(times), max: Math.max(...times), rssMb: peak / 2 ** 20 });
  }
  return out;
}

async function main() {
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
  const names = { small: `tobira_scale_small_${process.pid}`, large: `tobira_scale_large_${process.pid}` };
  const results: Record<string, Map<string, { ms: number; max: number; rssMb: number }>> = {};
  const seeded: Record<string, number> = {};
  try {
    for (const key of ['small', 'large'] as const) {
      await admin.raw(`create database ${names[key]}`);
      const db = knexFactory({ client: 'pg', connection: dbUrl(names[key]), pool: { min: 0, max: 10 } });
      try {
        await migrateLatest(db);
        seeded[key] = await seed(db, SIZES[key].users, SIZES[key].events, NOW);
        console.error(
          `${key}: seeded ${SIZES[key].users} users, ${SIZES[key].events} events in ${seeded[key].toFixed(1)} s`,
        );
        results[key] = await measureAll(db, SIZES[key]);
      } finally {
        await db.destroy();
      }
    }
  } finally {
    if (process.env.SCALE_KEEP !== '1')
      for (const n of Object.values(names)) await admin.raw(`drop database if exists ${n}`).catch(() => {});
    await admin.destroy();
  }
  const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
  console.log(
    `\nTobira at scale (${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  console.log(
    `small: ${SIZES.small.users} users / ${SIZES.small.events} events (seeded in ${seeded.small.toFixed(1)} s)`,
  );
  console.log(
    `large: ${SIZES.large.users} users / ${SIZES.large.events} events (seeded in ${seeded.large.toFixed(1)} s)`,
  );
  console.log(`median of ${REPEAT} runs after a warm-up; max in brackets\n`);
  console.log('| query | small | large | large / small | extra RSS (large) |');
  console.log('|---|---|---|---|---|');
  for (const m of MEASURES) {
    const s = results.small.get(m.name)!;
    const l = results.large.get(m.name)!;
    console.log(
      `| ${m.name} | ${fmt(s.ms)} | ${fmt(l.ms)} (${fmt(l.max)}) | ×${(l.ms / s.ms).toFixed(1)} | ${l.rssMb.toFixed(0)} MB |`,
    );
  }
  console.log(`\npeak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

await main();

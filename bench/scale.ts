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
import { deleteAuditBefore, queryAudit } from '../src/store/audit-query.ts';
import { searchUsers } from '../src/store/directory.ts';
import { scimUserPage } from '../src/store/scim.ts';
import { listUsers } from '../src/store/users.ts';
import { seedScale } from './scale-seed.ts';

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

function dbUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
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
    // A full page late in login order (the logins after 'user9'; 'user99999' was the last, so its
    // page was empty at every size).
    name: 'users, a late page (keyset)',
    run: (db) => searchUsers(db, { limit: 50, after: 'user9' }),
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
  // Last, since it deletes: one transaction of the audit retention sweep (sweepAuditRetention runs up
  // to 50 of them per run) over a backlog of events older than 30 days; the maximum is the longest
  // transaction a backlog sweep holds.
  {
    name: 'backlog sweep: one 1,000-event retention transaction',
    run: (db) => db.transaction((trx) => deleteAuditBefore(trx, new Date(NOW.getTime() - 30 * DAY))),
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
        seeded[key] = await seedScale(dbUrl(names[key]), SIZES[key].users, SIZES[key].events, NOW);
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

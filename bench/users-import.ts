/**
 * `npm run bench:import`: the CSV users import at two sizes, on PostgreSQL (issue 16).
 *
 * For each size (BENCH_SMALL_ROWS 10,000 and BENCH_ROWS 100,000) a child process creates a fresh
 * database on the server of BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
 * migrates it, writes a CSV of that many rows to a temporary file (generated as it is written, never
 * held in memory), imports the file through the importer the CLI, the API and the console use, then
 * imports it again (everything unchanged: nothing is written). Each row has a name, an email, a
 * locale, a group and a pre-registered mobile phone, so each new user costs a user row, a
 * membership, a credential, an audit event and a notice.
 *
 * Reported per run: time, rows/s, peak RSS of the child and its growth over the RSS before the run
 * (sampled every 20 ms). One process per size, so the 100,000-row figures do not include what the
 * 10,000-row run left on the heap. The databases are dropped at the end (BENCH_KEEP=1 keeps them).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { migrateLatest } from '../src/db/migrate.ts';
import { cliActor } from '../src/flows/admin/permissions.ts';
import { importUsersCsv } from '../src/flows/admin/users-import.ts';
import { createMethodRegistry } from '../src/methods/index.ts';
import { SecretBox } from '../src/security/secrets.ts';

const ADMIN_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const dbUrl = (name: string) => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
};
const mb = (b: number) => b / 2 ** 20;

interface Run {
  label: string;
  seconds: number;
  peakMb: number;
  growthMb: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

async function writeCsv(file: string, rows: number) {
  const out = fs.createWriteStream(file);
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  await write(
    'login,name,email,locale,groups,roles,mobile_phone,alternate_phone,alternate_email,password_managed\n',
  );
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const n = String(i).padStart(7, '0');
    chunk += `user${n},User ${n},user${n}@example.com,ja,staff,,+8190${String(10_000_000 + i)},,,local\n`;
    if (chunk.length > 64_000) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise<void>((r, f) => out.end((e?: Error | null) => (e ? f(e) : r())));
}

/** One size, in this (child) process: prints its runs as one JSON line. */
async function child(rows: number) {
  const name = `tobira_bench_import_${rows}_${process.pid}`;
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  const db = knexFactory({ client: 'pg', connection: dbUrl(name), pool: { min: 0, max: 5 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tobira-bench-import-'));
  const file = path.join(dir, 'users.csv');
  const runs: Run[] = [];
  try {
    await migrateLatest(db);
    await db('groups').insert({ id: crypto.randomUUID(), name: 'staff', created_at: new Date() });
    await writeCsv(file, rows);
    const config = loadConfig({
      ISSUER: 'http://localhost:3000',
      LOG_LEVEL: 'silent',
      SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
    });
    const deps = {
      db,
      box: new SecretBox(config.secretKey!),
      clock: systemClock,
      methods: createMethodRegistry(),
      config,
    };
    for (const label of ['import', 'again (unchanged)']) {
      (globalThis as { gc?: () => void }).gc?.();
      const base = process.memoryUsage().rss;
      let peak = base;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      const t0 = performance.now();
      const r = await importUsersCsv(deps, cliActor(), fs.createReadStream(file), { dryRun: false });
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      runs.push({
        label,
        seconds,
        peakMb: mb(peak),
        growthMb: mb(peak - base),
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        failed: r.failed,
      });
    }
    const size = fs.statSync(file).size;
    console.log(JSON.stringify({ rows, fileMb: mb(size), runs }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await db.destroy();
    if (process.env.BENCH_KEEP !== '1') await admin.raw(`drop database if exists ${name} with (force)`);
    await admin.destroy();
  }
}

function main() {
  const sizes = [Number(process.env.BENCH_SMALL_ROWS ?? 10_000), Number(process.env.BENCH_ROWS ?? 100_000)];
  const self = fileURLToPath(import.meta.url);
  const results = sizes.map((rows) => {
    console.error(`importing ${rows} rows …`);
    const out = execFileSync(process.execPath, ['--expose-gc', self, '--child', String(rows)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    return JSON.parse(out.trim().split('\n').pop()!) as { rows: number; fileMb: number; runs: Run[] };
  });
  console.log(
    `\nCSV users import on PostgreSQL (${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})\n`,
  );
  console.log(
    '| rows | file | run | time | rows/s | peak RSS | RSS growth | created / updated / unchanged |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results)
    for (const x of r.runs)
      console.log(
        `| ${r.rows.toLocaleString('en')} | ${r.fileMb.toFixed(1)} MB | ${x.label} | ${x.seconds.toFixed(1)} s | ` +
          `${Math.round(r.rows / x.seconds).toLocaleString('en')} | ${x.peakMb.toFixed(0)} MB | ` +
          `+${x.growthMb.toFixed(0)} MB | ${x.created} / ${x.updated} / ${x.unchanged} |`,
      );
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(Number(process.argv[at + 1]));
else main();

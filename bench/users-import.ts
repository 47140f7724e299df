/**
 * `node bench/users-import.ts`: imports BENCH_ROWS (100,000) users from CSV through the admin API's
 * streaming importer and reports the time and the peak RSS. The CSV is generated as it is sent
 * (a generator, never a string or file in memory), so the RSS shows what the importer holds: one
 * batch, not the file. A dry run is measured first, then the import, then the same file again
 * (everything unchanged).
 *
 * Embedded database (PGlite) unless BENCH_DATABASE_URL names an existing PostgreSQL database to
 * create a scratch database next to.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../src/clock.ts';
import { cliActor } from '../src/flows/admin/permissions.ts';
import { importUsersCsv } from '../src/flows/admin/users-csv.ts';
import { createMethodRegistry } from '../src/methods/index.ts';
import { createTestDatabase } from '../test/helpers/db.ts';
import { startTestServer } from '../test/helpers/server.ts';

if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
const rows = Number(process.env.BENCH_ROWS ?? 100_000);
const clock = new ManualClock(Date.now());
const tdb = await createTestDatabase();
const srv = await startTestServer({ db: tdb.db, clock });

async function* csv(): AsyncGenerator<string> {
  yield 'login,name,email,locale,groups,roles,mobile_phone,alternate_phone,alternate_email,password_managed\n';
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const n = String(i).padStart(6, '0');
    chunk += `user${n},User ${n},user${n}@example.com,ja,staff,,+8190${String(10_000_000 + i)},,,local\n`;
    if (chunk.length > 64_000) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

let peak = 0;
const sample = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

try {
  await srv.db('groups').insert({ id: crypto.randomUUID(), name: 'staff', created_at: clock.now() });
  const deps = {
    db: srv.db,
    box: srv.box,
    clock,
    methods: createMethodRegistry(),
    config: srv.app.deps.config,
  };
  const base = process.memoryUsage().rss;
  console.log(
    `rows ${rows}; ${os.cpus().length} cores; load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  console.log(`RSS before: ${mb(base)}`);
  for (const [label, dryRun] of [
    ['dry run', true],
    ['import', false],
    ['again (unchanged)', false],
  ] as const) {
    peak = process.memoryUsage().rss;
    const t0 = performance.now();
    let reports = 0;
    const r = await importUsersCsv(deps, cliActor(), csv(), {
      dryRun,
      onProgress: () => {
        reports++;
      },
      progressEvery: 10_000,
    });
    const s = (performance.now() - t0) / 1000;
    console.log(
      `${label}: ${s.toFixed(1)} s (${Math.round(rows / s)} rows/s), peak RSS ${mb(peak)}, ` +
        `created ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}, failed ${r.failed}, progress reports ${reports}`,
    );
  }
  console.log(`CSV size: ${mb(rows * 95)} (approx.), never held in memory`);
} finally {
  clearInterval(sample);
  await srv.stop();
  await tdb.drop();
}

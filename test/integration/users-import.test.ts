import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { cliActor } from '../../src/flows/admin/permissions.ts';
import { type ImportProgress, importUsersCsv, MAX_REPORTED } from '../../src/flows/admin/users-import.ts';
import { createMethodRegistry } from '../../src/methods/index.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import { IMPORT_JOB_RETENTION_MS, sweepImportJobs } from '../../src/store/import-jobs.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/*
 * Issue 16, item 4: the CSV import streams in batches. A dry run over many rows reports exactly the
 * broken lines and writes nothing; the same file again writes nothing (no row, no audit event, no
 * updated_at moves); the first batch is committed while the file is still being read; a login twice
 * is refused on its second line whether or not the two lines share a batch; the error list is bounded.
 */

const HEADER =
  'login,name,email,locale,groups,roles,mobile_phone,alternate_phone,alternate_email,password_managed';
const row = (i: number, name = `User ${i}`) =>
  `u${i},${name},u${i}@example.com,ja,staff,,+8190${10_000_000 + i},,,local`;

async function* chunks(lines: string[], size = 7_000): AsyncGenerator<string> {
  const text = `${lines.join('\n')}\n`;
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

describe(`CSV users import in batches (${backendName})`, () => {
  let tdb: TestDatabase;
  const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
  let deps: Parameters<typeof importUsersCsv>[0];

  const counts = async () => {
    const n = async (t: string) => Number((await tdb.db(t).count({ c: '*' }).first())?.c);
    const last = await tdb.db('users').max({ m: 'updated_at' }).first();
    return {
      users: await n('users'),
      credentials: await n('credentials'),
      members: await n('group_members'),
      audit: await n('audit_events'),
      notices: await n('notice_queue'),
      lastUpdate: last?.m ? new Date(last.m).toISOString() : null,
    };
  };

  before(async () => {
    tdb = await createTestDatabase();
    const config = loadConfig({
      ISSUER: 'http://localhost:3000',
      LOG_LEVEL: 'silent',
      SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
    });
    deps = {
      db: tdb.db,
      box: new SecretBox(config.secretKey!),
      clock,
      methods: createMethodRegistry(),
      config,
    };
    await tdb.db('groups').insert({ id: crypto.randomUUID(), name: 'staff', created_at: clock.now() });
  });
  after(async () => {
    await tdb?.drop();
  });

  // 1,200 rows over three batches; five broken ones, two of them in the second batch.
  const lines = [HEADER];
  for (let i = 0; i < 1200; i++) lines.push(row(i));
  const BROKEN: Record<number, string> = {
    // line number (the header is line 1) → the broken row
    3: 'bad login!,X,x@example.com,,,,,,,',
    250: 'u9001,X,not-an-email,,,,,,,',
    600: 'u9002,X,x2@example.com,fr,,,,,,',
    777: 'u9003,X,x3@example.com,,nosuchgroup,,,,,',
    1100: 'u9004,X,x4@example.com,,,,123,,,',
  };
  for (const [line, text] of Object.entries(BROKEN)) lines[Number(line) - 1] = text;

  it('a dry run with 5 broken rows among 1,200 reports exactly those lines and writes nothing', async () => {
    const before = await counts();
    const r = await importUsersCsv(deps, cliActor(), chunks(lines), { dryRun: true });
    assert.equal(r.rows, 1200);
    assert.equal(r.failed, 5);
    assert.equal(r.created, 1195);
    assert.deepEqual(
      r.errors.map((e) => `${e.line}:${e.column}`),
      ['3:login', '250:email', '600:locale', '777:groups', '1100:mobile_phone'],
    );
    assert.deepEqual(await counts(), before, 'no user, method, membership, audit event or notice');
  });

  it('imports in batches; the same file again changes nothing, not even updated_at or the audit log', async () => {
    const progress: ImportProgress[] = [];
    const r = await importUsersCsv(deps, cliActor(), chunks(lines), {
      dryRun: false,
      onProgress: (p) => {
        progress.push(p);
      },
    });
    assert.equal(r.created, 1195);
    assert.equal(r.failed, 5);
    assert.deepEqual(
      progress.map((p) => p.rows),
      [500 + 2, 1000 + 4, 1200],
      'one report per batch of 500 good rows, counting the broken rows read on the way',
    );
    const first = await counts();
    assert.equal(first.users, 1195);
    assert.equal(first.credentials, 1195, 'a pre-registered phone each');
    assert.equal(first.members, 1195);
    assert.equal(first.audit, 1195 + 1, 'one event per user and one for the import');
    assert.equal(first.notices, 1195, 'one notice per added phone');
    const u0 = await tdb.db('users').where({ login: 'u0' }).first();
    assert.equal(u0.password_hash, null, 'no password: not yet activated');

    clock.advance(60_000);
    const again = await importUsersCsv(deps, cliActor(), chunks(lines), { dryRun: false });
    assert.equal(again.created + again.updated, 0);
    assert.equal(again.unchanged, 1195);
    assert.deepEqual(await counts(), first, 'nothing written: same rows, same updated_at, no audit event');

    // One changed cell updates that user alone, in the same single pass.
    clock.advance(60_000);
    const changed = lines.map((l) => (l.startsWith('u700,') ? row(700, 'Renamed') : l));
    const upd = await importUsersCsv(deps, cliActor(), chunks(changed), { dryRun: false });
    assert.equal(upd.updated, 1);
    const after = await tdb
      .db('users')
      .where('updated_at', '>', u0.updated_at)
      .select('login', 'display_name');
    assert.deepEqual(after, [{ login: 'u700', display_name: 'Renamed' }]);
  });

  it('commits the first batch before the rest of the stream has arrived', async () => {
    let usersWhenPaused = -1;
    const committedBeforeEnd: number[] = [];
    async function* paused(): AsyncGenerator<string> {
      const first = [HEADER];
      for (let i = 5000; i < 5600; i++) first.push(`p${row(i)}`);
      yield `${first.join('\n')}\n`;
      // The importer asks for more only after it handled what it had: the first 500 are committed.
      usersWhenPaused = Number(
        (await tdb.db('users').where('login', 'like', 'pu%').count({ c: '*' }).first())?.c,
      );
      const rest: string[] = [];
      for (let i = 5600; i < 5700; i++) rest.push(`p${row(i)}`);
      yield `${rest.join('\n')}\n`;
    }
    const r = await importUsersCsv(deps, cliActor(), paused(), {
      dryRun: false,
      onProgress: (p) => {
        committedBeforeEnd.push(p.created);
      },
    });
    assert.equal(usersWhenPaused, 500, 'one batch written while the file was still being read');
    assert.equal(r.created, 700);
    assert.deepEqual(committedBeforeEnd, [500, 700]);
  });

  it('a login twice is an error on its second line, in the same batch or another (the first wins)', async () => {
    const file = [
      HEADER,
      'dup1,First,dup1@example.com,,,,,,,', // line 2
      'DUP1,Second,dup1b@example.com,,,,,,,', // line 3: same batch (case differs)
      'dup2,First,dup2@example.com,,,,,,,', // line 4
      'other1,O,o1@example.com,,,,,,,', // line 5
      'other2,O,o2@example.com,,,,,,,', // line 6
      'other3,O,o3@example.com,,,,,,,', // line 7
      'ｄｕｐ２,Second,dup2b@example.com,,,,,,,', // line 8: a later batch (full-width letters)
    ];
    const dry = await importUsersCsv(deps, cliActor(), chunks(file, 5), { dryRun: true, batchSize: 3 });
    assert.deepEqual(
      dry.errors.map((e) => `${e.line}:${e.column}:${e.key}`),
      ['3:login:admin.import.duplicate', '8:login:admin.import.duplicate'],
    );
    const r = await importUsersCsv(deps, cliActor(), chunks(file, 5), { dryRun: false, batchSize: 3 });
    assert.equal(r.created, 5);
    assert.equal(r.failed, 2);
    assert.deepEqual(
      await tdb
        .db('users')
        .whereIn('login_normalized', ['dup1', 'dup2'])
        .orderBy('login')
        .pluck('display_name'),
      ['First', 'First'],
    );
    // Batch sizes 1 and 2 cut the same file elsewhere: the same answer, and nothing more to write.
    for (const batchSize of [1, 2]) {
      const again = await importUsersCsv(deps, cliActor(), chunks(file, 3), { dryRun: false, batchSize });
      assert.deepEqual(
        [again.created, again.updated, again.unchanged, again.failed, again.errors.map((e) => e.line)],
        [0, 0, 5, 2, [3, 8]],
      );
    }
  });

  it('keeps the first 1,000 errors in line order and counts the rest', async () => {
    const file = [HEADER];
    for (let i = 0; i < 1500; i++)
      file.push(i % 2 ? `e${i},E,bad-email,,,,,,,` : `ok${i},E,ok${i}@example.com,xx,,,,,,`);
    const r = await importUsersCsv(deps, cliActor(), chunks(file), { dryRun: true, batchSize: 100 });
    assert.equal(r.failed, 1500);
    assert.equal(r.errors.length, MAX_REPORTED);
    assert.equal(r.truncated, true);
    assert.deepEqual(
      r.errors.map((e) => e.line),
      Array.from({ length: MAX_REPORTED }, (_, i) => i + 2),
    );
  });

  it('import jobs are swept after 30 days, and not before', async () => {
    const job = (id: string, age: number) => ({
      id,
      dry_run: false,
      state: 'done',
      created_at: new Date(clock.now().getTime() - age),
      updated_at: clock.now(),
    });
    const old = crypto.randomUUID();
    const recent = crypto.randomUUID();
    await tdb
      .db('import_jobs')
      .insert([job(old, IMPORT_JOB_RETENTION_MS + 1), job(recent, IMPORT_JOB_RETENTION_MS - 60_000)]);
    assert.equal(await sweepImportJobs(tdb.db, clock.now()), 1);
    assert.deepEqual(await tdb.db('import_jobs').whereIn('id', [old, recent]).pluck('id'), [recent]);
  });
});

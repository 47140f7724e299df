import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { readCsv } from '../../src/flows/admin/csv-reader.ts';
import { runningImports } from '../../src/flows/admin/import-jobs.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, discover, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * Issue 16, part 4: users in and out as CSV, through the admin API and the CLI. A dry run reports
 * exactly the broken lines and writes nothing; importing the same file twice changes nothing the
 * second time; an export imports back unchanged; bad CSV gets a clear 400, never a 500. (The
 * 100,000-row import is measured in bench/users-import.ts, not timed here.)
 */

describe(`users CSV import and export (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let token: string;
  const clock = new ManualClock(Date.now());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tobira-csv-'));

  async function api(method: string, p: string, body?: string, type = 'text/csv') {
    const r = await fetch(`${srv.url}/api/admin/v1${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': type } : {}),
      },
      body,
    });
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await r.arrayBuffer());
    return {
      status: r.status,
      headers: r.headers,
      text,
      body: (r.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined,
    };
  }

  const counts = async () => ({
    users: Number((await tdb.db('users').count({ c: '*' }).first())?.c),
    creds: Number((await tdb.db('credentials').count({ c: '*' }).first())?.c),
    members: Number((await tdb.db('group_members').count({ c: '*' }).first())?.c),
    audit: Number((await tdb.db('audit_events').count({ c: '*' }).first())?.c),
  });

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'allowedPhoneCountries', ['JP']);
    const machine = await addClientViaCli(srv, ['hr', '--grant-type', 'client_credentials', '--admin']);
    const cfg = await discover(srv.issuer, machine.clientId, machine.secret);
    token = (await oidc.clientCredentialsGrant(cfg, { scope: 'admin' })).access_token;
    for (const name of ['sales', 'tokyo']) {
      const r = await fetch(`${srv.url}/api/admin/v1/groups`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      assert.equal(r.status, 201);
    }
  });

  after(async () => {
    await srv?.stop();
    await tdb?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const HEADER =
    'login,name,email,locale,groups,roles,mobile_phone,alternate_phone,alternate_email,password_managed';
  const good = [
    'aiko,Aiko Tanaka,aiko@example.com,ja,sales;tokyo,,090-1234-5678,,aiko.home@example.org,local',
    'ben,"Ben ""B"" Smith",ben@example.com,en,sales,helpdesk,+81 90 2222 3333,03-3123-4567,,local',
    'chika,Chika,chika@example.com,,,,,,,external',
  ];
  // Lines 5..9 of the file below are broken, one way each.
  const broken = [
    'bad login!,Nobody,nobody@example.com,,,,,,,', // line 5: login format
    'dan,Dan,dan@example.com,fr,,,,,,', // line 6: unknown locale
    'eri,Eri,not-an-email,,marketing,,,,,', // line 7: bad email and unknown group
    'fumi,Fumi,fumi@example.com,,,,123,,,', // line 8: not a phone number
    'aiko,Aiko again,aiko2@example.com,,,,,,,', // line 9: login repeated
  ];
  const file = [HEADER, ...good, ...broken, 'gen,Gen,gen@example.com,,,admin,,,,local'].join('\r\n');

  it('a dry run reports exactly the broken lines and changes nothing', async () => {
    const before = await counts();
    const r = await api('POST', '/users/import?dryRun=true', file);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.dryRun, true);
    assert.equal(r.body.rows, 9);
    assert.equal(r.body.failed, 5);
    assert.equal(r.body.created, 4);
    assert.deepEqual([...new Set(r.body.errors.map((e: { line: number }) => e.line))], [5, 6, 7, 8, 9]);
    const cols = r.body.errors.map((e: { line: number; column: string }) => `${e.line}:${e.column}`);
    assert.deepEqual(cols, ['5:login', '6:locale', '7:email', '7:groups', '8:mobile_phone', '9:login']);
    for (const e of r.body.errors) assert.ok(e.message && !e.message.includes('admin.'), e.message);
    assert.deepEqual(await counts(), before, 'nothing written, not even an audit event');
    // In Japanese too.
    const ja = await fetch(`${srv.url}/api/admin/v1/users/import?dryRun=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'accept-language': 'ja' },
      body: file,
    });
    const jb = await ja.json();
    assert.match(jb.errors[0].message, /[\u3040-\u30ff\u4e00-\u9fff]/);
  });

  it('imports the good rows; the same file again changes nothing', async () => {
    const r = await api('POST', '/users/import', file);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.created, 4);
    assert.equal(r.body.failed, 5);
    const aiko = await tdb.db('users').where({ login: 'aiko' }).first();
    assert.equal(aiko.password_hash, null, 'not yet activated');
    assert.equal(aiko.locale, 'ja');
    const creds = await tdb.db('credentials').where({ user_id: aiko.id }).orderBy('kind');
    assert.deepEqual(
      creds.map((c: { kind: string; source: string }) => `${c.kind}:${c.source}`),
      ['email:organization', 'phone:organization'],
    );
    const ben = await tdb.db('users').where({ login: 'ben' }).first();
    assert.equal(ben.display_name, 'Ben "B" Smith');
    const chika = await tdb.db('users').where({ login: 'chika' }).first();
    assert.equal(chika.password_managed, 'external');

    const before = await counts();
    const again = await api('POST', '/users/import', file);
    assert.equal(again.status, 200);
    assert.equal(again.body.created, 0);
    assert.equal(again.body.updated, 0);
    assert.equal(again.body.unchanged, 4);
    assert.deepEqual(await counts(), before, 'no user, method, membership or audit event');

    // A changed cell updates exactly that user.
    const changed = file.replace('chika,Chika,', 'chika,Chika Mori,');
    const upd = await api('POST', '/users/import', changed);
    assert.equal(upd.body.updated, 1);
    assert.equal((await tdb.db('users').where({ login: 'chika' }).first()).display_name, 'Chika Mori');
  });

  it('a large upload runs as a job: 202 with its Location, progress and result by GET', async () => {
    const rows = [HEADER];
    for (let i = 0; i < 1200; i++) rows.push(`job${i},Job ${i},job${i}@example.com,,sales,,,,,local`);
    rows.push('bad login!,X,x@example.com,,,,,,,');
    const body = rows.join('\r\n');
    const before = await counts();
    const dry = await api('POST', '/imports?dryRun=true', body);
    assert.equal(dry.status, 202, dry.text);
    assert.equal(dry.body.state, 'running');
    await Promise.all([...runningImports]);
    const dryDone = await api('GET', `/imports/${dry.body.id}`);
    assert.equal(dryDone.body.state, 'done');
    assert.equal(dryDone.body.created, 1200);
    assert.deepEqual(await counts(), before, 'a dry-run job writes nothing but its own row');

    const started = await api('POST', '/imports', body);
    assert.equal(started.status, 202);
    const location = started.headers.get('location')!;
    assert.equal(location, `/api/admin/v1/imports/${started.body.id}`);
    await Promise.all([...runningImports]);
    const job = await api('GET', location.replace('/api/admin/v1', ''));
    assert.equal(job.status, 200);
    assert.equal(job.body.state, 'done');
    assert.deepEqual(
      [job.body.rows, job.body.created, job.body.failed, job.body.finishedAt !== null],
      [1201, 1200, 1, true],
    );
    assert.deepEqual(
      job.body.errors.map((e: { line: number }) => e.line),
      [1202],
    );
    assert.ok(!job.body.errors[0].message.includes('admin.'), 'errors are worded, not keys');
    assert.equal((await counts()).users, before.users + 1200);

    // A file that cannot be read fails the job with the reason; an unknown job is a 404.
    const broken = await api('POST', '/imports', `${HEADER}\r\n"zed,Zed`);
    assert.equal(broken.status, 202);
    await Promise.all([...runningImports]);
    const failed = await api('GET', `/imports/${broken.body.id}`);
    assert.equal(failed.body.state, 'failed');
    assert.match(failed.body.failure, /Line 2/);
    assert.equal((await api('GET', `/imports/${crypto.randomUUID()}`)).status, 404);
    assert.equal((await api('POST', '/imports', '{}', 'application/json')).status, 415);

    // A job whose process stopped stops looking alive: no progress for 5 minutes reads "interrupted".
    const id = crypto.randomUUID();
    await tdb.db('import_jobs').insert({
      id,
      dry_run: false,
      state: 'running',
      rows: 500,
      created_at: clock.now(),
      updated_at: clock.now(),
    });
    assert.equal((await api('GET', `/imports/${id}`)).body.state, 'running');
    clock.advance(5 * 60_000 + 1);
    const stale = await api('GET', `/imports/${id}`);
    assert.deepEqual([stale.body.state, stale.body.rows], ['interrupted', 500]);

    const doc = await api('GET', '/openapi.json');
    assert.ok(doc.body.paths['/imports'].post.responses['202'].headers.Location);
    assert.ok(doc.body.paths['/imports/{id}'].get);
    assert.ok(doc.body.paths['/imports'].post.requestBody.content['text/csv']);
  });

  it('an export imports back unchanged, phones and all', async () => {
    const r = await api('GET', '/users.csv');
    assert.equal(r.status, 200);
    assert.ok(r.text.startsWith('\uFEFFlogin,name,email'));
    assert.match(r.text, /'\+819012345678/, 'a phone is protected from spreadsheets');
    const before = await counts();
    const back = await api('POST', '/users/import', r.text);
    assert.equal(back.status, 200, back.text);
    assert.equal(back.body.failed, 0, JSON.stringify(back.body.errors));
    assert.equal(back.body.created + back.body.updated, 0);
    const after = await counts();
    assert.deepEqual({ ...after, audit: 0 }, { ...before, audit: 0 });
  });

  it('bad CSV gets a clear 400, never a 500', async () => {
    const cases: Array<[string, string | Uint8Array, number]> = [
      ['unterminated quote', `${HEADER}\r\n"zed,Zed`, 400],
      ['quote inside a cell', `${HEADER}\r\nze"d,Zed,,,,,,,,`, 400],
      ['unknown column', 'login,password\r\nzed,secret', 400],
      ['no login column', 'name,email\r\nZed,z@example.com', 400],
      ['empty', '', 400],
      ['not UTF-8', new Uint8Array([0x6c, 0x6f, 0x67, 0x69, 0x6e, 0x0a, 0xff, 0xfe, 0x0a]), 400],
      ['a huge cell', `login\r\n${'a'.repeat(100_000)}`, 400],
      ['too many cells', `login\r\n${'a,'.repeat(500)}`, 400],
    ];
    for (const [name, body, status] of cases) {
      const r = await fetch(`${srv.url}/api/admin/v1/users/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: body as BodyInit,
      });
      assert.equal(r.status, status, name);
      const j = await r.json();
      assert.equal(j.error, 'invalid_request', name);
      assert.ok(j.fields.file, name);
    }
    const wrongType = await api('POST', '/users/import', '{"login":"x"}', 'application/json');
    assert.equal(wrongType.status, 415);
    const short = await api('POST', '/users/import', `${HEADER}\r\nzed,Zed`);
    assert.equal(short.status, 200);
    assert.equal(short.body.errors[0].column, '*', 'a row with too few cells is that row’s error');
  });

  it('the CLI imports from a file with progress, and exports', async () => {
    const rows = [HEADER];
    for (let i = 0; i < 2500; i++) rows.push(`cli${i},CLI ${i},cli${i}@example.com,,sales,,,,,local`);
    const f = path.join(dir, 'many.csv');
    fs.writeFileSync(f, rows.join('\n'));
    const progress: string[] = [];
    const cx = {
      db: srv.db,
      box: srv.box,
      clock,
      config: srv.app.deps.config,
      progress: (l: string) => progress.push(l),
    };
    const dry = await runCommand(['user', 'import', f, '--dry-run'], undefined, cx);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /dry run: 2500 rows: 2500 to create/);
    assert.ok(progress.length >= 3, 'progress every 1000 rows and at the end');
    const run = await runCommand(['user', 'import', f], undefined, cx);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /2500 created/);
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, [HEADER, ...broken].join('\n'));
    const failed = await runCommand(['user', 'import', bad], undefined, cx);
    assert.equal(failed.code, 2);
    assert.match(failed.stdout, /line 2, login/);
    const missing = await runCommand(['user', 'import', path.join(dir, 'nope.csv')], undefined, cx);
    assert.equal(missing.code, 2);
    const exported = await runCommand(['user', 'export'], undefined, cx);
    assert.equal(exported.code, 0);
    assert.equal(exported.stdout.split('\r\n').filter(Boolean).length, 1 + 2500 + 4 + 1200);
  });

  it('the reader handles quotes, line breaks and chunk boundaries', async () => {
    const text = 'a,b\r\n"x, ""y""","line\nbreak"\n\n"q"""\r\n';
    for (let size = 1; size <= text.length; size++) {
      const chunks = async function* () {
        for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
      };
      const out = [];
      for await (const r of readCsv(chunks())) out.push(r);
      assert.deepEqual(
        out.map((r) => [r.line, r.cells]),
        [
          [1, ['a', 'b']],
          [2, ['x, "y"', 'line\nbreak']],
          [5, ['q"']],
        ],
        `chunks of ${size}`,
      );
    }
  });
});

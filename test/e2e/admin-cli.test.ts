import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import { type Activity, recordAudit } from '../../src/store/audit.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

describe(`administration commands of the CLI (${backendName})`, () => {
  let tdb: TestDatabase;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const box = new SecretBox(Buffer.alloc(32, 7));
  let invalidated = 0;

  const run = (...argv: string[]) =>
    runCommand(argv, argv.includes('--password-stdin') ? 'a long enough password\n' : undefined, {
      db: tdb.db,
      box,
      clock,
      onClientsChanged: () => invalidated++,
    });
  const json = async (...argv: string[]) => {
    const r = await run(...argv, '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const adminEvents = async (activity: string) => tdb.db('audit_events').where({ activity, actor_id: 'cli' });

  before(async () => {
    tdb = await createTestDatabase();
    await json('user', 'add', 'kim', '--email', 'kim@example.com', '--password-stdin');
    await json('user', 'add', 'lee', '--password-stdin');
    await json('group', 'add', 'staff');
    await json('group', 'add-member', 'staff', 'kim');
  });
  after(() => tdb.drop());

  it('lists its commands in the usage text', async () => {
    const r = await run('help');
    for (const c of [
      'user reset-password',
      'user unlock',
      'group remove-member',
      'client rotate-secret',
      'audit export',
      'report show',
    ]) {
      assert.ok(r.stdout.includes(c), c);
    }
  });

  it('shows and searches users, with method kinds only', async () => {
    const kim = await json('user', 'show', 'kim');
    await insertCredential(
      tdb.db,
      kim.id,
      { kind: 'app', label: 'Phone of Kim', data: { secret: 'SEALED' } },
      clock.now(),
    );
    const shown = await json('user', 'show', 'kim');
    assert.deepEqual(
      shown.methods.map((m: any) => m.kind),
      ['app'],
    );
    assert.deepEqual(shown.groups, ['staff']);
    assert.ok(!JSON.stringify(shown).includes('Phone of Kim'));
    const human = await run('user', 'show', 'kim');
    assert.match(human.stdout, /methods: app \(2026-06-01/);
    const found = await json('user', 'search', 'KI');
    assert.deepEqual(
      found.users.map((u: any) => u.login),
      ['kim'],
    );
    assert.deepEqual(
      (await json('user', 'search', '--group', 'staff')).users.map((u: any) => u.login),
      ['kim'],
    );
    const missing = await run('user', 'show', 'nobody');
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /No such user/);
    const bad = await run('user', 'search', '--status', 'gone');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /status: Choose one of/);
  });

  it('updates, disables, enables, resets, unlocks and requires re-registration, each audited once', async () => {
    let r = await json(
      'user',
      'update',
      'lee',
      '--name',
      'Lee Ann',
      '--role',
      'helpdesk',
      '--password-managed',
      'external',
    );
    assert.deepEqual(r.roles, ['helpdesk']);
    assert.equal(r.passwordManaged, 'external');
    assert.equal((await run('user', 'reset-password', 'lee')).code, 3, 'managed elsewhere');
    await json('user', 'update', 'lee', '--password-managed', 'local', '--clear-roles');
    r = await json('user', 'disable', 'lee');
    assert.equal(r.status, 'disabled');
    r = await json('user', 'enable', 'lee');
    assert.equal(r.status, 'active');
    const reset = await json('user', 'reset-password', 'lee');
    assert.match(reset.temporaryPassword, /^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    assert.equal((await tdb.db('users').where({ login: 'lee' }).first()).must_change_password, true);
    await tdb
      .db('counters')
      .insert({
        key: 'signin:kim',
        hits: 0,
        lock_count: 1,
        locked_until: new Date(clock.now().getTime() + 60_000),
        updated_at: clock.now(),
      })
      .onConflict('key')
      .merge();
    assert.equal((await json('user', 'show', 'kim')).lock.locked, true);
    assert.equal((await json('user', 'unlock', 'kim')).lock.locked, false);
    assert.deepEqual((await json('user', 'require-reregistration', 'kim')).methods, []);
    for (const a of ['update', 'disable', 'enable', 'reset_password', 'unlock', 'require_reregistration']) {
      const n = (await adminEvents(`admin.user.${a}`)).length;
      assert.equal(n, a === 'update' ? 2 : 1, a);
    }
  });

  it('manages groups and clients', async () => {
    assert.deepEqual(
      (await json('group', 'members', 'staff')).members.map((m: any) => m.login),
      ['kim'],
    );
    assert.equal((await json('group', 'remove-member', 'staff', 'kim')).removed, true);
    await json('policy', 'set', 'resetScope', 'selected');
    await json('policy', 'set', 'resetGroups', '["staff"]');
    const inUse = await run('group', 'delete', 'staff');
    assert.equal(inUse.code, 3);
    await json('policy', 'set', 'resetGroups', '[]');
    await json('policy', 'set', 'resetScope', 'all');
    await json('group', 'delete', 'staff');
    assert.equal((await run('group', 'members', 'staff')).code, 4);

    const created = await json('client', 'add', 'app1', '--redirect-uri', 'https://app.example/cb');
    const before = invalidated;
    let c = await json(
      'client',
      'update',
      'app1',
      '--redirect-uri',
      'https://app.example/cb2',
      '--grant-type',
      'authorization_code',
      '--first-party',
    );
    assert.deepEqual(c.redirectUris, ['https://app.example/cb2']);
    assert.equal(c.firstParty, true);
    c = await json('client', 'update', 'app1', '--no-first-party');
    assert.equal(c.firstParty, false);
    // The admin scope is granted and revoked explicitly (denied by default).
    assert.equal(created.admin, undefined);
    assert.equal((await json('client', 'show', 'app1')).admin, false);
    c = await json('client', 'update', 'app1', '--admin');
    assert.equal(c.admin, true);
    assert.match((await run('client', 'show', 'app1')).stdout, /admin scope: granted/);
    c = await json('client', 'update', 'app1', '--no-admin');
    assert.equal(c.admin, false);
    const listed = await run(
      'client',
      'add',
      'app2',
      '--redirect-uri',
      'https://app.example/cb',
      '--scope',
      'admin',
    );
    assert.equal(listed.code, 2, '"admin" is not an ordinary scope');
    const bad = await run('client', 'update', 'app1', '--redirect-uri', 'not a uri');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /redirectUris\.0/);
    const rotated = await json('client', 'rotate-secret', 'app1');
    assert.notEqual(rotated.client_secret, created.client_secret);
    assert.equal((await json('client', 'show', 'app1')).clientId, 'app1');
    await json('client', 'delete', 'app1');
    assert.equal((await run('client', 'show', 'app1')).code, 4);
    assert.ok(invalidated > before, 'a running server drops its cached client');
  });

  it('lists and exports the audit log, sweeps it, and shows the reports', async () => {
    const list = await json('audit', 'list', '--activity', 'admin.client.*');
    assert.deepEqual(
      list.events.map((e: any) => e.activity),
      [
        'admin.client.delete',
        'admin.client.rotate_secret',
        'admin.client.update',
        'admin.client.update',
        'admin.client.update',
        'admin.client.update',
        'admin.client.create',
      ],
    );
    const csv = await run('audit', 'export', '--activity', 'admin.client.*');
    assert.equal(csv.code, 0);
    const lines = csv.stdout.trimEnd().split('\r\n');
    assert.equal(lines.length, 1 + list.events.length);
    assert.ok(lines[0].startsWith('\uFEFFid,time,'));
    assert.equal((await run('audit', 'list', '--from', 'last week')).code, 2);

    await recordAudit(tdb.db, {
      at: new Date(clock.now().getTime() - 400 * 86_400_000),
      activity: 'ancient' as Activity,
      result: 'succeeded',
    });
    assert.equal((await json('audit', 'sweep')).deleted, 1);

    await recordAudit(tdb.db, {
      at: clock.now(),
      activity: 'reset.complete',
      result: 'succeeded',
      details: { methods: ['app'] },
    });
    const report = await json('report', 'show');
    assert.deepEqual(report.resetsPerMethod, [{ method: 'app', count: 1 }]);
    assert.equal(report.registration.active, 2);
    const human = await run('report', 'show');
    assert.match(human.stdout, /resets: 1; by method: app 1/);
  });
});

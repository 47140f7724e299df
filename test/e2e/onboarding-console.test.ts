import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { runningImports } from '../../src/flows/admin/import-jobs.ts';
import { Browser, formAction, hiddenInputs, type Resp } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { registerAppInPortal } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, toolAvailable } from '../helpers/tools.ts';

/*
 * Issue 16 in the admin console: a user created without a password, contact methods pre-registered
 * on the user's page, an invitation sent and withdrawn, and a CSV pasted, previewed (dry run: the
 * broken lines and nothing written) and imported.
 */

const skipReason = toolAvailable(OATHTOOL) ? undefined : `${OATHTOOL} not found: apt-get install oathtool`;
if (skipReason && process.env.TOBIRA_REQUIRE_TOOLS === '1') throw new Error(skipReason);
if (skipReason) process.stderr.write(`NOTICE: ${skipReason}; skipping the onboarding console tests\n`);

describe(`onboarding in the admin console (${backendName})`, { skip: skipReason }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  let secret = '';
  const br = new Browser();

  async function open(path: string): Promise<Resp> {
    let r = await br.follow(await br.get(path, srv.issuer));
    for (let i = 0; i < 6 && /\/interaction\//.test(r.url); i++) {
      const fields: Record<string, string> = { ...hiddenInputs(r.text) };
      if (/name="username"/.test(r.text)) Object.assign(fields, { username: 'root', password });
      else if (/name="code"/.test(r.text)) {
        clock.advance(30_000);
        fields.code = oathtoolCode(secret, clock.now());
      }
      r = await br.follow(await br.post(formAction(r.text), fields, r.url));
    }
    return r;
  }
  const post = (page: Resp, action: string, fields: Record<string, string>) =>
    br.post(action, { _csrf: hiddenInputs(page.text)._csrf, ...fields }, srv.issuer);

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'allowedPhoneCountries', ['JP']);
    await addUserViaCli(srv, 'root', password, ['--admin', '--email', 'root@example.com']);
    secret = await registerAppInPortal(srv.issuer, 'root', password, clock);
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  it('creates a user without a password, pre-registers contact methods and invites', async () => {
    const form = await open('/admin/users/new');
    assert.equal(form.status, 200, form.text.slice(0, 300));
    assert.match(form.text, /name="initialPassword" value="none"/);
    const created = await post(form, '/admin/users/new', {
      login: 'sora',
      displayName: 'Sora',
      email: 'sora@example.com',
      passwordManaged: 'local',
      initialPassword: 'none',
    });
    assert.equal(created.status, 200, created.text.slice(0, 500));
    const sora = await tdb.db('users').where({ login: 'sora' }).first();
    assert.equal(sora.password_hash, null);
    let page = await open(`/admin/users/${sora.id}`);
    assert.match(page.text, /id="not-activated"/);

    const bad = await post(page, `/admin/users/${sora.id}/contact-methods`, { mobilePhone: 'nope' });
    assert.equal(bad.status, 400);
    assert.equal(new URL(bad.url).pathname, `/admin/users/${sora.id}`, 'the user page says why, after a 303');
    assert.match(bad.text, /data-field="mobilePhone"/);
    assert.doesNotMatch((await br.get(bad.url)).text, /data-field="mobilePhone"/, 'shown once');
    const saved = await post(page, `/admin/users/${sora.id}/contact-methods`, {
      mobilePhone: '090-7777-8888',
      alternateEmail: 'sora.home@example.org',
      country: 'JP',
    });
    assert.equal(saved.status, 302, saved.text.slice(0, 500));
    page = await br.follow(saved);
    assert.match(page.text, /The contact methods were saved/);
    assert.match(page.text, /added by your organisation, not confirmed yet/);
    assert.doesNotMatch(page.text, /7777-8888|77778888/, 'masked');

    const invited = await post(page, `/admin/users/${sora.id}/invite`, {});
    assert.equal(invited.status, 302);
    page = await br.follow(invited);
    assert.match(page.text, /The invitation was sent/);
    await deliverQueuedNotices(srv);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: 'sora@example.com', purpose: 'invitation' })
      .first();
    assert.ok(mail, 'the invitation is in the development outbox');
    const revoked = await post(page, `/admin/users/${sora.id}/revoke-invitation`, {});
    assert.equal(revoked.status, 302);
    const events = await tdb
      .db('audit_events')
      .where({ subject_id: sora.id })
      .orderBy('id')
      .pluck('activity');
    assert.deepEqual(events, [
      'admin.user.create',
      'admin.user.contact_methods',
      'admin.user.invite',
      'admin.user.invite_revoke',
    ]);
  });

  it('previews a pasted CSV as a dry run, then imports it', async () => {
    const page = await open('/admin/users/import');
    assert.equal(page.status, 200);
    const csv = [
      'login,name,email,groups,mobile_phone',
      'umi,Umi,umi@example.com,,090-1212-3434',
      'bad login!,X,x@example.com,,',
      'vic,Vic,vic@example.com,nosuchgroup,',
      'wes,Wes,wes@example.com,,',
    ].join('\r\n');
    const before = await tdb.db('users').count({ c: '*' }).first();
    const preview = await post(page, '/admin/users/import', { csv, run: 'preview' });
    assert.equal(preview.status, 200);
    assert.match(preview.text, /4 rows: 2 to create, 0 to update, 0 unchanged, 2 with errors/);
    const lines = [...preview.text.matchAll(/<tr><td>(\d+)<\/td><td>([a-z_*]+)<\/td>/g)].map(
      (m) => `${m[1]}:${m[2]}`,
    );
    assert.deepEqual(lines, ['3:login', '4:groups']);
    assert.deepEqual(await tdb.db('users').count({ c: '*' }).first(), before, 'the preview wrote nothing');
    assert.match(preview.text, /name="run" value="import"/);
    // The import runs as a job: its page shows the progress (reloading itself) until it is done.
    const started = await post(preview, '/admin/users/import', { csv, run: 'import' });
    assert.equal(started.status, 302);
    const jobPath = new URL(started.headers.get('location')!, srv.issuer).pathname;
    assert.match(jobPath, /^\/admin\/users\/import\/[0-9a-f-]{36}$/);
    await Promise.all([...runningImports]);
    const done = await br.get(jobPath, srv.issuer);
    assert.equal(done.status, 200);
    assert.match(done.text, /data-state="done"/);
    assert.equal(done.headers.get('refresh'), null, 'a finished job stops reloading');
    assert.match(done.text, /Imported 4 rows: 2 created/);
    assert.deepEqual(
      [...done.text.matchAll(/<tr><td>(\d+)<\/td><td>([a-z_*]+)<\/td>/g)].map((m) => `${m[1]}:${m[2]}`),
      ['3:login', '4:groups'],
    );
    assert.ok(await tdb.db('users').where({ login: 'umi' }).first());
    // A refused file: 303 to the import page, which says why once and keeps the (small) text.
    const users = await tdb.db('users').count({ c: '*' }).first();
    const imports = await tdb.db('audit_events').where({ activity: 'admin.users.import' }).count({ c: '*' });
    const raw = await br.postRaw(
      '/admin/users/import',
      { _csrf: hiddenInputs(page.text)._csrf, csv: '"unclosed', run: 'preview' },
      srv.issuer,
    );
    assert.equal(raw.status, 303);
    assert.equal(new URL(raw.location!).pathname, '/admin/users/import');
    const broken = await br.get(raw.location!);
    assert.equal(broken.status, 400);
    assert.match(broken.text, /id="form-error"/);
    assert.match(broken.text, />&quot;unclosed<\/textarea>/);
    const reloaded = await br.get('/admin/users/import', srv.issuer);
    assert.equal(reloaded.status, 200);
    assert.doesNotMatch(reloaded.text, /id="form-error"/, 'shown once');
    assert.deepEqual(await tdb.db('users').count({ c: '*' }).first(), users, 'nothing written');
    assert.deepEqual(
      await tdb.db('audit_events').where({ activity: 'admin.users.import' }).count({ c: '*' }),
      imports,
    );
    const exported = await br.get('/admin/users.csv', srv.issuer);
    assert.equal(exported.status, 200);
    assert.match(exported.text, /umi,Umi,umi@example.com/);
  });
});

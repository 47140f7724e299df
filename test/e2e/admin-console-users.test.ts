import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { updateUser } from '../../src/store/users.ts';
import { Browser, formAction, hiddenInputs, type Resp } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { registerAppInPortal } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool } from '../helpers/tools.ts';

/**
 * The console's "delete user" (a confirmation page that needs no script; users.write; never oneself)
 * and "mark email verified / not verified": the same service functions as the API and the CLI.
 */
describe(`admin console: delete user, email verification (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};
  let root: Browser;

  async function open(br: Browser, path: string, login: string): Promise<Resp> {
    let r = await br.follow(await br.get(path, srv.issuer));
    for (let i = 0; i < 6 && /\/interaction\//.test(r.url); i++) {
      const fields: Record<string, string> = { ...hiddenInputs(r.text) };
      if (/name="username"/.test(r.text)) Object.assign(fields, { username: login, password });
      else if (/name="code"/.test(r.text) && secrets[login]) {
        clock.advance(30_000);
        fields.code = oathtoolCode(secrets[login], clock.now());
      }
      r = await br.follow(await br.post(formAction(r.text), fields, r.url));
    }
    return r;
  }

  const post = (br: Browser, page: Resp, action: string, fields: Record<string, string> = {}) =>
    br.post(action, { _csrf: hiddenInputs(page.text)._csrf, ...fields }, srv.issuer);

  const userRow = (login: string) => tdb.db('users').where({ id: ids[login] }).first();

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    for (const [login, extra] of [
      ['root', ['--admin', '--email', 'root@example.com']],
      ['desk', []],
      ['nina', ['--email', 'nina@example.com']],
      ['omar', []],
    ] as const) {
      ids[login] = (await addUserViaCli(srv, login, password, [...extra])).id;
    }
    await updateUser(tdb.db, ids.desk, { roles: ['helpdesk'] }, clock.now());
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  it('marks an email verified and not verified, audited as a profile update', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    for (const login of ['root', 'desk'])
      secrets[login] = await registerAppInPortal(srv.issuer, login, password, clock);
    root = new Browser();
    let page = await open(root, `/admin/users/${ids.nina}`, 'root');
    assert.equal(page.status, 200);
    assert.match(page.text, /nina@example\.com <span class="tag">not verified/);
    let r = await post(root, page, `/admin/users/${ids.nina}/email-verified`);
    assert.equal(r.status, 302);
    page = await root.follow(r);
    assert.match(page.text, /The email is marked as verified/);
    assert.match(page.text, /<span class="tag">verified/);
    assert.ok((await userRow('nina')).email_verified_at);
    r = await post(root, page, `/admin/users/${ids.nina}/email-unverified`);
    assert.equal(r.status, 302);
    page = await root.follow(r);
    assert.match(page.text, /The email is marked as not verified/);
    assert.equal((await userRow('nina')).email_verified_at, null);
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'admin.user.update', actor_id: ids.root, subject_id: ids.nina });
    assert.equal(audit.length, 2);
  });

  it('a user without an email cannot be marked verified: a clear error, nothing changed', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const page = await open(root, `/admin/users/${ids.omar}`, 'root');
    assert.doesNotMatch(page.text, /email-verified"/, 'no button without an email');
    const r = await post(root, page, `/admin/users/${ids.omar}/email-verified`);
    assert.equal(r.status, 400);
    assert.match(r.text, /no email to mark as verified/);
    assert.equal((await userRow('omar')).email_verified_at, null);
  });

  it('the helpdesk can neither delete nor mark emails', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const desk = new Browser();
    const page = await open(desk, `/admin/users/${ids.nina}`, 'desk');
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /\/delete"/);
    assert.doesNotMatch(page.text, /email-verified"/);
    const get = await desk.get(`/admin/users/${ids.nina}/delete`, srv.issuer);
    assert.equal(get.status, 403);
    for (const action of ['delete', 'email-verified']) {
      const r = await post(desk, page, `/admin/users/${ids.nina}/${action}`);
      assert.equal(r.status, 403, action);
    }
    const row = await userRow('nina');
    assert.ok(row, 'nina still exists');
    assert.equal(row.email_verified_at, null);
  });

  it('an administrator cannot delete their own account', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const page = await open(root, `/admin/users/${ids.root}`, 'root');
    assert.doesNotMatch(page.text, /id="delete-user"/);
    const get = await root.get(`/admin/users/${ids.root}/delete`, srv.issuer);
    assert.equal(get.status, 409);
    assert.match(get.text, /cannot delete your own account/);
    const r = await post(root, page, `/admin/users/${ids.root}/delete`);
    assert.equal(r.status, 409);
    assert.ok(await userRow('root'));
  });

  it('deletes a user after a confirmation page; a post without the CSRF token deletes nothing', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const userPage = await open(root, `/admin/users/${ids.nina}`, 'root');
    const link = /<a href="([^"]+)" id="delete-user">/.exec(userPage.text);
    assert.ok(link, 'the user page links to the confirmation page');
    const confirm = await root.get(link[1], srv.issuer);
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /Delete user nina\?/);
    assert.equal(formAction(confirm.text, 1), `/admin/users/${ids.nina}/delete`);
    assert.match(confirm.text, new RegExp(`href="/admin/users/${ids.nina}">Cancel`));
    assert.doesNotMatch(confirm.text, /<script(?![^>]*src=)/, 'no inline script is needed');

    let r = await root.post(`/admin/users/${ids.nina}/delete`, {}, srv.issuer);
    assert.equal(r.status, 403);
    assert.ok(await userRow('nina'));

    r = await post(root, confirm, `/admin/users/${ids.nina}/delete`);
    assert.equal(r.status, 302);
    const list = await root.follow(r);
    assert.match(list.text, /The user nina was deleted/);
    assert.equal(await userRow('nina'), undefined);
    assert.equal((await tdb.db('credentials').where({ user_id: ids.nina })).length, 0);
    const audit = await tdb.db('audit_events').where({ activity: 'admin.user.delete', actor_id: ids.root });
    assert.equal(audit.length, 1);
    assert.match(audit[0].subject_id, /^deleted:/);
    const gone = await root.get(`/admin/users/${ids.nina}`, srv.issuer);
    assert.equal(gone.status, 404);
  });
});

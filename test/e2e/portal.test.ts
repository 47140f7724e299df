import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import {
  alertText,
  Browser,
  decodeEntities,
  formAction,
  hiddenInputs,
  type Resp,
} from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool } from '../helpers/tools.ts';

describe(`security-info portal (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  let gina: { id: string };
  let hank: { id: string };

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    gina = await addUserViaCli(srv, 'gina', password, ['--email', 'gina@example.com']);
    hank = await addUserViaCli(srv, 'hank', password);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  /** Opens a portal page, signing in through the provider's pages when asked to. */
  async function open(
    br: Browser,
    path: string,
    login = 'gina',
    secret?: string,
    pw = password,
  ): Promise<Resp> {
    let r = await br.follow(await br.get(path, srv.issuer));
    for (let i = 0; i < 4 && /\/interaction\//.test(r.url); i++) {
      const fields: Record<string, string> = { ...hiddenInputs(r.text) };
      if (/name="username"/.test(r.text)) Object.assign(fields, { username: login, password: pw });
      else if (/name="code"/.test(r.text) && secret) fields.code = oathtoolCode(secret, clock.now());
      r = await br.follow(await br.post(formAction(r.text), fields, r.url));
    }
    return r;
  }

  async function post(br: Browser, page: Resp, action: string, fields: Record<string, string> = {}) {
    return br.post(action, { _csrf: hiddenInputs(page.text)._csrf, ...fields }, srv.issuer);
  }

  it('signs in through the provider and lists security info', async () => {
    const br = new Browser();
    const r = await open(br, '/my/security-info');
    assert.equal(r.status, 200);
    assert.equal(new URL(r.url).pathname, '/my/security-info');
    assert.match(r.text, /You have not registered any security info yet/);
    assert.match(r.text, /href="\/my\/security-info\/add\/app"/);
  });

  let secret = '';
  let ginaBrowser: Browser;

  it('adds an authenticator app, with an audit event and an email notice', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    ginaBrowser = new Browser();
    let r = await open(ginaBrowser, '/my/security-info/add/app');
    assert.equal(r.status, 200);
    secret = decodeEntities(/<code translate="no">([^<]+)<\/code>/.exec(r.text)![1]).replace(/\s+/g, '');
    r = await ginaBrowser.post(
      '/my/security-info/add/app',
      { ...hiddenInputs(r.text), code: oathtoolCode(secret, clock.now()) },
      srv.issuer,
    );
    assert.equal(r.status, 302);
    r = await ginaBrowser.follow(r);
    assert.match(r.text, /The method was added/);
    assert.match(r.text, /Authenticator app/);
    assert.match(r.text, /default sign-in method/);
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'security_info.add', result: 'succeeded', subject_id: gina.id });
    assert.equal(audit.length, 1);
    await deliverQueuedNotices(srv);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: 'gina@example.com', purpose: 'notice.security_info_added' });
    assert.equal(mail.length, 1);
  });

  it('refuses a change without the CSRF token or from another origin', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const page = await open(ginaBrowser, '/my/security-info');
    const id = /href="\/my\/security-info\/([0-9a-f-]{36})\/delete"/.exec(page.text)![1];
    let r = await ginaBrowser.post(`/my/security-info/${id}/delete`, {}, srv.issuer);
    assert.equal(r.status, 403);
    r = await ginaBrowser.request('POST', `/my/security-info/${id}/delete`, {
      base: srv.issuer,
      body: new URLSearchParams({ _csrf: hiddenInputs(page.text)._csrf }),
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(r.status, 403);
    assert.equal((await tdb.db('credentials').where({ id })).length, 1, 'nothing deleted');
  });

  it("one user cannot see or delete another user's methods", async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const ginaCred = (await tdb.db('credentials').where({ user_id: gina.id }).first()).id;
    const hb = new Browser();
    const page = await open(hb, '/my/security-info', 'hank');
    assert.doesNotMatch(page.text, new RegExp(ginaCred));
    for (const action of ['delete', 'default']) {
      const r = await post(hb, page, `/my/security-info/${ginaCred}/${action}`);
      assert.equal(r.status, 404, action);
    }
    let r = await post(hb, page, '/my/security-info/not-a-uuid/delete');
    assert.equal(r.status, 404);
    r = await post(hb, page, "/my/security-info/' or 1=1 --/delete");
    assert.ok(r.status === 404 || r.status === 400, `status ${r.status}`);
    assert.equal((await tdb.db('credentials').where({ id: ginaCred })).length, 1);
    assert.ok(hank.id);
  });

  it('a change with a sign-in older than 10 minutes goes through sign-in again, with the second factor', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    clock.advance(11 * 60_000);
    let page = await ginaBrowser.get('/my/security-info', srv.issuer);
    assert.equal(page.status, 200, 'reading is still allowed');
    const id = /href="\/my\/security-info\/([0-9a-f-]{36})\/delete"/.exec(page.text)![1];
    let r = await post(ginaBrowser, page, `/my/security-info/${id}/delete`);
    assert.equal(r.status, 401, 'a stale sign-in cannot change security info');
    assert.match(alertText(r.text) ?? '', /sign in again/i);

    r = await ginaBrowser.get('/my/security-info/add/app', srv.issuer);
    assert.equal(r.status, 302);
    const auth = new URL(r.location!);
    assert.equal(auth.searchParams.get('prompt'), 'login');
    assert.equal(auth.searchParams.get('acr_values'), 'urn:tobira:acr:mfa');
    assert.equal(auth.searchParams.get('login_hint'), 'gina', 'the user ID is passed on');
    const signInPage = await ginaBrowser.follow(await ginaBrowser.get(auth.href));
    assert.match(
      signInPage.text,
      /<p class="notice" role="status" id="step-up">For your security, sign in again/,
    );
    assert.match(signInPage.text, /<input id="username" name="username"[^>]* value="gina"/, 'filled in');
    // Sign in again: password, then the app.
    page = await open(ginaBrowser, '/my/security-info', 'gina', secret);
    assert.equal(new URL(page.url).pathname, '/my/security-info');
    const fresh = await open(ginaBrowser, '/my/security-info/add/app', 'gina', secret);
    assert.equal(fresh.status, 200, 'allowed after signing in again with the second factor');

    // "Delete" asks first, on a page of its own whose form posts the deletion (no JavaScript needed).
    page = await ginaBrowser.get(`/my/security-info/${id}/delete`, srv.issuer);
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Delete this method\?<\/h1>/);
    assert.match(page.text, /Authenticator app/);
    assert.match(page.text, new RegExp(`<form method="post" action="/my/security-info/${id}/delete"`));
    assert.match(page.text, /<a class="button secondary" href="\/my\/security-info">Cancel<\/a>/);
    assert.equal((await tdb.db('credentials').where({ id })).length, 1, 'asking deletes nothing');
    r = await post(ginaBrowser, page, `/my/security-info/${id}/delete`);
    assert.equal(r.status, 302);
    assert.equal((await tdb.db('credentials').where({ id })).length, 0, 'deleted');
    await deliverQueuedNotices(srv);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: 'gina@example.com', purpose: 'notice.security_info_removed' });
    assert.equal(mail.length, 1);
  });

  it("changes the password under the policy, with reasons in the user's language", async () => {
    const br = new Browser();
    br.acceptLanguage = 'ja';
    let page = await open(br, '/my/password', 'hank');
    assert.match(page.text, /パスワードの変更/);
    let r = await post(br, page, '/my/password', { current: 'wrong', password: 'x', confirm: 'x' });
    assert.equal(r.status, 400);
    assert.match(r.text, /現在のパスワードが正しくありません/);
    r = await post(br, page, '/my/password', {
      current: password,
      password: 'password1',
      confirm: 'password1',
    });
    assert.equal(r.status, 400);
    assert.match(r.text, /8 文字以上|よく使われて/);
    r = await post(br, page, '/my/password', {
      current: password,
      password: 'hank tiger moon',
      confirm: 'hank tiger moon',
    });
    assert.match(r.text, /ユーザー ID を含めないで/);
    r = await post(br, page, '/my/password', { current: password, password, confirm: password });
    assert.match(r.text, /最近使用したパスワード/, 'the current password counts as a recent one');
    const next = 'violet harbor lantern 42';
    r = await post(br, page, '/my/password', { current: password, password: next, confirm: `${next}!` });
    assert.match(r.text, /一致しません/);
    r = await post(br, page, '/my/password', { current: password, password: next, confirm: next });
    assert.equal(r.status, 302);
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'password.change', result: 'succeeded', subject_id: hank.id });
    assert.equal(audit.length, 1);
    // The old password no longer signs in; the new one does.
    const nb = new Browser();
    page = await open(nb, '/my/security-info', 'hank');
    assert.match(page.text, /incorrect/);
    const ok = await open(new Browser(), '/my/activity', 'hank', undefined, next);
    assert.equal(ok.status, 200);
    assert.match(ok.text, /Password changed/, 'the activity page lists the change, in words');
  });

  it("renames a method; a bad name or another user's method is refused", async () => {
    const br = new Browser();
    // Signed in first (no methods yet), then two named keys appear: renaming needs no fresh sign-in.
    let page = await open(br, '/my/security-info', 'hank', undefined, 'violet harbor lantern 42');
    const cred = await insertCredential(
      srv.db,
      hank.id,
      { kind: 'securityKey', label: 'Phone', data: {} },
      clock.now(),
    );
    const ginaCred = await insertCredential(
      srv.db,
      gina.id,
      { kind: 'securityKey', label: 'Gina', data: {} },
      clock.now(),
    );
    page = await br.get('/my/security-info', srv.issuer);
    assert.match(page.text, new RegExp(`action="/my/security-info/${cred.id}/rename"`));
    let r = await post(br, page, `/my/security-info/${cred.id}/rename`, { name: '  Work phone  ' });
    assert.equal(r.status, 302);
    assert.match((await br.follow(r)).text, /Work phone/);
    r = await post(br, page, `/my/security-info/${cred.id}/rename`, { name: '' });
    assert.equal(r.status, 400);
    assert.match(alertText(r.text) ?? '', /1 to 64 characters/);
    r = await post(br, page, `/my/security-info/${ginaCred.id}/rename`, { name: 'mine now' });
    assert.equal(r.status, 404);
    assert.equal((await srv.db('credentials').where({ id: ginaCred.id }).first()).label, 'Gina');
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'security_info.rename', subject_id: hank.id });
    assert.equal(audit.length, 1);
    await srv.db('credentials').whereIn('id', [cred.id, ginaCred.id]).delete();
  });

  it('bad input gets a 4xx page, never a 500', async () => {
    const br = new Browser();
    const page = await open(br, '/my/security-info', 'gina', secret || undefined);
    let r = await br.request('POST', '/my/password', {
      base: srv.issuer,
      body: '{"current":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 415);
    r = await post(br, page, '/my/security-info/add/nosuchmethod');
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    r = await br.get('/my/security-info/add/%00', srv.issuer);
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    const jar = br.cookies.get(new URL(srv.issuer).host)!;
    jar.set('tobira.portal', 'v1.tampered');
    r = await br.get('/my/security-info', srv.issuer);
    assert.equal(r.status, 302, 'a tampered session cookie just means: sign in');
  });
});

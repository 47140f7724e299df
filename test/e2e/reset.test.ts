import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { addMember, createGroup } from '../../src/store/groups.ts';
import { findUserByLogin, updateUser } from '../../src/store/users.ts';
import { alertText, Browser, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { solvePowInPage } from '../helpers/pow.ts';
import { identifyForReset, registerAppInPortal } from '../helpers/reset.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  failPasswords,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool, toolAvailable } from '../helpers/tools.ts';

describe(`"Can't access your account?" (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const secrets: Record<string, string> = {};

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    // Sign-in here is password only: the second factors are for the reset gates.
    await setPolicy(srv, 'mfa', 'off');
    for (const login of ['kate', 'leo', 'mia', 'ned']) {
      await addUserViaCli(srv, login, password, ['--email', `${login}@example.com`]);
    }
    await addUserViaCli(srv, 'helpdesk1', password, ['--email', 'helpdesk@example.com']);
    const hd = (await findUserByLogin(srv.db, 'helpdesk1'))!;
    await updateUser(srv.db, hd.id, { roles: ['helpdesk'] }, clock.now());
    const mia = (await findUserByLogin(srv.db, 'mia'))!;
    await updateUser(srv.db, mia.id, { passwordManaged: 'external' }, clock.now());
    const c = await addClientViaCli(srv, [
      'reset-app',
      '--redirect-uri',
      REDIRECT_URI,
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'refresh_token',
      '--first-party',
    ]);
    config = await discover(srv.issuer, c.clientId, c.secret);
    if (toolAvailable(OATHTOOL)) {
      for (const login of ['kate', 'ned']) secrets[login] = await registerApp(login);
    }
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  const registerApp = (login: string) => registerAppInPortal(srv.issuer, login, password, clock);
  const identify = (login: string, br?: Browser) => identifyForReset(srv.issuer, login, br);

  const strip = (html: string) =>
    html.replace(/name="_csrf" value="[^"]*"/g, '').replace(/(interaction(\/|%2F|=))[A-Za-z0-9_-]+/g, '$1X');

  it('an unknown user and an unregistered user get byte-identical pages', async () => {
    const unknown = await identify('nobody-at-all');
    const unregistered = await identify('leo');
    assert.equal(unknown.r.status, 200);
    assert.match(unknown.r.text, /We couldn&#39;t verify your account|We couldn't verify your account/);
    assert.equal(strip(unregistered.r.text), strip(unknown.r.text));
    assert.match(unknown.r.text, /Contact an administrator/);
  });

  it('a password managed elsewhere gets the "contact your administrator" page', async () => {
    const { r } = await identify('mia');
    assert.match(r.text, /managed by another system/);
    assert.doesNotMatch(r.text, /action="\/reset\/contact"/);
  });

  it('a user outside the reset scope gets "not enabled" with the contact action', async () => {
    const g = await createGroup(srv.db, 'reset-staff', clock.now());
    await addMember(srv.db, g.id, (await findUserByLogin(srv.db, 'kate'))!.id);
    await setPolicy(srv, 'resetScope', 'selected');
    await setPolicy(srv, 'resetGroups', ['reset-staff']);
    try {
      const { r } = await identify('ned');
      assert.match(r.text, /not enabled for password reset/);
      assert.match(r.text, /action="\/reset\/contact"/);
    } finally {
      await setPolicy(srv, 'resetScope', 'all');
    }
  });

  it('the fold option shows one page for every refusal', async () => {
    await setPolicy(srv, 'foldEligibilityMessages', true);
    try {
      const pages = [];
      for (const login of ['mia', 'leo', 'nobody-at-all']) pages.push(strip((await identify(login)).r.text));
      assert.equal(pages[0], pages[1]);
      assert.equal(pages[1], pages[2]);
    } finally {
      await setPolicy(srv, 'foldEligibilityMessages', false);
    }
  });

  it('refuses the identify step without the proof of work, or with a replayed one', async () => {
    const br = new Browser();
    const page = await br.get('/reset', srv.issuer);
    let r = await br.post('/reset', { ...hiddenInputs(page.text), username: 'kate' }, srv.issuer);
    assert.equal(r.status, 400);
    assert.match(alertText(r.text) ?? '', /automated-request check/);
    const solution = await solvePowInPage(page.text);
    r = await br.post(
      '/reset',
      { ...hiddenInputs(page.text), username: 'kate', altcha: solution },
      srv.issuer,
    );
    assert.equal(r.status, 302);
    r = await br.post(
      '/reset',
      { ...hiddenInputs(page.text), username: 'kate', altcha: solution },
      srv.issuer,
    );
    assert.equal(r.status, 400, 'a solved challenge works once');
  });

  it('contact an administrator: the helpdesk is emailed once per hour; an unknown user gets the same page', async () => {
    const before = await tdb.db('outbox').where({ purpose: 'notice.contact_admin' });
    for (const login of ['leo', 'leo', 'nobody-at-all']) {
      const { br, r } = await identify(login);
      const done = await br.post('/reset/contact', hiddenInputs(r.text), srv.issuer);
      assert.equal(done.status, 200);
      assert.match(done.text, /administrators have been told/);
    }
    await deliverQueuedNotices(srv);
    const after = await tdb.db('outbox').where({ purpose: 'notice.contact_admin' });
    assert.equal(after.length - before.length, 1, 'one message for leo, none for the unknown user');
    assert.equal(after.at(-1).recipient, 'helpdesk@example.com');
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'reset.attempt', result: 'contacted_admin' });
    assert.equal(audit.length, 1);
  });

  it('one gate with the authenticator app, then a new password; sessions revoked, user notified', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    // Signed in before the reset, with a refresh token.
    const before = await codeFlow(
      config,
      { username: 'kate', password },
      { scope: 'openid offline_access', extra: { prompt: 'consent' } },
    );
    assert.ok(before.tokens.refresh_token);
    // Locked out by ten wrong passwords.
    await failPasswords(config, 'kate', 10);

    const { br, r } = await identify('kate');
    assert.equal(r.location, `${srv.issuer}/reset/verify`);
    let page = await br.get('/reset/verify', srv.issuer);
    assert.match(page.text, /Verification step 1 of 1/);
    assert.match(page.text, /href="\/reset\/verify\/app"/);
    // Skipping ahead by URL is refused.
    assert.equal((await br.get('/reset/password', srv.issuer)).status, 403);
    page = await br.get('/reset/verify/app', srv.issuer);
    clock.advance(30_000);
    let res = await br.post(
      '/reset/verify/app',
      { ...hiddenInputs(page.text), code: oathtoolCode(secrets.kate, clock.now()) },
      srv.issuer,
    );
    assert.equal(res.status, 302);
    page = await br.follow(res);
    assert.match(page.text, /Choose a new password/);
    res = await br.post(
      '/reset/password',
      { ...hiddenInputs(page.text), password: 'kate12345', confirm: 'kate12345' },
      srv.issuer,
    );
    assert.equal(res.status, 400);
    assert.match(res.text, /user ID/);
    res = await br.post(
      '/reset/password',
      { ...hiddenInputs(page.text), password, confirm: password },
      srv.issuer,
    );
    assert.match(res.text, /used this password recently/);
    const fresh = 'maple orbit quietly 77';
    res = await br.post(
      '/reset/password',
      { ...hiddenInputs(page.text), password: fresh, confirm: fresh },
      srv.issuer,
    );
    assert.equal(res.status, 200);
    assert.match(res.text, /Your password was reset/);

    await assert.rejects(oidc.refreshTokenGrant(config, before.tokens.refresh_token!), (err: any) => {
      assert.equal(err.error, 'invalid_grant');
      return true;
    });
    // The browser that was signed in must sign in again, and the lock is gone.
    const again = await codeFlow(config, { username: 'kate', password: fresh }, { browser: before.browser });
    assert.ok(again.tokens.id_token);
    await deliverQueuedNotices(srv);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: 'kate@example.com', purpose: 'notice.password_reset' });
    assert.equal(mail.length, 1);
    const done = await tdb.db('audit_events').where({ activity: 'reset.complete', result: 'succeeded' });
    assert.equal(done.length, 1);
    assert.deepEqual(done[0].details.methods ?? JSON.parse(done[0].details).methods, ['app']);
    // The reset session is over.
    assert.equal((await br.get('/reset/verify', srv.issuer)).status, 400);
  });

  it('a reset session belongs to one browser and lasts 15 minutes', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const { br } = await identify('ned');
    const other = new Browser();
    let r = await other.get('/reset/verify', srv.issuer);
    assert.equal(r.status, 400);
    assert.match(r.text, /started in another browser/);
    const jar = br.cookies.get(new URL(srv.issuer).host)!;
    const stolen = new Browser();
    stolen.cookies.set(
      new URL(srv.issuer).host,
      new Map([['tobira.reset', `${jar.get('tobira.reset')!.split('.')[0]}.forged`]]),
    );
    assert.equal((await stolen.get('/reset/verify', srv.issuer)).status, 400, 'the id alone is not enough');
    assert.equal((await br.get('/reset/verify', srv.issuer)).status, 200);
    clock.advance(16 * 60_000);
    r = await br.get('/reset/verify', srv.issuer);
    assert.equal(r.status, 400, 'expired after 15 minutes');
    await srv.app.sweep();
    const ned = (await findUserByLogin(srv.db, 'ned'))!;
    const abandoned = await tdb
      .db('audit_events')
      .where({ activity: 'reset.attempt', result: 'abandoned', subject_id: ned.id });
    assert.equal(abandoned.length, 1, 'the expired session is recorded as abandoned, once');
    await srv.app.sweep();
    assert.equal(
      (await tdb.db('audit_events').where({ result: 'abandoned', subject_id: ned.id })).length,
      1,
      'not twice',
    );
  });

  it('five failed verifications block the method; success clears the counters', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const wrong = () => oathtoolCode(secrets.ned, new Date(clock.now().getTime() - 3600_000));
    // Four failures, then a success: the counters are cleared by the completed reset.
    let { br } = await identify('ned');
    let page = await br.get('/reset/verify/app', srv.issuer);
    for (let i = 0; i < 4; i++) {
      const r = await br.post('/reset/verify/app', { ...hiddenInputs(page.text), code: wrong() }, srv.issuer);
      assert.equal(r.status, 400);
    }
    clock.advance(30_000);
    let r = await br.post(
      '/reset/verify/app',
      { ...hiddenInputs(page.text), code: oathtoolCode(secrets.ned, clock.now()) },
      srv.issuer,
    );
    page = await br.follow(r);
    const pw = 'granite willow ferry 19';
    r = await br.post(
      '/reset/password',
      { ...hiddenInputs(page.text), password: pw, confirm: pw },
      srv.issuer,
    );
    assert.match(r.text, /Your password was reset/);

    // A new attempt can fail four times without being blocked; the fifth blocks the method.
    ({ br } = await identify('ned'));
    page = await br.get('/reset/verify/app', srv.issuer);
    for (let i = 0; i < 4; i++) {
      r = await br.post('/reset/verify/app', { ...hiddenInputs(page.text), code: wrong() }, srv.issuer);
      assert.equal(r.status, 400, `failure ${i + 1}`);
    }
    r = await br.post('/reset/verify/app', { ...hiddenInputs(page.text), code: wrong() }, srv.issuer);
    assert.equal(r.status, 429);
    assert.match(r.text, /blocked for 24 hours/);
    page = await br.get('/reset/verify', srv.issuer);
    assert.match(page.text, /blocked for 24 hours/);
    assert.equal((await br.get('/reset/verify/app', srv.issuer)).status, 429);
    // Still blocked in a new session, until 24 hours have passed.
    clock.advance(23 * 3600_000);
    ({ br } = await identify('ned'));
    assert.equal((await br.get('/reset/verify/app', srv.issuer)).status, 429);
    clock.advance(3600_000 + 1000);
    ({ br } = await identify('ned'));
    assert.equal((await br.get('/reset/verify/app', srv.issuer)).status, 200);
  });

  it('the sixth reset attempt for one account within an hour is refused for 24 hours', async () => {
    clock.advance(2 * 3600_000);
    for (let i = 1; i <= 5; i++) {
      const { r } = await identify('leo');
      assert.equal(r.status, 200, `attempt ${i}`);
    }
    const { r } = await identify('leo');
    assert.equal(r.status, 429);
    assert.match(r.text, /too many password reset attempts/);
    const unknown = [];
    for (let i = 1; i <= 6; i++) unknown.push((await identify('ghost-user')).r.status);
    assert.deepEqual(unknown, [200, 200, 200, 200, 200, 429], 'an unknown ID behaves the same');
  });

  it('bad input at every step gets a 4xx with a message and changes nothing', async () => {
    const br = new Browser();
    let r = await br.request('POST', '/reset', {
      base: srv.issuer,
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 415);
    r = await br.post('/reset', { username: 'kate' }, srv.issuer);
    assert.equal(r.status, 403, 'no CSRF token');
    const page = await br.get('/reset', srv.issuer);
    r = await br.post('/reset', { ...hiddenInputs(page.text), username: '', altcha: 'x' }, srv.issuer);
    assert.equal(r.status, 400);
    r = await br.post(
      '/reset',
      { ...hiddenInputs(page.text), username: 'kate', altcha: 'garbage' },
      srv.issuer,
    );
    assert.equal(r.status, 400);
    for (const path of ['/reset/verify', '/reset/verify/app', '/reset/password']) {
      r = await br.get(path, srv.issuer);
      assert.equal(r.status, 400, path);
    }
    r = await br.post(
      '/reset/password',
      { ...hiddenInputs(page.text), password: 'x', confirm: 'x' },
      srv.issuer,
    );
    assert.equal(r.status, 400);
    r = await br.post('/reset/verify/%3Cscript%3E', hiddenInputs(page.text), srv.issuer);
    assert.ok(r.status >= 400 && r.status < 500);
    assert.doesNotMatch(r.text, /<script>/);
  });
});

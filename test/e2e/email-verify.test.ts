import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import { alertText, Browser, formAction, hiddenInputs, type Resp } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { identifyForReset } from '../helpers/reset.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * A user verifies their profile email with a code sent to it from the portal: email_verified goes
 * false, then true after the code, then false after an administrator changes the email; the ID
 * token and userinfo (openid-client) say the same. Attacks: wrong codes past the limit, a replayed
 * code, a code sent before the email changed, another user's code.
 */
describe(`profile email verification (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const password = 'correct horse battery staple';
  const users: Record<string, { id: string }> = {};
  const cli = (args: string[]) =>
    runCommand(args, undefined, { db: srv.db, box: srv.box, clock: systemClock });

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'off');
    await setPolicy(srv, 'resetGatesRequired', 1);
    await setPolicy(srv, 'resetMethods', ['email']);
    for (const login of ['ada', 'bob', 'carol', 'dave', 'erin', 'finn'])
      users[login] = await addUserViaCli(srv, login, password, ['--email', `${login}@example.test`]);
    const c = await addClientViaCli(srv, ['app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  async function claims(login: string) {
    const { tokens } = await codeFlow(
      config,
      { username: login, password },
      { extra: { claims: JSON.stringify({ id_token: { email_verified: null, email: null } }) } },
    );
    const info = await oidc.fetchUserInfo(config, tokens.access_token, users[login].id);
    const id = tokens.claims()!;
    assert.equal(id.email_verified, info.email_verified, 'the ID token and userinfo agree');
    assert.equal(id.email, info.email);
    return { verified: info.email_verified, email: info.email };
  }

  /** Opens a portal page, signing in through the provider's pages when asked to. */
  async function open(br: Browser, path: string, login: string): Promise<Resp> {
    let r = await br.follow(await br.get(path, srv.issuer));
    for (let i = 0; i < 4 && /\/interaction\//.test(r.url); i++) {
      const fields: Record<string, string> = { ...hiddenInputs(r.text) };
      if (/name="username"/.test(r.text)) Object.assign(fields, { username: login, password });
      r = await br.follow(await br.post(formAction(r.text), fields, r.url));
    }
    assert.equal(new URL(r.url).pathname, path);
    return r;
  }

  const post = (br: Browser, page: Resp, action: string, fields: Record<string, string> = {}) =>
    br.post(action, { _csrf: hiddenInputs(page.text)._csrf, ...fields }, srv.issuer);

  /** Asks for a code from /my/email and returns the page with the code form and the code mailed. */
  async function sendCode(br: Browser, login: string, to = `${login}@example.test`) {
    const page = await open(br, '/my/email', login);
    const r = await post(br, page, '/my/email/send');
    assert.equal(r.status, 302, alertText(r.text));
    const form = await br.follow(r);
    assert.match(form.text, /name="code"/);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: to, purpose: 'email.verify_code' })
      .orderBy('id', 'desc')
      .first();
    assert.ok(mail, 'the code was mailed to the profile address');
    return { page: form, code: /^\s+(\d{6})\s*$/m.exec(mail.body_text)![1] };
  }

  const verifiedAt = async (login: string) =>
    (await tdb.db('users').where({ id: users[login].id }).first()).email_verified_at;

  let adaCode = '';
  let adaBrowser: Browser;

  it('the portal offers to verify; the code makes email_verified true in the ID token and userinfo', async () => {
    assert.deepEqual(await claims('ada'), { verified: false, email: 'ada@example.test' });
    adaBrowser = new Browser();
    const home = await open(adaBrowser, '/my/security-info', 'ada');
    assert.match(home.text, /is not verified yet/);
    assert.match(home.text, /href="\/my\/email"/);
    const { page, code } = await sendCode(adaBrowser, 'ada');
    assert.match(page.text, /a•••@example\.test/);
    adaCode = code;
    const wrong = code === '000000' ? '111111' : '000000';
    let r = await post(adaBrowser, page, '/my/email/verify', { code: wrong });
    assert.equal(r.status, 400);
    assert.match(alertText(r.text) ?? '', /4/);
    r = await post(adaBrowser, page, '/my/email/verify', { code });
    assert.equal(r.status, 302, alertText(r.text));
    assert.equal(new URL(r.location!, srv.issuer).pathname, '/my/security-info');
    const done = await adaBrowser.follow(r);
    assert.match(done.text, /Your email is verified/);
    assert.doesNotMatch(done.text, /is not verified yet/);
    assert.ok(await verifiedAt('ada'));
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'user.email_verify', subject_id: users.ada.id })
      .orderBy('at');
    assert.deepEqual(
      audit.map((a) => a.result),
      ['failed', 'succeeded'],
    );
    assert.deepEqual(await claims('ada'), { verified: true, email: 'ada@example.test' });
  });

  it('an administrator changing the email clears it; the used code cannot be replayed', async () => {
    const r0 = await cli(['user', 'update', 'ada', '--email', 'ada@elsewhere.test']);
    assert.equal(r0.code, 0, r0.stderr);
    assert.deepEqual(await claims('ada'), { verified: false, email: 'ada@elsewhere.test' });
    const page = await open(adaBrowser, '/my/email', 'ada');
    const r = await post(adaBrowser, page, '/my/email/verify', { code: adaCode });
    assert.equal(r.status, 400);
    assert.match(alertText(r.text) ?? '', /expired or was already used/);
    assert.equal(await verifiedAt('ada'), null);
  });

  it('a code sent before the email changed does not verify the new email', async () => {
    const { page, code } = await sendCode(adaBrowser, 'ada', 'ada@elsewhere.test');
    const r0 = await cli(['user', 'update', 'ada', '--email', 'ada@third.test']);
    assert.equal(r0.code, 0, r0.stderr);
    const r = await post(adaBrowser, page, '/my/email/verify', { code });
    assert.equal(r.status, 400);
    assert.match(alertText(r.text) ?? '', /changed after the code was sent/);
    assert.equal(await verifiedAt('ada'), null);
    assert.deepEqual(await claims('ada'), { verified: false, email: 'ada@third.test' });
  });

  it('five wrong codes block the method: the right code is refused after them, and a new code too', async () => {
    const br = new Browser();
    const { page, code } = await sendCode(br, 'bob');
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const r = await post(br, page, '/my/email/verify', { code: wrong });
      assert.ok(r.status === 400 || r.status === 429, `attempt ${i + 1}: ${r.status}`);
    }
    let r = await post(br, page, '/my/email/verify', { code });
    assert.equal(r.status, 429);
    assert.match(alertText(r.text) ?? '', /Too many/);
    r = await post(br, page, '/my/email/send');
    assert.equal(r.status, 429);
    assert.equal(await verifiedAt('bob'), null);
    assert.deepEqual(await claims('bob'), { verified: false, email: 'bob@example.test' });
  });

  it("a code sent to another user's email is refused in one's own session", async () => {
    const carol = new Browser();
    const sent = await sendCode(carol, 'carol');
    const dave = new Browser();
    const davePage = await open(dave, '/my/email', 'dave');
    const r = await post(dave, davePage, '/my/email/verify', { code: sent.code });
    assert.equal(r.status, 400);
    assert.equal(await verifiedAt('dave'), null);
    assert.equal(await verifiedAt('carol'), null);
    const ok = await post(carol, sent.page, '/my/email/verify', { code: sent.code });
    assert.equal(ok.status, 302, 'the code still works for the user it was sent to');
    assert.ok(await verifiedAt('carol'));
  });

  /** A reset through the email gate: the code mailed to the user's alternate address. */
  async function resetByEmail(login: string, alternate: string) {
    await insertCredential(
      srv.db,
      users[login].id,
      { kind: 'email', label: '', data: { address: alternate } },
      new Date(),
    );
    const { br, r } = await identifyForReset(srv.issuer, login);
    assert.equal(r.status, 302, alertText(r.text));
    const shown = await br.get('/reset/verify/email', srv.issuer);
    assert.equal(shown.status, 200, alertText(shown.text));
    // "Email me a code": nothing is sent when the page loads.
    const page = await br.post(formAction(shown.text), hiddenInputs(shown.text), srv.issuer);
    const mail = await tdb.db('outbox').where({ recipient: alternate, purpose: 'email.code' }).first();
    const code = /^\s+(\d{6})\s*$/m.exec(mail.body_text)![1];
    const last = await br.post(formAction(page.text), { ...hiddenInputs(page.text), code }, srv.issuer);
    assert.equal(last.status, 302, alertText(last.text));
    const pw = await br.follow(last);
    assert.equal(new URL(pw.url).pathname, '/reset/password');
    const next = 'a brand new passphrase 42';
    const done = await br.post(
      '/reset/password',
      { ...hiddenInputs(pw.text), password: next, confirm: next },
      srv.issuer,
    );
    assert.equal(done.status, 200, alertText(done.text));
    assert.match(done.text, /Your password was reset/);
  }

  it('a reset through a code sent to the profile email marks it verified', async () => {
    // Enrolment refuses the profile address; an administrator later made the alternate address the profile email.
    const r0 = await cli(['user', 'update', 'erin', '--email', 'erin.home@example.org']);
    assert.equal(r0.code, 0, r0.stderr);
    await resetByEmail('erin', 'erin.home@example.org');
    assert.ok(await verifiedAt('erin'));
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'user.email_verify', subject_id: users.erin.id, result: 'succeeded' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0].reason, 'reset');
  });

  it('a reset through another address leaves the profile email unverified', async () => {
    await resetByEmail('finn', 'finn.home@example.org');
    assert.equal(await verifiedAt('finn'), null);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { translator } from '../../src/i18n/index.ts';
import { questionKey } from '../../src/methods/questions/catalogue.ts';
import { findUserByLogin, updateUser } from '../../src/store/users.ts';
import { Browser, decodeEntities, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { identifyForReset, registerAppInPortal } from '../helpers/reset.ts';
import {
  addClientViaCli,
  addUserViaCli,
  discover,
  failPasswords,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool, toolAvailable } from '../helpers/tools.ts';

/** Two gates, the administrator rules and "unlock without changing the password". */
describe(`reset gates (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const secrets: Record<string, string> = {};
  /** Question text (English) → the answer pia registered for it. */
  const answers = new Map<string, string>();
  const t = translator('en');

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'off');
    await setPolicy(srv, 'resetMethods', ['app', 'sms', 'voice', 'email', 'securityKey', 'questions']);
    await addUserViaCli(srv, 'pia', password, ['--email', 'pia@example.com']);
    await addUserViaCli(srv, 'quinn', password, ['--email', 'quinn@example.com', '--admin']);
    const c = await addClientViaCli(srv, ['gates-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
    await registerQuestions('pia');
    if (toolAvailable(OATHTOOL)) {
      secrets.pia = await registerAppInPortal(srv.issuer, 'pia', password, clock);
      secrets.quinn = await registerAppInPortal(srv.issuer, 'quinn', password, clock);
    }
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  /** Registers three security questions through the portal. */
  async function registerQuestions(login: string) {
    const br = new Browser();
    let r = await br.follow(await br.get('/my/security-info/add/questions', srv.issuer));
    r = await br.follow(
      await br.post(formAction(r.text), { ...hiddenInputs(r.text), username: login, password }, r.url),
    );
    assert.equal(r.status, 200);
    const ids = [...new Set([...r.text.matchAll(/<option value="(q\.[a-z_]+)"/g)].map((m) => m[1]))].slice(
      0,
      3,
    );
    const form: Record<string, string> = { ...hiddenInputs(r.text) };
    ids.forEach((id, i) => {
      form[`question${i + 1}`] = id;
      form[`answer${i + 1}`] = `answer number ${i + 1}`;
      answers.set(t(questionKey(id as never) as never), `answer number ${i + 1}`);
    });
    r = await br.post('/my/security-info/add/questions', form, srv.issuer);
    assert.equal(r.status, 302, 'questions registered');
  }

  /** Answers the drawn questions on the page. */
  function answerQuestions(html: string): Record<string, string> {
    const form: Record<string, string> = { ...hiddenInputs(html) };
    for (const m of html.matchAll(/<label for="questions-verify-answer-(\d+)">([^<]+)<\/label>/g)) {
      const answer = answers.get(decodeEntities(m[2]).trim());
      assert.ok(answer, `an answer for "${m[2]}"`);
      form[`answer${m[1]}`] = answer;
    }
    return form;
  }

  it('two gates with two different methods; the password step is refused after one gate', async (tc) => {
    if (!requireTool(tc, OATHTOOL, 'oathtool')) return;
    await setPolicy(srv, 'resetGatesRequired', 2);
    const { br } = await identifyForReset(srv.issuer, 'pia');
    let page = await br.get('/reset/verify', srv.issuer);
    assert.match(page.text, /Verification step 1 of 2/);
    page = await br.get('/reset/verify/app', srv.issuer);
    clock.advance(30_000);
    let r = await br.post(
      '/reset/verify/app',
      { ...hiddenInputs(page.text), code: oathtoolCode(secrets.pia, clock.now()) },
      srv.issuer,
    );
    page = await br.follow(r);
    assert.match(page.text, /Verification step 2 of 2/);
    assert.doesNotMatch(
      page.text,
      /href="\/reset\/verify\/app"/,
      'the same method cannot be the second gate',
    );
    assert.equal(
      (await br.get('/reset/password', srv.issuer)).status,
      403,
      'typing the URL does not skip a gate',
    );
    r = await br.post(
      '/reset/password',
      { ...hiddenInputs(page.text), password: 'x', confirm: 'x' },
      srv.issuer,
    );
    assert.equal(r.status, 403);
    page = await br.get('/reset/verify/questions', srv.issuer);
    assert.equal(page.status, 200);
    r = await br.post('/reset/verify/questions', answerQuestions(page.text), srv.issuer);
    page = await br.follow(r);
    assert.match(page.text, /Choose a new password/);
    const next = 'lighthouse pepper canyon 5';
    r = await br.post(
      '/reset/password',
      { ...hiddenInputs(page.text), password: next, confirm: next },
      srv.issuer,
    );
    assert.match(r.text, /Your password was reset/);
    const done = await tdb.db('audit_events').where({ activity: 'reset.complete' });
    const details = typeof done[0].details === 'string' ? JSON.parse(done[0].details) : done[0].details;
    assert.deepEqual(details.methods, ['app', 'questions']);
  });

  it('an administrator needs two gates under a one-gate policy and cannot use questions', async (tc) => {
    if (!requireTool(tc, OATHTOOL, 'oathtool')) return;
    await setPolicy(srv, 'resetGatesRequired', 1);
    const { r } = await identifyForReset(srv.issuer, 'quinn');
    assert.match(
      r.text,
      /couldn&#39;t verify your account|couldn't verify your account/,
      'one method is not enough for an administrator',
    );
    // Even with questions registered (not possible through the portal), they never count for admins.
    const quinn = (await findUserByLogin(srv.db, 'quinn'))!;
    await srv.db('credentials').insert({
      id: crypto.randomUUID(),
      user_id: quinn.id,
      kind: 'questions',
      label: '',
      data: JSON.stringify({ v: 1, questions: [] }),
      created_at: clock.now(),
    });
    const again = await identifyForReset(srv.issuer, 'quinn');
    assert.match(again.r.text, /couldn&#39;t verify your account|couldn't verify your account/);
  });

  it('with the option on, a locked account can be unlocked without changing the password', async (tc) => {
    if (!requireTool(tc, OATHTOOL, 'oathtool')) return;
    await setPolicy(srv, 'allowUnlockWithoutReset', true);
    const pia = (await findUserByLogin(srv.db, 'pia'))!;
    await updateUser(srv.db, pia.id, {}, clock.now());
    const current = 'lighthouse pepper canyon 5';
    await failPasswords(config, 'pia', 10);
    const { br } = await identifyForReset(srv.issuer, 'pia');
    let page = await br.get('/reset/verify/app', srv.issuer);
    clock.advance(30_000);
    const r = await br.post(
      '/reset/verify/app',
      { ...hiddenInputs(page.text), code: oathtoolCode(secrets.pia, clock.now()) },
      srv.issuer,
    );
    page = await br.follow(r);
    assert.match(page.text, /Unlock without changing my password/);
    const done = await br.post('/reset/unlock', hiddenInputs(page.text), srv.issuer);
    assert.match(done.text, /Your account was unlocked/);
    // The old password signs in again.
    const sb = new Browser();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const p = await sb.follow(await sb.get(url.href));
    const res = await sb.follow(
      await sb.post(
        formAction(p.text),
        { ...hiddenInputs(p.text), username: 'pia', password: current },
        p.url,
      ),
      REDIRECT_URI,
    );
    assert.ok(res.location?.startsWith(REDIRECT_URI), 'signed in with the unchanged password');
    const audit = await tdb.db('audit_events').where({ activity: 'reset.unlock', result: 'succeeded' });
    assert.equal(audit.length, 1);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { ACR_MFA, ACR_PASSWORD } from '../../src/oidc/acr.ts';
import { alertText, Browser, decodeEntities } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import {
  addClientViaCli,
  addUserViaCli,
  discover,
  REDIRECT_URI,
  StepFlow,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool } from '../helpers/tools.ts';

describe(`multi-factor sign-in with an authenticator app (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  let secret = '';
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await addUserViaCli(srv, 'dana', password, ['--email', 'dana@example.com']);
    const c = await addClientViaCli(srv, ['mfa-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  type Flow = StepFlow;
  const start = (extra: Record<string, string> = {}, br = new Browser()) => StepFlow.start(config, extra, br);
  const submit = (f: Flow, fields: Record<string, string> = {}, formIndex = 0) => f.submit(fields, formIndex);
  const tokens = (f: Flow) => f.claims();

  it('policy "required" sends a user without methods into the wizard, which has no skip; signing out ends it', async () => {
    await setPolicy(srv, 'mfa', 'required');
    const f = await start();
    await submit(f, { username: 'dana', password });
    assert.equal(f.page.status, 200);
    assert.match(f.page.text, /More information required/);
    assert.match(f.page.text, /href="\/interaction\/[^/]+\/register\/app"/);
    // The wizard says how many methods are needed and how far the user is.
    assert.match(
      f.page.text,
      /id="wizard-progress">You need \d methods? that can reset your password\.\s*<strong>0 of \d registered\.<\/strong>/,
    );
    assert.match(f.page.text, /<progress max="\d" value="0"/);
    assert.doesNotMatch(f.page.text, /register-skip/, 'no skip (test/security/mfa-skip.test.ts attacks it)');
    const signOut = /href="(\/interaction\/[^"]+\/abort)"/.exec(f.page.text)![1];
    const r = await f.br.follow(await f.br.get(signOut, srv.issuer), REDIRECT_URI);
    assert.equal(new URL(r.location!).searchParams.get('error'), 'access_denied');
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'security_info.registration_prompt', result: 'cancelled' });
    assert.equal(audit.length, 0);
  });

  it('registers an authenticator app in the wizard with a code from oathtool', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const f = await start();
    await submit(f, { username: 'dana', password });
    const link = /href="(\/interaction\/[^"]+\/register\/app)"/.exec(f.page.text)![1];
    f.page = await f.br.get(link, srv.issuer);
    assert.equal(f.page.status, 200);
    secret = decodeEntities(/<code translate="no">([^<]+)<\/code>/.exec(f.page.text)![1]).replace(/\s+/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.match(f.page.text, /<svg[^>]*>/, 'QR code rendered on the server');

    await submit(f, { code: '000000' === oathtoolCode(secret, clock.now()) ? '111111' : '000000' });
    assert.equal(f.page.status, 400, 'a wrong code is refused');
    // The page offers a fresh secret after an error; read it again.
    secret = decodeEntities(/<code translate="no">([^<]+)<\/code>/.exec(f.page.text)![1]).replace(/\s+/g, '');
    await submit(f, { code: oathtoolCode(secret, clock.now()), name: 'Phone' });
    const claims = await tokens(f);
    assert.deepEqual(claims.amr, ['pwd'], 'registering is not a second factor for this sign-in');
    assert.equal(claims.acr, ACR_PASSWORD);
    const rows = await tdb.db('credentials').where({ kind: 'app' });
    assert.equal(rows.length, 1);
    const raw = JSON.stringify(rows[0]);
    assert.ok(!raw.includes(secret), 'the secret is not readable in the database');
    await deliverQueuedNotices(srv);
    const outbox = await tdb.db('outbox').where({ recipient: 'dana@example.com' });
    assert.ok(
      outbox.some((m: any) => m.purpose === 'notice.security_info_added'),
      'the user is told by email',
    );
  });

  it('signs in with password + app: amr pwd, otp, mfa and the MFA acr', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    clock.advance(30_000);
    const f = await start();
    await submit(f, { username: 'dana', password });
    assert.equal(f.page.status, 200);
    assert.match(f.page.text, /Verify your identity/);
    await submit(f, { code: oathtoolCode(secret, clock.now()) });
    const claims = await tokens(f);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
  });

  it('refuses the same code twice and counts wrong codes', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const code = oathtoolCode(secret, clock.now());
    const f = await start();
    await submit(f, { username: 'dana', password });
    await submit(f, { code });
    assert.equal(f.page.status, 400, 'replayed code refused');
    assert.match(alertText(f.page.text) ?? '', /already/i);
    await submit(f, { code: '12345x' });
    assert.equal(f.page.status, 400, 'malformed code');
    // Codes from ten minutes ago and later are outside the ±1 step window.
    for (let i = 1; i <= 5; i++) {
      await submit(f, { code: oathtoolCode(secret, new Date(clock.now().getTime() - 600_000 * i)) });
    }
    assert.equal(f.page.status, 429, 'blocked after five wrong codes');
    await submit(f, { code: oathtoolCode(secret, new Date(clock.now().getTime() + 30_000)) });
    assert.notEqual(f.page.status, 302, 'even a right code is refused in this sign-in now');
    const failures = await tdb
      .db('audit_events')
      .where({ activity: 'signin.second_factor' })
      .whereIn('result', ['failed', 'blocked']);
    assert.ok(failures.length >= 3, 'failures are recorded');
    assert.ok(
      failures.some((r: any) => r.result === 'blocked'),
      'the fifth wrong entry blocks the method for this sign-in',
    );
  });

  it('acr_values asking for MFA forces the second step even when the policy is off', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    await setPolicy(srv, 'mfa', 'off');
    const br = new Browser();
    let f = await start({}, br);
    await submit(f, { username: 'dana', password });
    assert.deepEqual((await tokens(f)).amr, ['pwd'], 'policy off: password only');

    // Same browser, existing single-factor session: the app demands MFA, so sign-in runs again.
    clock.advance(30_000);
    f = await start({ acr_values: ACR_MFA }, br);
    assert.match(f.page.text, /name="password"/, 'asked to sign in again');
    await submit(f, { username: 'dana', password });
    assert.match(f.page.text, /Verify your identity/);
    await submit(f, { code: oathtoolCode(secret, clock.now()) });
    const claims = await tokens(f);
    assert.equal(claims.acr, ACR_MFA);
    assert.ok((claims.amr as string[]).includes('mfa'));
  });

  it('max_age and prompt=login are honoured', async () => {
    const br = new Browser();
    let f = await start({}, br);
    await submit(f, { username: 'dana', password });
    await tokens(f);
    f = await start({}, br);
    assert.ok(f.page.location?.startsWith(REDIRECT_URI), 'the session is reused');
    f = await start({ prompt: 'login' }, br);
    assert.match(f.page.text, /name="password"/, 'prompt=login asks again');
    f = await start({ max_age: '0' }, br);
    assert.match(f.page.text, /name="password"/, 'max_age=0 asks again');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, discover, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe(`sign-in lockout (${backendName})`, () => {
  let tdb: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let configA: oidc.Configuration;
  let configB: oidc.Configuration;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    a = await startTestServer({ db: tdb.db, clock });
    b = await startTestServer({ db: usingPostgres ? tdb.connect() : tdb.db, clock });
    await setPolicy(a, 'registrationRequired', false);
    await addUserViaCli(a, 'erin', password);
    await addUserViaCli(a, 'frank', password);
    const c = await addClientViaCli(a, ['lock-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    configA = await discover(a.issuer, c.clientId, c.secret);
    configB = await discover(b.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await a.stop();
    await b.stop();
    await tdb.drop();
  });

  /** One password attempt on a fresh sign-in page; returns the response status and page. */
  async function attempt(config: oidc.Configuration, username: string, pw: string) {
    const br = new Browser();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const page = await br.follow(await br.get(url.href));
    const r = await br.post(
      formAction(page.text),
      { ...hiddenInputs(page.text), username, password: pw },
      page.url,
    );
    return r;
  }

  const normalize = (html: string) =>
    html
      .replace(/(interaction(\/|%2F|=))[A-Za-z0-9_-]+/g, '$1X')
      .replace(/name="_csrf" value="[^"]*"/g, '')
      .replace(/"challenge":"[A-Za-z0-9_-]+"/g, '');

  it('ten failures lock; the eleventh attempt is refused even with the right password', async () => {
    for (let i = 1; i <= 9; i++) assert.equal((await attempt(configA, 'erin', `wrong ${i}`)).status, 401);
    const tenth = await attempt(configA, 'erin', 'wrong 10');
    assert.equal(tenth.status, 429);
    assert.match(tenth.text, /temporarily locked/);
    assert.match(tenth.text, /href="\/reset\?interaction=/, 'offers "Can\'t access your account?"');
    assert.match(
      tenth.text,
      /href="\/reset\?interaction=[A-Za-z0-9_-]+&amp;login=erin"/,
      'the reset link carries the user ID',
    );
    assert.match(tenth.text, /<p id="locked-until">You can try again in 1 minute\.<\/p>/, 'says when');
    const link = /href="(\/reset\?[^"]+)"/.exec(tenth.text)![1].replace(/&amp;/g, '&');
    const reset = await new Browser().get(link, a.issuer);
    assert.equal(reset.status, 200);
    assert.match(
      reset.text,
      /<input id="username" name="username"[^>]* value="erin"/,
      'the reset page has it filled in',
    );
    const eleventh = await attempt(configA, 'erin', password);
    assert.equal(eleventh.status, 429, 'right password refused while locked');
    const other = await attempt(configB, 'erin', password);
    assert.equal(other.status, 429, 'the lock holds on the other instance');
  });

  it('the lock expires after a minute, and the next lock lasts twice as long', async () => {
    clock.advance(61_000);
    // Ten more failures (spread over both instances) lock again, now for two minutes.
    for (let i = 1; i <= 9; i++) {
      assert.equal((await attempt(i % 2 ? configA : configB, 'erin', `again ${i}`)).status, 401);
    }
    assert.equal((await attempt(configB, 'erin', 'again 10')).status, 429);
    clock.advance(61_000);
    assert.equal((await attempt(configA, 'erin', password)).status, 429, 'still locked after one minute');
    clock.advance(60_000);
    const ok = await attempt(configA, 'erin', password);
    assert.equal(ok.status, 302, 'signed in after two minutes');
    const rows = await tdb.db('audit_events').where({ activity: 'signin.lockout' });
    assert.equal(rows.length, 2);
  });

  it('an unknown login gets exactly the pages a known one gets', async () => {
    const known: string[] = [];
    const unknown: string[] = [];
    for (let i = 1; i <= 11; i++) {
      const k = await attempt(configA, 'frank', `nope ${i}`);
      const u = await attempt(configA, 'nobody-here', `nope ${i}`);
      assert.equal(u.status, k.status, `attempt ${i}`);
      known.push(normalize(k.text).replace(/frank/g, 'LOGIN'));
      unknown.push(normalize(u.text).replace(/nobody-here/g, 'LOGIN'));
    }
    assert.deepEqual(unknown, known);
    assert.match(known[10], /temporarily locked/);
  });

  it('logins are counted case-insensitively and across widths', async () => {
    clock.advance(3600_000);
    for (let i = 1; i <= 9; i++) await attempt(configA, i % 2 ? 'ERIN' : 'ｅｒｉｎ', `w ${i}`);
    assert.equal((await attempt(configA, 'Erin', 'w 10')).status, 429);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { translator } from '../../src/i18n/index.ts';
import { updateUser } from '../../src/store/users.ts';
import { alertText, Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, discover, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe(`sign-in failures and bad input (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    // These tests are about the protocol: no "More information required" step after the password.
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'alice', password);
    const bob = await addUserViaCli(srv, 'bob', password);
    await updateUser(srv.db, bob.id, { status: 'disabled' }, new Date());
    const c = await addClientViaCli(srv, ['app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  /** Opens the sign-in page of a fresh authorization request. */
  async function signInPage(b = new Browser(), extra: Record<string, string> = {}) {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      ...extra,
    });
    const page = await b.follow(await b.get(url.href));
    assert.equal(page.status, 200);
    return { b, page, action: formAction(page.text), hidden: hiddenInputs(page.text) };
  }

  function sessionCookies(b: Browser) {
    return [...(b.cookies.get(new URL(srv.issuer).host)?.keys() ?? [])].filter((k) =>
      k.startsWith('tobira.session'),
    );
  }

  it('wrong password, unknown user and disabled user get the same page and status, and no session', async () => {
    const seen: Array<{ status: number; alert?: string; body: string }> = [];
    for (const [username, pw] of [
      ['alice', 'wrong password!'],
      ['nobody', password],
      ['bob', password],
    ]) {
      const { b, page, action, hidden } = await signInPage();
      const r = await b.post(action, { ...hidden, username, password: pw }, page.url);
      seen.push({
        status: r.status,
        alert: alertText(r.text),
        // The page minus what differs by design: the interaction id, CSRF token and echoed user ID.
        body: r.text
          .replace(/(interaction(\/|%2F|=))[A-Za-z0-9_-]+/g, '$1X')
          .replace(/name="_csrf" value="[^"]*"/g, '')
          .replace(/"challenge":"[A-Za-z0-9_-]+"/g, '"challenge":"X"')
          .replace(/value="(alice|nobody|bob)"/, ''),
      });
      assert.deepEqual(sessionCookies(b), [], 'no session cookie');
    }
    assert.equal(seen[0].status, 401);
    assert.equal(seen[0].alert, 'Your user ID or password is incorrect.');
    assert.deepEqual(seen[1], seen[0]);
    assert.deepEqual(seen[2], seen[0]);
  });

  it('each attempt is an audit event with its reason', async () => {
    const rows = await srv.db('audit_events').where({ activity: 'signin.password' }).orderBy('id');
    const reasons = rows.map((r: any) => r.reason);
    for (const reason of ['invalid', 'unknown', 'disabled']) assert.ok(reasons.includes(reason), reason);
  });

  it('an empty form is a 400 with a message, in Japanese when asked', async () => {
    const { b, page, action, hidden } = await signInPage(new Browser(), { ui_locales: 'ja' });
    assert.match(page.text, /<html lang="ja">/);
    assert.match(page.text, /サインイン/);
    const r = await b.post(action, { ...hidden, username: '', password: '' }, page.url);
    assert.equal(r.status, 400);
    assert.equal(alertText(r.text), 'ユーザー ID とパスワードを入力してください。');
  });

  it('Accept-Language and the language cookie choose the language', async () => {
    const b = new Browser();
    b.acceptLanguage = 'ja-JP,ja;q=0.9,en;q=0.5';
    let r = await b.get(`${srv.issuer}/`);
    assert.match(r.text, /<html lang="ja">/);
    r = await b.get(`${srv.issuer}/lang/en?return=/`);
    assert.equal(r.status, 302);
    assert.equal(r.location, `${srv.issuer}/`);
    r = await b.get(`${srv.issuer}/`);
    assert.match(r.text, /<html lang="en">/, 'cookie beats Accept-Language');
    r = await b.get(`${srv.issuer}/lang/en?return=//evil.example/`);
    assert.equal(r.location, `${srv.issuer}/`, 'no open redirect');
  });

  it('refuses a form without the CSRF token, or from another origin', async () => {
    const { b, page, action, hidden } = await signInPage();
    let r = await b.post(action, { username: 'alice', password }, page.url);
    assert.equal(r.status, 403);
    assert.match(alertText(r.text) ?? '', /expired or the request came from another site/);
    r = await b.request('POST', action, {
      base: page.url,
      body: new URLSearchParams({ ...hidden, username: 'alice', password }),
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(r.status, 403);
    assert.deepEqual(sessionCookies(b), []);
  });

  it('refuses wrong content types, oversized and malformed bodies with a 4xx page', async () => {
    const { b, page, action, hidden } = await signInPage();
    let r = await b.request('POST', action, {
      base: page.url,
      body: JSON.stringify({ ...hidden, username: 'alice', password }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 415);
    assert.match(alertText(r.text) ?? '', /not accepted/);

    r = await b.request('POST', action, {
      base: page.url,
      body: `_csrf=${hidden._csrf}&username=alice&password=${'x'.repeat(100_000)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: page.url },
    });
    assert.equal(r.status, 413);
    // Not a dead end: the page says what happened in the reader's language and links back to the form.
    const en = translator('en');
    assert.match(r.text, new RegExp(`<h1>${en('error.heading.413')}</h1>`));
    assert.equal(alertText(r.text), en('error.http.413'));
    assert.ok(r.text.includes(en('error.tooLarge.hint').replace(/"/g, '&quot;').slice(0, 40)));
    const back = new URL(page.url);
    assert.ok(
      r.text.includes(`href="${back.pathname}${back.search}">${en('error.goBack')}</a>`),
      'a link back to the sign-in form',
    );
    b.acceptLanguage = 'ja';
    const ja = await b.request('POST', action, {
      base: page.url,
      body: `_csrf=${hidden._csrf}&username=${'y'.repeat(200_000)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: page.url },
    });
    b.acceptLanguage = 'en';
    assert.equal(ja.status, 413);
    assert.match(ja.text, new RegExp(`<h1>${translator('ja')('error.heading.413')}</h1>`));
    assert.ok(ja.text.includes(translator('ja')('error.goBack')));

    r = await b.request('POST', action, {
      base: page.url,
      body: Buffer.from([0x5f, 0x63, 0x73, 0x72, 0x66, 0x3d, 0xff, 0xfe, 0xfd]) as unknown as string,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(r.status, 400);
    assert.match(alertText(r.text) ?? '', /could not be read/);

    // The interaction is still usable afterwards: nothing was half-done.
    r = await b.post(action, { ...hidden, username: 'alice', password }, page.url);
    assert.equal(r.status, 302);
    assert.match(r.location ?? '', /\/auth\//, 'sign-in completed and resumed the authorization');
  });

  it('unknown interaction ids and tampered cookies get a 400 page, never a 500', async () => {
    const b = new Browser();
    let r = await b.get(`${srv.issuer}/interaction/not-a-real-interaction-id`);
    assert.equal(r.status, 400);
    assert.match(alertText(r.text) ?? '', /sign-in session has expired/);
    r = await b.get(`${srv.issuer}/interaction/<script>`);
    assert.ok(r.status === 400 || r.status === 404, `status ${r.status}`);
    assert.doesNotMatch(r.text, /<script>/);

    const { b: b2, page } = await signInPage();
    const jar = b2.cookies.get(new URL(srv.issuer).host)!;
    for (const k of jar.keys()) if (k.startsWith('tobira.interaction')) jar.set(k, `${jar.get(k)}x`);
    r = await b2.get(page.url);
    assert.equal(r.status, 400);
    r = await b2.post(`${page.url}/login`, { ...hiddenInputs(page.text), username: 'alice', password });
    assert.equal(r.status, 400);

    r = await b.get(`${srv.issuer}/no/such/page`);
    assert.equal(r.status, 404);
    r = await b.request('DELETE', `${srv.issuer}/healthz`);
    assert.ok(r.status === 405 || r.status === 404, `status ${r.status}`);
  });

  it('the sign-in page links to "Can\'t access your account?"', async () => {
    const { page } = await signInPage();
    const m = /<a href="(\/reset[^"]*)">Can&#39;t access your account\?<\/a>/.exec(page.text);
    assert.ok(m, 'link present');
    const r = await new Browser().get(`${srv.issuer}${m[1].replace(/&amp;/g, '&')}`);
    assert.equal(r.status, 200);
  });
});

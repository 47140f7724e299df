import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
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
 * Silent sign-in (prompt=none) across apps: a second first-party app gets a code without any page once
 * the user signed in at the first; without a session the answer is login_required, and a third-party
 * app still needs the consent page (consent_required when silent).
 */
describe(`silent sign-in across first-party apps (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const password = 'correct horse battery staple';
  let first: oidc.Configuration;
  let second: oidc.Configuration;
  let third: oidc.Configuration;

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'ada', password, ['--email', 'ada@example.test']);
    const a = await addClientViaCli(srv, ['app-one', '--redirect-uri', REDIRECT_URI, '--first-party']);
    const b = await addClientViaCli(srv, ['app-two', '--redirect-uri', REDIRECT_URI, '--first-party']);
    const c = await addClientViaCli(srv, ['partner', '--redirect-uri', REDIRECT_URI]);
    first = await discover(srv.issuer, a.clientId, a.secret);
    second = await discover(srv.issuer, b.clientId, b.secret);
    third = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  async function silent(config: oidc.Configuration, browser: Browser, scope = 'openid profile email') {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope,
      prompt: 'none',
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const r = await browser.follow(await browser.get(url.href), REDIRECT_URI);
    assert.ok(r.location?.startsWith(REDIRECT_URI), `expected a redirect to the app, got ${r.status}`);
    return { location: new URL(r.location!), verifier, nonce };
  }

  it('a second first-party app gets a code with prompt=none, and its ID token names the same user', async () => {
    const { tokens, browser } = await codeFlow(first, { username: 'ada', password });
    const sub = tokens.claims()!.sub;
    const s = await silent(second, browser);
    assert.equal(s.location.searchParams.get('error'), null, s.location.href);
    const t = await oidc.authorizationCodeGrant(second, s.location, {
      pkceCodeVerifier: s.verifier,
      expectedNonce: s.nonce,
      idTokenExpected: true,
    });
    assert.equal(t.claims()!.sub, sub);
    assert.ok(t.claims()!.sid, 'the ID token carries sid');
    // A refresh-less second round works too (the grant exists now).
    const again = await silent(second, browser);
    assert.ok(again.location.searchParams.get('code'));
  });

  it('without a session the answer is login_required', async () => {
    const s = await silent(second, new Browser());
    assert.equal(s.location.searchParams.get('error'), 'login_required');
  });

  it('a third-party app still gets consent_required silently', async () => {
    const { browser } = await codeFlow(first, { username: 'ada', password });
    const s = await silent(third, browser);
    assert.equal(s.location.searchParams.get('error'), 'consent_required');
  });

  it('the admin scope is not granted silently to a first-party app without it', async () => {
    const { browser } = await codeFlow(first, { username: 'ada', password });
    const s = await silent(second, browser, 'openid admin');
    assert.equal(s.location.searchParams.get('code'), null);
    assert.ok(['invalid_scope', 'consent_required'].includes(s.location.searchParams.get('error')!));
  });
});

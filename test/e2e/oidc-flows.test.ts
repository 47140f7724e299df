import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  StepFlow,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe(`OpenID Connect flows with openid-client (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let web: { clientId: string; secret?: string };
  let spa: { clientId: string };
  let machine: { clientId: string; secret?: string };
  let alice: { id: string };
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    // These tests are about the protocol: no "More information required" step after the password.
    await setPolicy(srv, 'registrationRequired', false);
    alice = await addUserViaCli(srv, 'alice', password, [
      '--name',
      'Alice Liddell',
      '--email',
      'alice@example.com',
    ]);
    web = await addClientViaCli(srv, [
      'web-app',
      '--redirect-uri',
      REDIRECT_URI,
      '--post-logout-redirect-uri',
      'http://127.0.0.1:9/bye',
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'refresh_token',
      '--first-party',
    ]);
    spa = await addClientViaCli(srv, ['spa', '--redirect-uri', REDIRECT_URI, '--public']);
    machine = await addClientViaCli(srv, ['machine', '--grant-type', 'client_credentials', '--admin']);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  it('serves discovery with the enabled features', async () => {
    const config = await discover(srv.issuer, web.clientId, web.secret);
    const md = config.serverMetadata();
    assert.equal(md.issuer, srv.issuer);
    assert.deepEqual(md.code_challenge_methods_supported, ['S256']);
    for (const g of ['authorization_code', 'refresh_token', 'client_credentials']) {
      assert.ok(md.grant_types_supported?.includes(g), g);
    }
    assert.ok(md.introspection_endpoint);
    assert.ok(md.revocation_endpoint);
    assert.ok(md.end_session_endpoint);
    assert.ok(md.pushed_authorization_request_endpoint);
    assert.equal(md.claims_parameter_supported, true);
    assert.equal(md.backchannel_logout_supported, true);
    assert.ok(md.id_token_signing_alg_values_supported?.includes('ES256'));
    assert.ok(md.id_token_signing_alg_values_supported?.includes('RS256'));
  });

  it('signs in with code + PKCE; the ID token verifies against the JWKS with nonce and amr', async () => {
    const config = await discover(srv.issuer, web.clientId, web.secret);
    const { tokens, nonce } = await codeFlow(config, { username: 'alice', password });
    const jwks = jose.createRemoteJWKSet(new URL(`${srv.issuer}/jwks`));
    const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token!, jwks, {
      issuer: srv.issuer,
      audience: web.clientId,
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.sub, alice.id);
    assert.equal(payload.nonce, nonce);
    assert.deepEqual(payload.amr, ['pwd']);
    assert.equal(payload.acr, 'urn:tobira:acr:pwd');

    const info = await oidc.fetchUserInfo(config, tokens.access_token, alice.id);
    assert.equal(info.preferred_username, 'alice');
    assert.equal(info.name, 'Alice Liddell');
    assert.equal(info.email, 'alice@example.com');
  });

  it('requires PKCE for public clients and completes their code flow', async () => {
    const config = await discover(srv.issuer, spa.clientId);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      nonce: 'n',
    });
    const b = new Browser();
    const r = await b.follow(await b.get(url.href), REDIRECT_URI);
    assert.ok(r.location?.startsWith(REDIRECT_URI), 'error is returned to the app');
    assert.match(r.location!, /error=invalid_request/);
    assert.match(new URL(r.location!).searchParams.get('error_description') ?? '', /PKCE/);

    // Third-party consent page, then the code.
    const { tokens } = await codeFlow(config, { username: 'alice', password }, { scope: 'openid profile' });
    assert.equal(tokens.claims()?.sub, alice.id);
  });

  it('rotates refresh tokens and refuses a used one', async () => {
    const config = await discover(srv.issuer, web.clientId, web.secret);
    const { tokens } = await codeFlow(
      config,
      { username: 'alice', password },
      { scope: 'openid offline_access', extra: { prompt: 'consent' } },
    );
    assert.ok(tokens.refresh_token, 'a refresh token is issued for offline_access');
    const next = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    assert.ok(next.refresh_token);
    assert.notEqual(next.refresh_token, tokens.refresh_token);
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (err: any) => {
      assert.equal(err.error, 'invalid_grant');
      return true;
    });
  });

  it('attack: a code redeemed twice is refused the second time, and the first redemption is revoked', async () => {
    // The provider's writes of a request leave together once its response is ready (issue 12): the
    // code's consumption must still be stored before the tokens reach the app, so a replay finds it.
    const config = await discover(srv.issuer, web.clientId, web.secret);
    const f = await StepFlow.start(config, { scope: 'openid offline_access', prompt: 'consent' });
    await f.submit({ username: 'alice', password });
    assert.ok(f.page.location?.startsWith(REDIRECT_URI), 'the app received a code');
    const callback = new URL(f.page.location!);
    const first = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: f.verifier,
      expectedNonce: f.nonce,
      idTokenExpected: true,
    });
    assert.ok((await oidc.fetchUserInfo(config, first.access_token, alice.id)).sub);
    await assert.rejects(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: f.verifier,
        expectedNonce: f.nonce,
        idTokenExpected: true,
      }),
      (err: any) => err.error === 'invalid_grant',
    );
    // The replay revoked the grant: the first redemption's tokens no longer work.
    await assert.rejects(oidc.fetchUserInfo(config, first.access_token, alice.id));
    await assert.rejects(
      oidc.refreshTokenGrant(config, first.refresh_token!),
      (err: any) => err.error === 'invalid_grant',
    );
  });

  it('issues client-credentials tokens; introspects and revokes them', async () => {
    const config = await discover(srv.issuer, machine.clientId, machine.secret);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'admin' });
    assert.ok(tokens.access_token);
    assert.equal(tokens.scope, 'admin');
    const active = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, machine.clientId);
    assert.equal(active.scope, 'admin');
    await oidc.tokenRevocation(config, tokens.access_token);
    const revoked = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(revoked.active, false);
  });

  it('refuses a wrong client secret', async () => {
    const config = await discover(srv.issuer, machine.clientId, 'not-the-secret');
    await assert.rejects(oidc.clientCredentialsGrant(config, { scope: 'admin' }), (err: any) => {
      assert.equal(err.status, 401);
      assert.equal(err.cause?.[0]?.parameters?.error ?? err.error, 'invalid_client');
      return true;
    });
  });

  it('supports pushed authorization requests and the claims parameter', async () => {
    const config = await discover(srv.issuer, web.clientId, web.secret);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      claims: JSON.stringify({ id_token: { email: null, preferred_username: null } }),
    });
    assert.ok(url.searchParams.get('request_uri')?.startsWith('urn:ietf:params:oauth:request_uri:'));
    const b = new Browser();
    let r = await b.follow(await b.get(url.href), REDIRECT_URI);
    const { hiddenInputs, formAction } = await import('../helpers/browser.ts');
    r = await b.follow(
      await b.post(formAction(r.text), { ...hiddenInputs(r.text), username: 'alice', password }, r.url),
      REDIRECT_URI,
    );
    const tokens = await oidc.authorizationCodeGrant(config, new URL(r.location!), {
      pkceCodeVerifier: verifier,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    assert.equal(claims.email, 'alice@example.com', 'requested claim is in the ID token');
    assert.equal(claims.preferred_username, 'alice');
  });

  it('RP-initiated logout ends the session', async () => {
    const config = await discover(srv.issuer, web.clientId, web.secret);
    const { tokens, browser } = await codeFlow(config, { username: 'alice', password });
    // While signed in, a new authorization request needs no sign-in page.
    const again = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    let r = await browser.follow(await browser.get(again.href), REDIRECT_URI);
    assert.match(r.location ?? '', /[?&]code=/, 'session reused');

    const end = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://127.0.0.1:9/bye',
    });
    r = await browser.get(end.href);
    assert.equal(r.status, 200);
    assert.match(r.text, /Do you want to sign out/);
    const { hiddenInputs, formAction } = await import('../helpers/browser.ts');
    r = await browser.post(formAction(r.text), { ...hiddenInputs(r.text), logout: 'yes' }, r.url);
    assert.equal(r.status, 303);
    assert.ok(r.location?.startsWith('http://127.0.0.1:9/bye'));

    r = await browser.follow(await browser.get(again.href), REDIRECT_URI);
    assert.equal(r.status, 200, 'sign-in page again');
    assert.match(r.text, /name="password"/);
  });
});

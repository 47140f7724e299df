import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import * as oidc from 'openid-client';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, discover, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** Discovery completeness (locales, documentation and policy addresses) and RFC 6749 §5.2 error codes. */
describe(`discovery and token endpoint errors (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const discovery = async () => (await fetch(`${srv.issuer}/.well-known/openid-configuration`)).json();

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  it('publishes the page languages, and the documentation and policy addresses once set', async () => {
    const before = await discovery();
    assert.deepEqual(before.ui_locales_supported, ['en', 'ja']);
    assert.equal(before.claims_locales_supported, undefined, 'claims are not localized: not advertised');
    for (const k of ['service_documentation', 'op_policy_uri', 'op_tos_uri'])
      assert.equal(before[k], undefined);
    await setPolicy(srv, 'serviceDocumentationUrl', 'https://docs.example.test/apps');
    await setPolicy(srv, 'opPolicyUrl', 'https://example.test/privacy');
    await setPolicy(srv, 'opTosUrl', 'https://example.test/terms');
    const after = await discovery();
    assert.equal(after.service_documentation, 'https://docs.example.test/apps');
    assert.equal(after.op_policy_uri, 'https://example.test/privacy');
    assert.equal(after.op_tos_uri, 'https://example.test/terms');
  });

  it('advertises logout, CORS-relevant endpoints and registration only as far as they work', async () => {
    const md = await discovery();
    // Both logout channels are delivered (rp-frontchannel.test.ts, sessions-backchannel.test.ts), with sid.
    assert.equal(md.frontchannel_logout_supported, true);
    assert.equal(md.frontchannel_logout_session_supported, true);
    assert.equal(md.backchannel_logout_supported, true);
    assert.equal(md.backchannel_logout_session_supported, true);
    // Dynamic Client Registration is off by default (dynamic-registration.test.ts turns it on).
    assert.equal(md.registration_endpoint, undefined);
    // The endpoints that answer CORS per client (cors-clients.test.ts) are all advertised.
    for (const k of ['token_endpoint', 'userinfo_endpoint', 'revocation_endpoint', 'introspection_endpoint'])
      assert.match(md[k], /^http:\/\/localhost:\d+\//, k);
  });

  it('DPoP, advertised by the library, works: a proof binds the token, and the bound token is no bearer token', async () => {
    const md = await discovery();
    assert.ok(
      Array.isArray(md.dpop_signing_alg_values_supported) && md.dpop_signing_alg_values_supported.length,
    );
    const c = await addClientViaCli(srv, [
      'ops-bot',
      '--redirect-uri',
      REDIRECT_URI,
      '--grant-type',
      'client_credentials',
      '--first-party',
      '--admin',
    ]);
    const config = await discover(srv.issuer, c.clientId, c.secret);
    const keys = await oidc.randomDPoPKeyPair('ES256');
    const tokens = await oidc.clientCredentialsGrant(
      config,
      { scope: 'admin' },
      { DPoP: oidc.getDPoPHandle(config, keys) },
    );
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    // Introspection shows the binding to the proof key's thumbprint.
    const intro = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(intro.active, true);
    const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));
    assert.equal((intro.cnf as { jkt?: string } | undefined)?.jkt, jkt);
    // The attack: the bound token, stolen and replayed as a plain bearer token, opens nothing.
    const stolen = await fetch(`${srv.issuer}/api/admin/v1/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(stolen.status, 401);
    // The same client's unbound token does (so the 401 is the binding, not the client).
    const plain = await oidc.clientCredentialsGrant(config, { scope: 'admin' });
    const ok = await fetch(`${srv.issuer}/api/admin/v1/me`, {
      headers: { authorization: `Bearer ${plain.access_token}` },
    });
    assert.equal(ok.status, 200);
  });

  it('answers unauthorized_client for a grant type the client is not registered for', async () => {
    const c = await addClientViaCli(srv, ['web', '--redirect-uri', REDIRECT_URI]);
    const res = await fetch(`${srv.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${c.clientId}:${c.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'unauthorized_client');
  });
});

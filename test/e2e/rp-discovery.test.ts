import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
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

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

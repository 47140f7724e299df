import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, discover, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Several instances on one database (Postgres: separate connection pools, as separate processes would
 * have; PGlite: one handle shared by two apps), and a restart.
 */
describe(`two instances and a restart on one database (${backendName})`, () => {
  let tdb: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let client: { clientId: string; secret?: string };
  let user: { id: string };
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    a = await startTestServer({ db: tdb.db });
    await setPolicy(a, 'registrationRequired', false);
    b = await startTestServer({ db: usingPostgres ? tdb.connect() : tdb.db });
    user = await addUserViaCli(a, 'carol', password);
    client = await addClientViaCli(a, [
      'multi',
      '--redirect-uri',
      REDIRECT_URI,
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'refresh_token',
      '--first-party',
    ]);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await tdb.drop();
  });

  /** Signs in on `signIn` and redeems the code at `redeem` (the issuers differ by port only). */
  async function crossCodeFlow(signIn: TestServer, redeem: TestServer) {
    const cfgA = await discover(signIn.issuer, client.clientId, client.secret);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(cfgA, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const br = new Browser();
    let r = await br.follow(await br.get(url.href), REDIRECT_URI);
    r = await br.follow(
      await br.post(formAction(r.text), { ...hiddenInputs(r.text), username: 'carol', password }, r.url),
      REDIRECT_URI,
    );
    const code = new URL(r.location!).searchParams.get('code');
    assert.ok(code, 'code issued by the first instance');
    // Redeem on the other instance, talking to its token endpoint directly.
    const res = await fetch(`${redeem.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    return body as { id_token: string; refresh_token: string; access_token: string };
  }

  async function refreshAt(srv: TestServer, refreshToken: string) {
    const res = await fetch(`${srv.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }

  it('signs in on one instance; the code is redeemed and refreshed on the other', async () => {
    const tokens = await crossCodeFlow(a, b);
    assert.ok(tokens.refresh_token);
    const r1 = await refreshAt(b, tokens.refresh_token);
    assert.equal(r1.status, 200);
    const r2 = await refreshAt(a, r1.body.refresh_token);
    assert.equal(r2.status, 200, 'the rotated token works on the first instance too');
    const replay = await refreshAt(a, tokens.refresh_token);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
  });

  it('a key rotated on one instance is published and used by the other', async () => {
    const before = (await (await fetch(`${b.url}/jwks`)).json()).keys.map((k: any) => k.kid);
    const newKids = await a.app.rotateKeys();
    assert.equal(newKids.length, 4, 'one new key per algorithm: ES256, RS256, PS256, EdDSA');
    assert.equal(await b.app.syncKeys(), true, 'the other instance notices the rotation');
    const after = (await (await fetch(`${b.url}/jwks`)).json()).keys.map((k: any) => k.kid);
    for (const kid of newKids) assert.ok(after.includes(kid), 'new key published');
    for (const kid of before) assert.ok(after.includes(kid), 'old key still published');
    assert.equal(await b.app.syncKeys(), false, 'nothing changes on a second poll');

    const tokens = await crossCodeFlow(b, b);
    const header = jose.decodeProtectedHeader(tokens.id_token);
    assert.ok(newKids.includes(header.kid!), 'the other instance signs with the new key');
    const jwks = jose.createLocalJWKSet(await (await fetch(`${a.url}/jwks`)).json());
    const { payload } = await jose.jwtVerify(tokens.id_token, jwks, { audience: client.clientId });
    assert.equal(payload.sub, user.id);
  });

  it('a refresh token issued before a restart still works after it', async () => {
    const tokens = await crossCodeFlow(a, a);
    await a.stop();
    a = await startTestServer({ db: tdb.db });
    const r = await refreshAt(a, tokens.refresh_token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.access_token);
  });
});

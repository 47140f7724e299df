import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, codeFlow, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Per-client settings as real relying parties need them, driven with openid-client: the ID token
 * algorithm (RS256, PS256, EdDSA besides ES256) and the token endpoint authentication method
 * (client_secret_post, client_secret_jwt, private_key_jwt with the client's registered keys).
 */
/** The token endpoint refused the client (an OAuth error body or a 401 challenge, per library). */
const invalidClient = (err: any) =>
  err.error === 'invalid_client' ||
  err.cause?.error === 'invalid_client' ||
  (Array.isArray(err.cause) && err.cause.some((c: any) => c.parameters?.error === 'invalid_client'));

describe(`per-client algorithms and authentication (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const password = 'correct horse battery staple';
  let jwks: ReturnType<typeof jose.createRemoteJWKSet>;

  const cli = async (args: string[]) => {
    const r = await runCommand(args, undefined, { db: srv.db, box: srv.box, clock: systemClock });
    srv.app.deps.clients.invalidate();
    return r;
  };

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'ada', password);
    jwks = jose.createRemoteJWKSet(new URL(`${srv.issuer}/jwks`));
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  async function signIn(
    clientId: string,
    auth: oidc.ClientAuth,
    alg: string,
    secret?: string,
  ): Promise<{ alg: string; sub: string }> {
    const config = await oidc.discovery(
      new URL(srv.issuer),
      clientId,
      { id_token_signed_response_alg: alg, ...(secret ? { client_secret: secret } : {}) },
      auth,
      { execute: [oidc.allowInsecureRequests] },
    );
    const { tokens } = await codeFlow(config, { username: 'ada', password });
    const { protectedHeader, payload } = await jose.jwtVerify(tokens.id_token!, jwks, {
      issuer: srv.issuer,
      audience: clientId,
    });
    return { alg: protectedHeader.alg, sub: payload.sub! };
  }

  it('discovery lists every ID token algorithm Tobira holds a key for, and the JWKS has them', async () => {
    const md = await (await fetch(`${srv.issuer}/.well-known/openid-configuration`)).json();
    for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA'])
      assert.ok(md.id_token_signing_alg_values_supported.includes(alg), alg);
    for (const m of ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'])
      assert.ok(md.token_endpoint_auth_methods_supported.includes(m), m);
    const keys = (await (await fetch(`${srv.issuer}/jwks`)).json()).keys as { alg: string }[];
    for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA'])
      assert.ok(
        keys.some((k) => k.alg === alg),
        `a ${alg} key is published`,
      );
  });

  for (const alg of ['RS256', 'PS256', 'EdDSA']) {
    it(`signs the ID token with ${alg} for a client registered with it`, async () => {
      const c = await addClientViaCli(srv, [
        `app-${alg}`,
        '--redirect-uri',
        REDIRECT_URI,
        '--id-token-alg',
        alg,
      ]);
      const r = await signIn(c.clientId, oidc.ClientSecretBasic(c.secret!), alg, c.secret);
      assert.equal(r.alg, alg);
    });
  }

  it('client update changes the algorithm', async () => {
    const c = await addClientViaCli(srv, ['app-switch', '--redirect-uri', REDIRECT_URI]);
    assert.equal(
      (await signIn(c.clientId, oidc.ClientSecretBasic(c.secret!), 'ES256', c.secret)).alg,
      'ES256',
    );
    const r = await cli(['client', 'update', c.clientId, '--id-token-alg', 'RS256', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).idTokenAlg, 'RS256');
    assert.equal(
      (await signIn(c.clientId, oidc.ClientSecretBasic(c.secret!), 'RS256', c.secret)).alg,
      'RS256',
    );
  });

  it('client_secret_post and client_secret_jwt complete the code flow; basic is refused for them', async () => {
    const post = await addClientViaCli(srv, [
      'app-post',
      '--redirect-uri',
      REDIRECT_URI,
      '--auth-method',
      'client_secret_post',
    ]);
    await signIn(post.clientId, oidc.ClientSecretPost(post.secret!), 'ES256', post.secret);
    const jwt = await addClientViaCli(srv, [
      'app-hs',
      '--redirect-uri',
      REDIRECT_URI,
      '--auth-method',
      'client_secret_jwt',
    ]);
    await signIn(jwt.clientId, oidc.ClientSecretJwt(jwt.secret!), 'ES256', jwt.secret);
    // The attack: the secret sent in the clear to a client_secret_jwt client is refused.
    await assert.rejects(
      signIn(jwt.clientId, oidc.ClientSecretBasic(jwt.secret!), 'ES256', jwt.secret),
      invalidClient,
    );
  });

  it('private_key_jwt: a client with registered public keys signs in; a foreign key is refused', async () => {
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const pub = { ...(await jose.exportJWK(publicKey)), kid: 'rp-1', alg: 'ES256', use: 'sig' };
    const c = await addClientViaCli(srv, [
      'app-pk',
      '--redirect-uri',
      REDIRECT_URI,
      '--auth-method',
      'private_key_jwt',
      '--jwks',
      JSON.stringify({ keys: [pub] }),
      '--id-token-alg',
      'RS256',
    ]);
    const r = await signIn(c.clientId, oidc.PrivateKeyJwt({ key: privateKey, kid: 'rp-1' }), 'RS256');
    assert.equal(r.alg, 'RS256');
    const other = await jose.generateKeyPair('ES256', { extractable: true });
    await assert.rejects(
      signIn(c.clientId, oidc.PrivateKeyJwt({ key: other.privateKey, kid: 'rp-1' }), 'RS256'),
      invalidClient,
    );
  });

  it('refuses bad settings with a clear error and changes nothing', async () => {
    const noKeys = await cli([
      'client',
      'add',
      'app-nokeys',
      '--redirect-uri',
      REDIRECT_URI,
      '--auth-method',
      'private_key_jwt',
    ]);
    assert.equal(noKeys.code, 2);
    assert.match(noKeys.stderr, /--jwks or --jwks-uri/);
    const badAlg = await cli([
      'client',
      'add',
      'app-badalg',
      '--redirect-uri',
      REDIRECT_URI,
      '--id-token-alg',
      'none',
    ]);
    assert.equal(badAlg.code, 2);
    assert.match(badAlg.stderr, /--id-token-alg/);
    const privateJwk = await jose.exportJWK(
      (await jose.generateKeyPair('ES256', { extractable: true })).privateKey,
    );
    const leaked = await cli([
      'client',
      'add',
      'app-leak',
      '--redirect-uri',
      REDIRECT_URI,
      '--auth-method',
      'private_key_jwt',
      '--jwks',
      JSON.stringify({ keys: [privateJwk] }),
    ]);
    assert.equal(leaked.code, 2);
    assert.match(leaked.stderr, /public keys/);
    const publicNone = await cli([
      'client',
      'add',
      'app-pub',
      '--redirect-uri',
      REDIRECT_URI,
      '--public',
      '--auth-method',
      'client_secret_jwt',
    ]);
    assert.equal(publicNone.code, 2);
    const list = await cli(['client', 'list', '--json']);
    assert.doesNotMatch(list.stdout, /app-nokeys|app-badalg|app-leak|app-pub/);
    // Update: the API's field error, worded for the field.
    const upd = await cli(['client', 'update', 'app-post', '--auth-method', 'private_key_jwt']);
    assert.notEqual(upd.code, 0);
    assert.match(upd.stderr, /private_key_jwt/);
  });
});

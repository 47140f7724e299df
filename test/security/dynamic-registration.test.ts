import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { loadConfig } from '../../src/config.ts';
import { findClient } from '../../src/store/clients.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addUserViaCli, codeFlow, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Dynamic Client Registration behind an initial access token, as the attacks on it: no token, a
 * made-up token or a revoked one gets 401 invalid_token; a registration asking for the admin scope
 * gets none (the answer, the stored client and the token endpoint agree); a registered client is
 * third-party. With a valid token the new client completes code + PKCE with openid-client. Off by
 * default: a server without DYNAMIC_CLIENT_REGISTRATION has no /reg and advertises none.
 */
describe(`dynamic client registration (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let off: TestServer;
  const password = 'correct horse battery staple';

  const cli = async (args: string[]) => {
    const r = await runCommand([...args, '--json'], undefined, {
      db: srv.db,
      box: srv.box,
      clock: systemClock,
    });
    srv.app.deps.clients.invalidate();
    return r;
  };
  const newToken = async () => {
    const r = await cli(['client', 'registration-token', 'create', '--expires-in-days', '7']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { id: string; token: string; expires_at: string };
  };
  const register = (body: Record<string, unknown>, token?: string, at = srv) =>
    fetch(`${at.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const app = { redirect_uris: [REDIRECT_URI], client_name: 'Self-registered tool' };

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, env: { DYNAMIC_CLIENT_REGISTRATION: 'on' } });
    off = await startTestServer({ db: tdb.db });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'off');
    await addUserViaCli(srv, 'rhea', password);
  });
  after(async () => {
    await srv.stop();
    await off.stop();
    await tdb.drop();
  });

  it('is off by default: no endpoint, nothing advertised', async () => {
    const md = (await (await fetch(`${off.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(md.registration_endpoint, undefined);
    const { token } = await newToken();
    const r = await register(app, token, off);
    assert.equal(r.status, 404);
    const on = (await (await fetch(`${srv.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(on.registration_endpoint, `${srv.issuer}/reg`);
    // The setting is on or off; anything else stops the start with a clear message.
    assert.equal(loadConfig({}).dynamicClientRegistration, false);
    assert.equal(loadConfig({ DYNAMIC_CLIENT_REGISTRATION: 'on' }).dynamicClientRegistration, true);
    assert.throws(
      () => loadConfig({ DYNAMIC_CLIENT_REGISTRATION: 'yes' }),
      /DYNAMIC_CLIENT_REGISTRATION: expected on or off/,
    );
  });

  it('without a valid initial access token: 401 invalid_token, and no client', async () => {
    for (const token of [undefined, 'made-up-token', 'a'.repeat(43)]) {
      const r = await register(app, token);
      assert.equal(r.status, 401, String(token));
      assert.equal(((await r.json()) as { error: string }).error, 'invalid_token');
    }
    const list = await cli(['client', 'list']);
    assert.doesNotMatch(list.stdout, /Self-registered/);
  });

  it('with a token: 201, a third-party client without admin that completes code + PKCE; audited', async () => {
    const { token } = await newToken();
    const r = await register({ ...app, scope: 'openid profile admin scim' }, token);
    assert.equal(r.status, 201);
    const reg = (await r.json()) as Record<string, any>;
    assert.ok(reg.client_id && reg.client_secret);
    assert.equal(reg.registration_access_token, undefined, 'no self-management');
    assert.equal(reg.scope, 'openid profile', 'admin and scim removed from the answer');
    const row = (await findClient(tdb.db, reg.client_id))!;
    assert.equal(row.firstParty, false);
    assert.equal(row.adminGranted, false);
    assert.equal(row.metadata.client_secret, undefined, 'the secret is stored sealed, not in the metadata');
    assert.ok(row.secretEncrypted && !row.secretEncrypted.includes(reg.client_secret));
    const audit = await tdb.db('audit_events').where({ activity: 'oidc.client_register' });
    assert.equal(audit.length, 1);

    const config = await oidc.discovery(
      new URL(srv.issuer),
      reg.client_id,
      { client_secret: reg.client_secret },
      oidc.ClientSecretBasic(reg.client_secret),
      { execute: [oidc.allowInsecureRequests] },
    );
    const { tokens } = await codeFlow(config, { username: 'rhea', password }, { scope: 'openid profile' });
    assert.ok(tokens.id_token);
    assert.ok(
      !String(tokens.scope ?? '')
        .split(' ')
        .includes('admin'),
    );
    // Asking for admin at the authorization endpoint is refused for this client.
    await assert.rejects(
      codeFlow(config, { username: 'rhea', password }, { scope: 'openid admin' }),
      (e: any) => e.error === 'invalid_scope',
    );
  });

  it('a client-credentials client registered with scope admin cannot get an admin token', async () => {
    const { token } = await newToken();
    const r = await register(
      { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'admin' },
      token,
    );
    assert.equal(r.status, 201);
    const reg = (await r.json()) as Record<string, any>;
    assert.ok(!String(reg.scope ?? '').includes('admin'));
    const t = await fetch(`${srv.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${reg.client_id}:${reg.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=admin',
    });
    assert.equal(t.status, 400);
    assert.equal(((await t.json()) as { error: string }).error, 'invalid_scope');
    const admin = await fetch(`${srv.issuer}/api/admin/v1/users`, {
      headers: { authorization: `Bearer ${reg.client_secret}` },
    });
    assert.equal(admin.status, 401);
  });

  it('a revoked token is refused; tokens are stored only as hashes; bad metadata is refused', async () => {
    const t = await newToken();
    const rows = await tdb.db('oidc_payloads').where({ model: 'InitialAccessToken' });
    assert.ok(rows.length >= 1);
    for (const row of rows) {
      assert.notEqual(row.id, t.token);
      assert.ok(!JSON.stringify(row.payload).includes(t.token));
    }
    const listed = JSON.parse((await cli(['client', 'registration-token', 'list'])).stdout) as Array<{
      id: string;
    }>;
    assert.ok(listed.some((x) => x.id === t.id));
    // Metadata Tobira checks itself: a CORS origin with a path.
    const bad = await register({ ...app, cors_origins: ['https://app.example.com/path'] }, t.token);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: string }).error, 'invalid_client_metadata');

    const revoked = await cli(['client', 'registration-token', 'revoke', t.id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const r = await register(app, t.token);
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { error: string }).error, 'invalid_token');
    const again = await cli(['client', 'registration-token', 'revoke', t.id]);
    assert.equal(again.code, 4);
    const badId = await cli(['client', 'registration-token', 'revoke', 'xyz']);
    assert.equal(badId.code, 2);
  });
});

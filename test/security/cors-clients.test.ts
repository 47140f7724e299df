import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { PERMISSIONS } from '../../src/flows/admin/permissions.ts';
import * as svc from '../../src/flows/admin/service.ts';
import { normalizeOrigin } from '../../src/oidc/clients.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addUserViaCli, codeFlow, discover, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Per-client CORS origins, as the attacks that would break them: a page on an origin no client lists
 * calls the token, userinfo, revocation or introspection endpoint from a victim's browser and must
 * not be allowed to read the answer (no Access-Control-Allow-Origin), preflight included; a listed
 * origin is allowed; a public client (SPA) is allowed its redirect URIs' origins, a confidential
 * client only what is listed.
 */
describe(`per-client CORS origins (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const password = 'correct horse battery staple';
  const GOOD = 'https://app.example.com';
  const EVIL = 'https://evil.example';
  const SPA = 'http://127.0.0.1:9';
  let server: { id: string; secret: string };

  const cli = async (args: string[]) => {
    const r = await runCommand(args, undefined, { db: srv.db, box: srv.box, clock: systemClock });
    srv.app.deps.clients.invalidate();
    return r;
  };

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'off');
    await addUserViaCli(srv, 'cora', password);
    const r = await cli([
      'client',
      'add',
      'cors-server',
      '--grant-type',
      'client_credentials',
      '--cors-origin',
      GOOD,
      '--cors-origin',
      'https://APP2.example.com:443',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    server = { id: 'cors-server', secret: JSON.parse(r.stdout).client_secret };
    assert.equal(
      (
        await cli([
          'client',
          'add',
          'cors-spa',
          '--public',
          '--first-party',
          '--redirect-uri',
          `${SPA}/callback`,
        ])
      ).code,
      0,
    );
    assert.equal(
      (
        await cli([
          'client',
          'add',
          'cors-web',
          '--first-party',
          '--redirect-uri',
          'http://127.0.0.1:9/callback',
        ])
      ).code,
      0,
    );
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  const basic = () => `Basic ${Buffer.from(`${server.id}:${server.secret}`).toString('base64')}`;
  const tokenRequest = (origin: string) =>
    fetch(`${srv.issuer}/token`, {
      method: 'POST',
      headers: {
        origin,
        authorization: basic(),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
  const preflight = (path: string, origin: string) =>
    fetch(`${srv.issuer}${path}`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });

  it('the token endpoint: a listed origin may read the answer; any other origin may not', async () => {
    const ok = await tokenRequest(GOOD);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), GOOD);
    // Stored in normal form (lower case, default port dropped): the browser sends it that way.
    const ok2 = await tokenRequest('https://app2.example.com');
    assert.equal(ok2.headers.get('access-control-allow-origin'), 'https://app2.example.com');
    for (const origin of [EVIL, 'null', 'https://app.example.com.evil.example', 'http://app.example.com']) {
      const r = await tokenRequest(origin);
      assert.equal(r.headers.get('access-control-allow-origin'), null, origin);
      assert.equal(r.status, 400, origin);
      assert.equal(((await r.json()) as { access_token?: string }).access_token, undefined);
    }
  });

  it('a preflight is answered only for an origin some client allows', async () => {
    for (const path of ['/token', '/me', '/token/revocation', '/token/introspection']) {
      const good = await preflight(path, GOOD);
      assert.equal(good.status, 204, path);
      assert.equal(good.headers.get('access-control-allow-origin'), GOOD, path);
      const spa = await preflight(path, SPA);
      assert.equal(spa.headers.get('access-control-allow-origin'), SPA, path);
      const evil = await preflight(path, EVIL);
      assert.equal(evil.headers.get('access-control-allow-origin'), null, path);
      assert.equal(evil.headers.get('access-control-allow-methods'), null, path);
    }
  });

  it('userinfo: a public client is allowed its redirect origin; a confidential client is not, unless listed', async () => {
    const spaConfig = await discover(srv.issuer, 'cors-spa');
    const spa = await codeFlow(spaConfig, { username: 'cora', password });
    const me = (token: string, origin: string) =>
      fetch(`${srv.issuer}/me`, { headers: { origin, authorization: `Bearer ${token}` } });
    let r = await me(spa.tokens.access_token, SPA);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), SPA);
    r = await me(spa.tokens.access_token, EVIL);
    assert.equal(r.headers.get('access-control-allow-origin'), null);

    const webSecret = JSON.parse(
      (await cli(['client', 'rotate-secret', 'cors-web', '--json'])).stdout,
    ).client_secret;
    const web = await codeFlow(await discover(srv.issuer, 'cors-web', webSecret), {
      username: 'cora',
      password,
    });
    r = await me(web.tokens.access_token, SPA);
    assert.equal(
      r.headers.get('access-control-allow-origin'),
      null,
      'a confidential client gets no implicit origin',
    );
    // Listing the origin allows it (the client cache is dropped by the update).
    const upd = await cli(['client', 'update', 'cors-web', '--cors-origin', SPA, '--json']);
    assert.equal(upd.code, 0, upd.stderr);
    r = await me(web.tokens.access_token, SPA);
    assert.equal(r.headers.get('access-control-allow-origin'), SPA);
    // Clearing the list takes it back.
    assert.equal((await cli(['client', 'update', 'cors-web', '--cors-origin', ''])).code, 0);
    r = await me(web.tokens.access_token, SPA);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });

  it('origins are validated: scheme, host and port only; no path, wildcard or other scheme', async () => {
    for (const bad of [
      'https://app.example.com/',
      'https://app.example.com/path',
      'https://*.example.com',
      '*',
      'ftp://app.example.com',
      'https://user@app.example.com',
      'https://app.example.com?x=1',
      'app.example.com',
      'null',
    ]) {
      assert.equal(normalizeOrigin(bad), undefined, bad);
      const r = await cli([
        'client',
        'add',
        'cors-bad',
        '--grant-type',
        'client_credentials',
        '--cors-origin',
        bad,
      ]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /--cors-origin/, bad);
    }
    assert.equal(normalizeOrigin('HTTPS://App.Example.com:443'), 'https://app.example.com');
    assert.equal(normalizeOrigin('http://localhost:5173'), 'http://localhost:5173');
    const actor = {
      id: 'client:test-automation',
      kind: 'client' as const,
      label: 'test-automation',
      permissions: new Set(PERMISSIONS),
      via: 'api' as const,
    };
    await assert.rejects(
      svc.updateClient(srv.app.deps as never, actor, 'cors-server', {
        corsOrigins: [GOOD, 'https://x.example/p'],
      }),
      (e: any) => e.fields?.['corsOrigins.1']?.key === 'cors.admin.originInvalid',
    );
    const shown = await svc.getClient(srv.app.deps as never, actor, 'cors-server');
    assert.deepEqual(shown.corsOrigins, [GOOD, 'https://app2.example.com'], 'nothing half-written');
    const list = await cli(['client', 'list', '--json']);
    assert.doesNotMatch(list.stdout, /cors-bad/);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { deleteApi, deleteGrant, insertApi, listGrants, upsertGrant } from '../../src/store/apis.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { addClientViaCli, REDIRECT_URI } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ORDERS = 'https://orders.example.com';
const LEDGER = 'api://ledger';

/**
 * Access tokens for APIs (RFC 8707 resource indicators; src/oidc/resources.ts, store/apis.ts). Each
 * guarantee as the attack that would break it: a client gets a token only for an API it was granted,
 * only with the scopes granted there, never for two APIs at once and never through a user's flow; an
 * API's token is refused by Tobira's own APIs (admin, SCIM, userinfo); withdrawing a grant, shrinking an
 * API or deleting it stops new tokens at once; and bad input is refused with its reason, never a 500.
 */
describe(`access tokens for APIs (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let robot: { clientId: string; secret?: string };
  let other: { clientId: string; secret?: string };
  let web: { clientId: string; secret?: string };

  const cli = async (...argv: string[]) => {
    const r = await runCommand([...argv, '--json'], undefined, {
      db: srv.db,
      box: srv.box,
      clock: systemClock,
      onClientsChanged: () => srv.app.deps.clients.invalidate(),
    });
    return { code: r.code, out: r.stdout ? JSON.parse(r.stdout) : undefined, err: r.stderr };
  };
  const ok = async (...argv: string[]) => {
    const r = await cli(...argv);
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
    return r.out;
  };

  const tokenRequest = async (
    who: { clientId: string; secret?: string },
    form: Record<string, string | string[]>,
  ) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) body.append(k, x);
    const r = await fetch(`${srv.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${who.clientId}:${who.secret}`).toString('base64')}` },
      body,
    });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  const ccFor = (who: typeof robot, extra: Record<string, string | string[]> = {}) =>
    tokenRequest(who, { grant_type: 'client_credentials', ...extra });

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    robot = await addClientViaCli(srv, ['robot', '--grant-type', 'client_credentials', '--admin']);
    other = await addClientViaCli(srv, ['other', '--grant-type', 'client_credentials']);
    web = await addClientViaCli(srv, ['web', '--redirect-uri', REDIRECT_URI, '--first-party']);
    await ok(
      'api',
      'add',
      ORDERS,
      '--name',
      'Orders',
      '--scope',
      'orders.read',
      '--scope',
      'orders.write',
      '--ttl',
      '300',
    );
    await ok('api', 'add', LEDGER, '--name', 'Ledger', '--scope', 'ledger.read', '--format', 'opaque');
    await ok('api', 'grant', ORDERS, 'robot', '--scope', 'orders.read');
    await ok('api', 'grant', LEDGER, 'robot', '--scope', 'ledger.read');
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  it('issues a JWT (RFC 9068) for the API, with the granted scopes, that the API checks on its own', async () => {
    const r = await ccFor(robot, { resource: ORDERS });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.token_type, 'Bearer');
    assert.equal(r.body.scope, 'orders.read', 'no scope asked: every granted scope (Entra’s /.default)');
    assert.equal(r.body.expires_in, 300);
    const jwks = createRemoteJWKSet(new URL(`${srv.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(r.body.access_token, jwks, {
      issuer: srv.issuer,
      audience: ORDERS,
      typ: 'at+jwt',
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.client_id, 'robot');
    assert.equal(payload.sub, 'robot', 'a client-credentials token stands for the client itself');
    assert.equal(payload.scope, 'orders.read');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 300);
    // Asking for a granted scope by name gives just that.
    const named = await ccFor(robot, { resource: ORDERS, scope: 'orders.read' });
    assert.equal(named.status, 200);
    assert.equal(named.body.scope, 'orders.read');
  });

  it('a JWT for an API is signed with the algorithm the API names', async () => {
    await ok('api', 'update', ORDERS, '--alg', 'EdDSA');
    const r = await ccFor(robot, { resource: ORDERS });
    assert.equal(r.status, 200);
    assert.equal(decodeProtectedHeader(r.body.access_token).alg, 'EdDSA');
    await jwtVerify(r.body.access_token, createRemoteJWKSet(new URL(`${srv.issuer}/jwks`)), {
      issuer: srv.issuer,
      audience: ORDERS,
    });
    await ok('api', 'update', ORDERS, '--alg', 'ES256');
  });

  it('attack: a scope the client was not granted on the API is refused, not dropped', async () => {
    for (const scope of ['orders.write', 'orders.read orders.write', 'admin', 'ledger.read']) {
      const r = await ccFor(robot, { resource: ORDERS, scope });
      assert.equal(r.status, 400, scope);
      assert.equal(r.body.error, 'invalid_scope', scope);
    }
  });

  it('attack: an API the client holds no grant on answers exactly as an unknown one', async () => {
    const notGranted = await ccFor(other, { resource: ORDERS });
    const unknown = await ccFor(other, { resource: 'https://nowhere.example.com' });
    const unknownToRobot = await ccFor(robot, { resource: 'https://orders.example.com/' });
    for (const r of [notGranted, unknown, unknownToRobot]) {
      assert.equal(r.status, 400);
      assert.equal(r.body.error, 'invalid_target');
    }
    assert.deepEqual(notGranted.body, unknown.body, 'no way to tell which APIs exist');
  });

  it('attack: two APIs in one request, or a malformed resource, are refused without a 500', async () => {
    const two = await ccFor(robot, { resource: [ORDERS, LEDGER] });
    assert.equal(two.status, 400);
    assert.equal(two.body.error, 'invalid_target');
    for (const resource of [
      'orders',
      'https://orders.example.com#x',
      'https://or\u0001ders.example.com',
      'x'.repeat(5000),
    ]) {
      const r = await ccFor(robot, { resource });
      assert.equal(r.status, 400, resource.slice(0, 40));
      assert.ok(['invalid_target', 'invalid_request'].includes(r.body.error), JSON.stringify(r.body));
    }
  });

  it('attack: a resource in a user’s flow is refused (tokens for APIs are for client credentials only)', async () => {
    const q = new URLSearchParams({
      client_id: web.clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
      resource: ORDERS,
      state: 's1',
    });
    const r = await fetch(`${srv.url}/auth?${q}`, { redirect: 'manual' });
    assert.equal(r.status, 303);
    const to = new URL(r.headers.get('location') ?? '');
    assert.equal(`${to.origin}${to.pathname}`, REDIRECT_URI);
    assert.equal(to.searchParams.get('error'), 'invalid_target');
    // At the token endpoint with another grant, too.
    const refresh = await tokenRequest(web, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
      resource: ORDERS,
    });
    assert.equal(refresh.status, 400);
  });

  it('attack: an API’s token is refused by Tobira’s own APIs, even from an admin-granted client', async () => {
    const jwt = (await ccFor(robot, { resource: ORDERS })).body.access_token as string;
    const opaque = (await ccFor(robot, { resource: LEDGER })).body.access_token as string;
    const own = (await ccFor(robot, { scope: 'admin' })).body.access_token as string;
    const me = (t: string) =>
      fetch(`${srv.url}/api/admin/v1/me`, { headers: { authorization: `Bearer ${t}` } }).then(
        (r) => r.status,
      );
    assert.equal(await me(own), 200, 'the control: the same client’s own admin token works');
    assert.equal(await me(jwt), 401);
    assert.equal(await me(opaque), 401);
    // An API whose scope is named like the admin API's (written past the checks, as an old row or a
    // hand edit would be): its token carries `admin`, and still is not an admin API token.
    await insertApi(
      srv.db,
      {
        identifier: 'api://lookalike',
        name: 'Look-alike',
        scopes: ['admin'],
        tokenFormat: 'opaque',
        tokenTtlSeconds: 600,
        signingAlg: 'ES256',
        introspectionClientId: null,
      },
      new Date(),
    );
    await upsertGrant(srv.db, 'robot', 'api://lookalike', ['admin'], new Date());
    srv.app.deps.clients.invalidate();
    const lookalike = await ccFor(robot, { resource: 'api://lookalike', scope: 'admin' });
    assert.equal(lookalike.status, 200);
    assert.equal(lookalike.body.scope, 'admin');
    assert.equal(
      await me(lookalike.body.access_token),
      401,
      'a token for another audience is not the admin API’s',
    );
    await deleteApi(srv.db, 'api://lookalike');
    srv.app.deps.clients.invalidate();
    const scim = (t: string) =>
      fetch(`${srv.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
    assert.equal(await scim(jwt), 401);
    assert.equal(await scim(opaque), 401);
  });

  it('an opaque API token is stored: the API’s own client introspects it, and revocation ends it', async () => {
    const r = await ccFor(robot, { resource: LEDGER });
    assert.equal(r.status, 200);
    assert.equal(r.body.access_token.split('.').length, 1, 'opaque, not a JWT');
    const ledger = await addClientViaCli(srv, ['ledger-api', '--grant-type', 'client_credentials']);
    const introspectAs = async (who: { clientId: string; secret?: string }, token: string) =>
      (await fetch(`${srv.url}/token/introspection`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${who.clientId}:${who.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token }),
      }).then((x) => x.json())) as Record<string, any>;
    // Attack: a client that is not the API's own cannot read another client's token.
    assert.equal((await introspectAs(ledger, r.body.access_token)).active, false, 'not yet the API’s client');
    assert.equal((await introspectAs(other, r.body.access_token)).active, false);
    await ok('api', 'update', LEDGER, '--introspection-client', 'ledger-api');
    const seen = await introspectAs(ledger, r.body.access_token);
    assert.equal(seen.active, true);
    assert.equal(seen.aud, LEDGER);
    assert.equal(seen.client_id, 'robot');
    assert.equal(seen.scope, 'ledger.read');
    assert.equal((await introspectAs(other, r.body.access_token)).active, false, 'still nobody else');
    // The API's client sees only its API's tokens, not the same client's own Tobira tokens.
    const own = (await ccFor(robot, {})).body.access_token as string;
    assert.equal((await introspectAs(ledger, own)).active, false);
    assert.equal((await introspectAs(robot, own)).active, true, 'the control: its holder does');
    const introspect = async () =>
      (await fetch(`${srv.url}/token/introspection`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${robot.clientId}:${robot.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token: r.body.access_token }),
      }).then((x) => x.json())) as Record<string, any>;
    const before = await introspect();
    assert.equal(before.active, true);
    assert.equal(before.aud, LEDGER);
    assert.equal(before.scope, 'ledger.read');
    const revoked = await fetch(`${srv.url}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${robot.clientId}:${robot.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: r.body.access_token }),
    });
    assert.equal(revoked.status, 200);
    assert.equal((await introspect()).active, false);
  });

  it('attack: withdrawing a grant, shrinking an API or deleting it stops new tokens at once', async () => {
    await ok('api', 'add', 'api://reports', '--name', 'Reports', '--scope', 'r.read', '--scope', 'r.write');
    await ok('api', 'grant', 'api://reports', 'other', '--scope', 'r.read', '--scope', 'r.write');
    assert.equal((await ccFor(other, { resource: 'api://reports' })).body.scope, 'r.read r.write');
    // The API stops defining r.write: it leaves the grant.
    await ok('api', 'update', 'api://reports', '--scope', 'r.read');
    const shrunk = await ccFor(other, { resource: 'api://reports' });
    assert.equal(shrunk.body.scope, 'r.read');
    assert.equal(
      (await ccFor(other, { resource: 'api://reports', scope: 'r.write' })).body.error,
      'invalid_scope',
    );
    // The grant is withdrawn.
    const revoked = await ok('api', 'revoke', 'api://reports', 'other');
    assert.equal(revoked.changed, true);
    assert.equal((await ccFor(other, { resource: 'api://reports' })).body.error, 'invalid_target');
    // Granted again, then the API is deleted: its grants go with it.
    await ok('api', 'grant', 'api://reports', 'other', '--scope', 'r.read');
    assert.equal((await ccFor(other, { resource: 'api://reports' })).status, 200);
    await ok('api', 'delete', 'api://reports');
    assert.equal((await ccFor(other, { resource: 'api://reports' })).body.error, 'invalid_target');
    assert.deepEqual(await listGrants(srv.db, 'api://reports'), []);
  });

  it('attack: a client read racing a withdrawn grant never puts the grant back into the cache', async () => {
    await ok('api', 'grant', ORDERS, 'other', '--scope', 'orders.read');
    const cache = srv.app.deps.clients;
    // A read begins, and the cache is dropped (a grant withdrawn) while it is in flight: the read may
    // answer, but it must not be kept: the next lookup reads the database again.
    cache.invalidate();
    const racing = cache.get('other');
    cache.invalidate('other');
    await racing;
    let statements = 0;
    const count = () => {
      statements++;
    };
    srv.db.on('query', count);
    try {
      await cache.get('other');
    } finally {
      srv.db.off('query', count);
    }
    assert.ok(statements > 0, 'the raced read was not kept');
    await deleteGrant(srv.db, 'other', ORDERS);
    cache.invalidate('other');
    assert.equal((await ccFor(other, { resource: ORDERS })).body.error, 'invalid_target');
    // And with truly parallel token requests around the withdrawal: none after it succeeds.
    await ok('api', 'grant', ORDERS, 'other', '--scope', 'orders.read');
    const during = Array.from({ length: 20 }, () => ccFor(other, { resource: ORDERS }));
    await ok('api', 'revoke', ORDERS, 'other');
    await Promise.all(during);
    const after = await Promise.all(Array.from({ length: 10 }, () => ccFor(other, { resource: ORDERS })));
    for (const r of after) assert.equal(r.body.error, 'invalid_target');
  });

  it('deleting a client deletes its grants', async () => {
    await addClientViaCli(srv, ['doomed', '--grant-type', 'client_credentials']);
    await ok('api', 'grant', ORDERS, 'doomed', '--scope', 'orders.read');
    assert.ok((await listGrants(srv.db, ORDERS)).some((g) => g.clientId === 'doomed'));
    await ok('client', 'delete', 'doomed');
    assert.ok(!(await listGrants(srv.db, ORDERS)).some((g) => g.clientId === 'doomed'));
  });

  it('bad definitions are refused with their reason and change nothing', async () => {
    const cases: [string[], number, RegExp][] = [
      [['api', 'add', 'orders', '--name', 'x'], 2, /absolute URI/],
      [['api', 'add', 'https://a.example.com#f', '--name', 'x'], 2, /cannot contain/],
      [['api', 'add', 'https://a.example.com', '--name', 'x', '--scope', 'openid'], 2, /Tobira's own/],
      [['api', 'add', 'https://a.example.com', '--name', 'x', '--scope', 'a"b'], 2, /printable/],
      [['api', 'add', 'https://a.example.com', '--name', 'x', '--format', 'paseto'], 2, /jwt, opaque|jwt/],
      [['api', 'add', 'https://a.example.com', '--name', 'x', '--ttl', '5'], 2, /60/],
      [['api', 'add', ORDERS, '--name', 'again'], 3, /exists/],
      [['api', 'grant', ORDERS, 'robot', '--scope', 'orders.delete'], 2, /orders\.delete/],
      [['api', 'grant', ORDERS, 'nobody', '--scope', 'orders.read'], 4, /No such application/],
      [['api', 'grant', 'https://nowhere.example.com', 'robot'], 4, /No such API/],
      [['api', 'show', 'https://nowhere.example.com'], 4, /No such API/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await cli(...argv);
      assert.equal(r.code, code, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, message, argv.join(' '));
    }
    const list = (await ok('api', 'list')) as {
      identifier: string;
      grants: { clientId: string; scopes: string[] }[];
    }[];
    assert.deepEqual(
      list.map((a) => a.identifier),
      [LEDGER, ORDERS],
    );
    assert.deepEqual(list.find((a) => a.identifier === ORDERS)?.grants, [
      { clientId: 'robot', scopes: ['orders.read'] },
    ]);
  });

  it('the admin API manages APIs, the identifier percent-encoded in the path, errors in the caller’s language', async () => {
    const admin = (await ccFor(robot, { scope: 'admin' })).body.access_token as string;
    const call = (method: string, path: string, body?: unknown, lang = 'en') =>
      fetch(`${srv.url}/api/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${admin}`,
          'accept-language': lang,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    const created = await call('POST', '/apis', {
      identifier: 'https://billing.example.com',
      name: 'Billing',
      scopes: ['b.read'],
    });
    assert.equal(created.status, 201);
    const api = (await created.json()) as Record<string, unknown>;
    assert.equal(api.tokenFormat, 'jwt');
    assert.equal(api.tokenTtlSeconds, 600);
    const path = `/apis/${encodeURIComponent('https://billing.example.com')}`;
    assert.equal((await call('PUT', `${path}/grants/other`, { scopes: ['b.read'] })).status, 200);
    assert.equal((await ccFor(other, { resource: 'https://billing.example.com' })).body.scope, 'b.read');
    const got = (await (await call('GET', path)).json()) as { grants: unknown[] };
    assert.deepEqual(got.grants, [{ clientId: 'other', scopes: ['b.read'] }]);
    const bad = await call('POST', '/apis', { identifier: 'billing', name: 'B' }, 'ja');
    assert.equal(bad.status, 400);
    const err = (await bad.json()) as { fields: Record<string, string> };
    assert.match(err.fields.identifier, /絶対 URI/);
    // Bad input in the path is refused, never a 500: a control character by the app's guard (400), an
    // identifier no lookup takes (too long, not ASCII) as nothing (404).
    for (const [method, p, status] of [
      ['GET', `/apis/${encodeURIComponent('https://billing.example.com\u0000')}`, 400],
      ['PUT', `${path}/grants/a%00b`, 400],
      ['GET', `/apis/${encodeURIComponent(`https://${'x'.repeat(3000)}`)}`, 404],
      ['GET', `/apis/${encodeURIComponent('https://ａｐｉ.example.com')}`, 404],
      ['PUT', `${path}/grants/${encodeURIComponent('ｏｔｈｅｒ')}`, 404],
    ] as const) {
      const r = await call(method, p, method === 'PUT' ? { scopes: ['b.read'] } : undefined);
      assert.equal(r.status, status, `${method} ${p.slice(0, 60)}`);
    }
    const ghost = await call('DELETE', `${path}/grants/ghost`);
    assert.equal(ghost.status, 200, 'withdrawing a grant nobody holds changes nothing');
    assert.equal(((await ghost.json()) as { changed: boolean }).changed, false);
    assert.equal((await call('DELETE', `${path}/grants/other`)).status, 200);
    assert.equal((await call('DELETE', path)).status, 204);
    assert.equal((await call('GET', path)).status, 404);
  });

  it(`runs on ${usingPostgres ? 'PostgreSQL' : 'the embedded database'} with the grants in the client cache`, async () => {
    // The client cache holds each client's grants; the token endpoint reads neither table per token.
    let statements = 0;
    const count = () => {
      statements++;
    };
    await ccFor(robot, { resource: ORDERS });
    srv.db.on('query', count);
    try {
      for (let i = 0; i < 5; i++) assert.equal((await ccFor(robot, { resource: ORDERS })).status, 200);
    } finally {
      srv.db.off('query', count);
    }
    assert.equal(statements, 0, 'a JWT for an API is issued without a statement');
  });
});

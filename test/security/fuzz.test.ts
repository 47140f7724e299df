import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import { findUserByLogin } from '../../src/store/users.ts';
import { Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * A short, deterministic fuzz pass over every route: the Koa routers' routes are enumerated from the
 * app (so routes added later are covered without editing this file), plus the provider's endpoints
 * from discovery. Each gets malformed input: bad percent-encoding, invalid UTF-8, wrong content types,
 * JSON to form routes and forms to JSON routes, bodies over the limit, empty, control-character and
 * very long values, tampered cookies, odd path parameters. The one assertion: no response is a 5xx.
 */

/** mulberry32: a small seeded PRNG, so every run sends the same requests. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Route {
  method: string;
  path: string;
  /** One of the provider's endpoints: it also always gets the OIDC-parameter variants. */
  provider?: boolean;
}

interface Sent {
  status: number | 'reset';
}

/** One raw request (node:http, so that any bytes and headers can be sent), resolving to its status. */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = http.request(
      { host: u.hostname, port: u.port, method, path, headers, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A server that answered 413 may close the socket while an oversized body is still being sent.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve({ status: 'reset' });
      else reject(err);
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout ${method} ${path}`)));
    if (body) req.end(body);
    else req.end();
  });
}

describe(`fuzz: no route answers 5xx to malformed input (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const routes: Route[] = [];
  let csrf = { cookie: '', token: '' };
  let portalCookie = '';
  let interaction = { uid: 'aBcDeFgHiJkLmNoPqRsTu', cookie: '' };

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'fuzz', password, ['--email', 'fuzz@example.com']);
    const u = (await findUserByLogin(tdb.db, 'fuzz'))!;
    await insertCredential(
      tdb.db,
      u.id,
      { kind: 'phone', label: '', data: { e164: '+819023456733', country: 'JP', type: 'mobile' } },
      clock.now(),
    );
    await addClientViaCli(srv, ['fuzz-app', '--redirect-uri', REDIRECT_URI, '--first-party']);

    // Every route of every Koa router the app mounts.
    for (const mw of srv.app.koa.middleware as Array<{
      router?: { stack: Array<{ path: string; methods: string[] }> };
    }>) {
      for (const layer of mw.router?.stack ?? []) {
        // A catch-all (every method) is tried with the usual ones and one that nothing implements.
        const methods =
          layer.methods.length > 10 ? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND'] : layer.methods;
        for (const method of methods.filter((m) => m !== 'HEAD')) routes.push({ method, path: layer.path });
      }
    }
    // The provider's endpoints, from its discovery document.
    const disc = (await (await fetch(`${srv.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    for (const key of [
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'introspection_endpoint',
      'revocation_endpoint',
      'end_session_endpoint',
      'pushed_authorization_request_endpoint',
      'jwks_uri',
    ]) {
      const v = disc[key];
      if (typeof v !== 'string') continue;
      const path = new URL(v).pathname;
      for (const method of ['GET', 'POST']) routes.push({ method, path, provider: true });
    }
    routes.push({ method: 'GET', path: '/.well-known/openid-configuration' });
    routes.push({ method: 'POST', path: '/session/end/confirm' });

    // A CSRF cookie and its token, so that forms get past the CSRF check into their handlers.
    const br = new Browser();
    const resetPage = await br.get('/reset', srv.issuer);
    csrf = { cookie: br.cookieHeader(new URL(srv.issuer)), token: hiddenInputs(resetPage.text)._csrf ?? '' };
    // A live interaction (its uid and cookies) and a signed-in portal session.
    const auth = new URL(`${srv.issuer}/auth`);
    for (const [k, v] of Object.entries({
      client_id: 'fuzz-app',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }))
      auth.searchParams.set(k, v);
    const ib = new Browser();
    const login = await ib.follow(await ib.get(auth.href), REDIRECT_URI);
    const uid = /\/interaction\/([^/?#]+)/.exec(login.url)?.[1];
    if (uid) interaction = { uid, cookie: ib.cookieHeader(new URL(srv.issuer)) };
    const pb = new Browser();
    let p = await pb.follow(await pb.get('/my/security-info', srv.issuer));
    for (let i = 0; i < 3 && /\/interaction\//.test(p.url); i++) {
      p = await pb.follow(
        await pb.post(formAction(p.text), { ...hiddenInputs(p.text), username: 'fuzz', password }, p.url),
      );
    }
    portalCookie = pb.cookieHeader(new URL(srv.issuer));
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  it('enumerates the routes of every router and the provider', () => {
    const paths = new Set(routes.map((r) => r.path));
    for (const p of [
      '/interaction/:uid/login',
      '/reset',
      '/my/password',
      '/api/admin/v1/users',
      '/token',
      '/auth',
    ])
      assert.ok(
        [...paths].some((x) => x === p || x.startsWith(p)),
        `${p} is enumerated`,
      );
    assert.ok(routes.length >= 40, `${routes.length} routes`);
  });

  it('answers every malformed request with less than 500', async () => {
    const rand = prng(0x70b12a);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const long = 'A'.repeat(20_000);

    /** Path parameters: a plausible value or a malformed one. */
    const params = [
      'x',
      '%00',
      '%ZZ',
      '..%2F..%2Fetc',
      'A'.repeat(300),
      '%E0%A4%A',
      '1',
      '00000000-0000-4000-8000-000000000000',
    ];
    const fill = (path: string) =>
      path
        .replace(/:(\w+)/g, (_m, name: string) =>
          name === 'uid' && rand() < 0.5 ? interaction.uid : pick(params),
        )
        .replace(/\{\/?\*\w+\}|\(\.\*\)/g, () => pick(['', 'users', 'users/%00', 'x/../../y', 'policy']));

    const cookies = () =>
      pick([
        '',
        csrf.cookie,
        `${csrf.cookie}; ${interaction.cookie}`,
        portalCookie,
        'tobira.session=garbage; tobira.session.sig=also-garbage',
        'tobira.reset=abc.def; tobira.csrf=%00%ff',
        `tobira.lang=${'x'.repeat(4000)}; tobira.interaction=%E0%A4%A`,
        `${portalCookie.replace(/=([^;]{4})/g, '=$1x')}`,
      ]);

    type Variant = {
      name: string;
      query?: string;
      type?: string;
      body?: Buffer;
      headers?: Record<string, string>;
    };
    const form = (fields: Record<string, string>) =>
      Buffer.from(new URLSearchParams({ _csrf: csrf.token, ...fields }).toString());
    const variants: Variant[] = [
      { name: 'bad percent-encoding in the query', query: 'q=%E0%A4%A&x=%&y=%ZZ&ui_locales=%FF' },
      { name: 'control characters in the query', query: 'q=a%00b&return=%0d%0aSet-Cookie:x' },
      { name: 'very long query value', query: `q=${'%41'.repeat(2000)}` },
      { name: 'repeated and array-like keys', query: 'q=a&q=b&q[]=c&__proto__=x&constructor[prototype]=y' },
      {
        name: 'invalid UTF-8 form body',
        type: 'application/x-www-form-urlencoded',
        body: Buffer.from([0x75, 0x3d, 0xff, 0xfe, 0xc0, 0x80]),
      },
      {
        name: 'bad percent-encoding in a form',
        type: 'application/x-www-form-urlencoded',
        body: Buffer.from(`_csrf=${csrf.token}&username=%E0%A4%A&password=%`),
      },
      {
        name: 'empty values',
        type: 'application/x-www-form-urlencoded',
        body: form({ username: '', password: '', code: '', number: '', q: '', name: '' }),
      },
      {
        name: 'control characters in a form',
        type: 'application/x-www-form-urlencoded',
        body: form({ username: 'a\u0000b', password: '\u001b', name: '\u007f', code: '\u2028' }),
      },
      {
        name: 'very long values',
        type: 'application/x-www-form-urlencoded',
        body: form({ username: long, password: long.slice(0, 10_000) }),
      },
      {
        name: 'unexpected fields',
        type: 'application/x-www-form-urlencoded',
        body: form({
          kind: '../../etc',
          via: 'fax',
          resend: 'x',
          restart: '1',
          credentialId: '%00',
          type: 'pager',
          country: 'ZZ',
          phone: 'x',
        }),
      },
      {
        name: 'control characters in OIDC parameters',
        type: 'application/x-www-form-urlencoded',
        body: Buffer.from(
          'client_id=a%00b&client_secret=%00&grant_type=client_credentials&code=%00&token=%00&refresh_token=%00&redirect_uri=%00&response_type=code&scope=openid%00',
        ),
      },
      {
        name: 'a client_id with a NUL in Basic auth',
        type: 'application/x-www-form-urlencoded',
        body: Buffer.from('grant_type=client_credentials&token=x'),
        headers: { authorization: `Basic ${Buffer.from('a%00b:secret').toString('base64')}` },
      },
      {
        name: 'JSON to a form route',
        type: 'application/json',
        body: Buffer.from(JSON.stringify({ _csrf: csrf.token, username: 'fuzz', password: ['a'] })),
      },
      { name: 'malformed JSON', type: 'application/json', body: Buffer.from('{"login": "a",') },
      {
        name: 'JSON with a NUL and deep nesting',
        type: 'application/json',
        body: Buffer.from(`{"login":"a\\u0000","x":${'['.repeat(5000)}${']'.repeat(5000)}}`),
      },
      {
        name: 'JSON of the wrong shape',
        type: 'application/json',
        body: Buffer.from('[1,"two",null,{"roles":["admin"],"__proto__":{"admin":true}}]'),
      },
      {
        name: 'form to a JSON route',
        type: 'application/x-www-form-urlencoded; charset=utf-8',
        body: form({ login: 'x' }),
      },
      { name: 'wrong content type', type: 'text/plain', body: Buffer.from('username=fuzz') },
      {
        name: 'multipart',
        type: 'multipart/form-data; boundary=zz',
        body: Buffer.from('--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--zz--\r\n'),
      },
      {
        name: 'an unknown charset',
        type: 'application/x-www-form-urlencoded; charset=ebcdic',
        body: form({ username: 'x' }),
      },
      {
        name: 'a body over the limit',
        type: 'application/x-www-form-urlencoded',
        body: Buffer.alloc(300 * 1024, 0x61),
      },
      {
        name: 'JSON over the limit',
        type: 'application/json',
        body: Buffer.from(`{"a":"${'b'.repeat(300 * 1024)}"}`),
      },
      { name: 'a bearer token that is not one', headers: { authorization: `Bearer ${'%00'.repeat(10)}` } },
      { name: 'basic auth that is not base64', headers: { authorization: 'Basic ***' } },
      {
        name: 'odd Accept-Language and Origin',
        headers: { 'accept-language': `${'x-'.repeat(500)};q=abc`, origin: 'null' },
      },
    ];

    const failures: string[] = [];
    let sent = 0;
    const statuses = new Map<string, number>();
    // Every route gets a few variants (one of them always a body variant for routes that take bodies);
    // the whole run stays around a few hundred requests.
    const perRoute = Math.max(2, Math.min(6, Math.floor(400 / Math.max(1, routes.length))));
    for (const route of routes) {
      const oidcVariants = route.provider ? variants.filter((x) => /OIDC|client_id/.test(x.name)) : [];
      for (let i = 0; i < perRoute + oidcVariants.length; i++) {
        const v = i < oidcVariants.length ? oidcVariants[i] : pick(variants);
        const path = fill(route.path);
        const url = `${path}${v.query ? `?${v.query}` : ''}`;
        const headers: Record<string, string> = { origin: srv.issuer, ...(v.headers ?? {}) };
        const cookie = cookies();
        if (cookie) headers.cookie = cookie;
        const withBody = route.method !== 'GET' && route.method !== 'DELETE' && v.body !== undefined;
        if (withBody && v.type) headers['content-type'] = v.type;
        let r: Sent;
        try {
          r = await send(srv.url, route.method, url, headers, withBody ? v.body : undefined);
        } catch (err) {
          failures.push(`${route.method} ${url} [${v.name}]: ${(err as Error).message}`);
          continue;
        }
        sent++;
        const key = String(r.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (r.status === 'reset' && !(v.body && v.body.length > 64 * 1024)) {
          failures.push(`${route.method} ${url} [${v.name}]: connection reset`);
        } else if (typeof r.status === 'number' && r.status >= 500) {
          failures.push(`${route.method} ${url} [${v.name}]: ${r.status}`);
        }
      }
    }
    assert.ok(sent >= 150, `${sent} requests sent`);
    assert.deepEqual(failures, [], `statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  });
});

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import {
  alertText,
  Browser,
  decodeEntities,
  formAction,
  hiddenInputs,
  type Resp,
} from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, discover, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'Tr0ub4dor&3-ops-Passphrase';
const WRONG = 'definitely-not-Her-Passw0rd';

/** Parses Prometheus text and returns the sample value of `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[l[1]] = l[2];
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function metricsText(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/**
 * Walks an authorization request of `clientId` through the sign-in page: optionally one wrong password
 * first (which must re-render the form with an error), then the right one, up to the redirect with the code.
 */
async function signInThroughPages(
  issuer: string,
  client: { clientId: string; secret?: string },
  username: string,
  opts: { wrongFirst?: boolean } = {},
) {
  const config = await discover(issuer, client.clientId, client.secret);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const browser = new Browser();
  let page = await browser.follow(await browser.get(url.href), REDIRECT_URI);
  assert.equal(page.status, 200, page.text.slice(0, 300));
  assert.match(page.text, /name="password"/);
  const loginPage = page;
  if (opts.wrongFirst) {
    const hidden = hiddenInputs(page.text);
    assert.ok(hidden._csrf, 'the form carries a CSRF token');
    page = await browser.post(formAction(page.text), { ...hidden, username, password: WRONG }, page.url);
    assert.equal(page.status, 401);
    assert.ok(alertText(page.text), 'the form shows an error');
  }
  const done = await browser.follow(
    await browser.post(
      formAction(page.text),
      { ...hiddenInputs(page.text), username, password: PASSWORD },
      page.url,
    ),
    REDIRECT_URI,
  );
  assert.ok(
    done.location?.startsWith(REDIRECT_URI),
    `redirected to the app: ${done.status} ${done.text.slice(0, 300)}`,
  );
  const code = new URL(done.location!).searchParams.get('code');
  assert.ok(code, 'the redirect carries a code');
  const redeem = () =>
    oidc.authorizationCodeGrant(config, new URL(done.location!), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      idTokenExpected: true,
    });
  return { code, loginPage, redeem };
}

/**
 * Signs in through the built-in demo app: /demo/login, the sign-in page, the provider's redirect to
 * /demo/callback?code=... (a request to this server that carries the code), then /demo.
 */
async function demoSignIn(base: string, username: string) {
  const b = new Browser();
  const toLogin = await b.get(`${base}/demo/login`);
  assert.equal(toLogin.status, 302);
  const login = await b.follow(toLogin);
  assert.equal(login.status, 200);
  assert.match(login.text, /name="password"/);
  const seen: string[] = [];
  let code: string | undefined;
  let r = await b.post(
    formAction(login.text),
    { ...hiddenInputs(login.text), username, password: PASSWORD },
    login.url,
  );
  for (let i = 0; i < 10 && r.location; i++) {
    const next = new URL(r.location);
    seen.push(next.pathname);
    if (next.pathname === '/demo/callback') code = next.searchParams.get('code') ?? undefined;
    r = await b.get(r.location);
  }
  assert.ok(code, `went through the callback with a code: ${seen.join(' -> ')}`);
  return { page: r, code };
}

function assertPageHeaders(r: Resp, what: string) {
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(r.headers.get('x-frame-options'), 'DENY', what);
  assert.ok(r.headers.get('referrer-policy'), `${what}: Referrer-Policy`);
  const csp = r.headers.get('content-security-policy');
  assert.ok(csp, `${what}: Content-Security-Policy`);
  assert.doesNotMatch(csp, /unsafe-inline/, what);
  assert.doesNotMatch(csp, /unsafe-eval/, what);
  assert.match(csp, /default-src 'none'/, what);
  assert.match(csp, /frame-ancestors 'none'/, what);
  // With no 'unsafe-inline' an inline script would not run anyway; our pages must not rely on one.
  // (A JSON data block is not script, and the CSP does not apply to it.)
  assert.doesNotMatch(
    r.text,
    /<script(?![^>]*\b(?:src=|type="application\/json"))[^>]*>/,
    `${what}: no inline script`,
  );
}

describe(`operations: health, metrics, headers, logs, demo (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let web: { clientId: string; secret?: string };
  let dora: { id: string };

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    // Sign-ins here are about operations: no "More information required" step after the password.
    await setPolicy(srv, 'registrationRequired', false);
    dora = await addUserViaCli(srv, 'dora', PASSWORD, ['--name', 'Dora Explorer']);
    web = await addClientViaCli(srv, ['ops-web', '--redirect-uri', REDIRECT_URI, '--first-party']);
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  it('/healthz answers 200 JSON', async () => {
    const res = await fetch(`${srv.url}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('/readyz answers 200 with no pending migrations', async () => {
    const res = await fetch(`${srv.url}/readyz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; pendingMigrations: number };
    assert.equal(body.pendingMigrations, 0);
    assert.equal(body.status, 'ready');
  });

  it('echoes a valid X-Request-Id and generates one otherwise', async () => {
    const mine = 'req-1234abcd.test_ID';
    let res = await fetch(`${srv.url}/healthz`, { headers: { 'x-request-id': mine } });
    assert.equal(res.headers.get('x-request-id'), mine);

    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    res = await fetch(`${srv.url}/healthz`);
    const generated = res.headers.get('x-request-id') ?? '';
    assert.match(generated, uuid);

    for (const bad of [
      'short',
      'has spaces in it',
      'x'.repeat(65),
      'inject\u0007bell1234',
      '<script>alert(1)</script>',
    ]) {
      res = await fetch(`${srv.url}/healthz`, {
        headers: { 'x-request-id': bad.replace(/[^\x20-\x7e]/g, '?') },
      });
      const got = res.headers.get('x-request-id') ?? '';
      assert.match(got, uuid, `"${bad}" is replaced`);
      assert.notEqual(got, generated, 'a fresh id per request');
    }
  });

  it('sets security headers, and a CSP without unsafe-inline on our HTML pages', async () => {
    const b = new Browser();
    const home = await b.get(`${srv.url}/`);
    assert.equal(home.status, 200);
    assertPageHeaders(home, 'home page');

    const { loginPage } = await signInThroughPages(srv.issuer, web, 'dora');
    assertPageHeaders(loginPage, 'sign-in page');

    const error = await b.get(`${srv.url}/interaction/not-a-real-interaction-uid`);
    assert.equal(error.status, 400);
    assertPageHeaders(error, 'error page');

    const health = await b.get(`${srv.url}/healthz`);
    assert.equal(health.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(health.headers.get('x-frame-options'), 'DENY');
    assert.ok(health.headers.get('referrer-policy'));
  });

  it("the provider's JSON endpoints (the direct path) carry the same headers and request ids as pages", async () => {
    const home = await fetch(`${srv.url}/healthz`);
    const expected = [
      'x-content-type-options',
      'x-frame-options',
      'referrer-policy',
      'content-security-policy',
    ]
      .concat(['cross-origin-opener-policy', 'permissions-policy'])
      .map((h) => [h, home.headers.get(h)]);
    const mine = 'direct-path-1234';
    const requests: Array<[string, RequestInit]> = [
      ['/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) }],
      ['/token/introspection', { method: 'POST', body: new URLSearchParams({ token: 'x' }) }],
      ['/token/revocation', { method: 'POST', body: new URLSearchParams({ token: 'x' }) }],
      ['/jwks', {}],
      ['/.well-known/openid-configuration', {}],
    ];
    for (const [path, init] of requests) {
      const res = await fetch(`${srv.url}${path}`, { ...init, headers: { 'x-request-id': mine } });
      await res.arrayBuffer();
      assert.ok(res.status < 500, `${path}: ${res.status}`);
      for (const [h, v] of expected) assert.equal(res.headers.get(h as string), v, `${path}: ${h}`);
      assert.equal(res.headers.get('x-request-id'), mine, `${path}: the request id is echoed`);
    }
    // The same address with a query string takes the pipeline: a control character is refused there.
    const refused = await fetch(`${srv.url}/token?x=%01`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get('x-content-type-options'), 'nosniff');
  });

  it('the landing page links to discovery, the portal, the reset flow and (in development) the demo', async () => {
    const res = await new Browser().get(`${srv.url}/`);
    assert.equal(res.status, 200);
    const hrefs = [...res.text.matchAll(/<a [^>]*href="([^"]*)"/g)].map((m) => decodeEntities(m[1]));
    for (const h of ['/.well-known/openid-configuration', '/my/security-info', '/reset', '/demo']) {
      assert.ok(hrefs.includes(h), `links to ${h}: ${hrefs.join(' ')}`);
    }
  });

  it('in production the landing page has no demo link and /demo is not served', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const config = loadConfig({
      NODE_ENV: 'production',
      ISSUER: `http://localhost:${port}`,
      PORT: String(port),
      SECRET_KEY: TEST_SECRET,
      LOG_LEVEL: 'silent',
    });
    const app = await createApp({
      config,
      db: tdb.db,
      box: new SecretBox(config.secretKey!),
      logger: createLogger('silent'),
    });
    server.on('request', app.handler);
    try {
      const b = new Browser();
      const home = await b.get(`http://localhost:${port}/`);
      assert.equal(home.status, 200);
      assert.match(home.text, /href="\/reset"/);
      assert.doesNotMatch(home.text, /href="\/demo"/);
      const demo = await b.get(`http://localhost:${port}/demo`);
      assert.equal(demo.status, 404);
    } finally {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('/metrics counts requests by route, sign-ins by result and tokens by grant', async () => {
    // A server of its own, so that the counts are exactly what this test did.
    const m = await startTestServer({ db: tdb.db });
    try {
      const health = await fetch(`${m.url}/healthz`);
      assert.equal(health.status, 200);
      let text = await metricsText(m.url);
      assert.match(text, /^# TYPE tobira_http_requests_total counter$/m);
      assert.equal(
        sample(text, 'tobira_http_requests_total', { route: '/healthz', method: 'GET', status: '200' }),
        1,
      );
      assert.equal(sample(text, 'tobira_sign_ins_total', { result: 'failed' }), undefined, 'no sign-in yet');

      await signInThroughPages(m.issuer, web, 'dora', { wrongFirst: true });
      text = await metricsText(m.url);
      assert.ok(text.includes('\ntobira_sign_ins_total{result="failed"} 1\n'), 'one failed sign-in');
      assert.ok(text.includes('\ntobira_sign_ins_total{result="succeeded"} 1\n'), 'one successful sign-in');
      // The failed post answers 303 (post/redirect/get); the page it leads to says 401.
      assert.equal(
        sample(text, 'tobira_http_requests_total', {
          route: '/interaction/:uid/login',
          method: 'POST',
          status: '303',
        }),
        1,
      );
      assert.equal(
        sample(text, 'tobira_http_requests_total', {
          route: '/interaction/:uid',
          method: 'GET',
          status: '401',
        }),
        1,
      );
      assert.ok(
        sample(text, 'tobira_http_requests_total', { route: 'authorization', method: 'GET' }),
        'authorization route label',
      );

      const machine = await addClientViaCli(m, [
        'ops-machine',
        '--grant-type',
        'client_credentials',
        '--admin',
      ]);
      const config = await discover(m.issuer, machine.clientId, machine.secret);
      const cc = await oidc.clientCredentialsGrant(config, { scope: 'admin' });
      assert.ok(cc.access_token);
      text = await metricsText(m.url);
      assert.ok(
        text.includes('\ntobira_tokens_issued_total{grant="client_credentials"} 1\n'),
        'one client-credentials grant',
      );
      assert.equal(
        sample(text, 'tobira_http_requests_total', { route: 'token', method: 'POST', status: '200' }),
        1,
      );
    } finally {
      await m.stop();
    }
  });

  it('logs requests but never the password or the authorization code', async () => {
    const chunks: string[] = [];
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const issuer = `http://localhost:${port}`;
    const config = loadConfig({
      ISSUER: issuer,
      PORT: String(port),
      SECRET_KEY: TEST_SECRET,
      LOG_LEVEL: 'info',
    });
    const app = await createApp({
      config,
      db: tdb.db,
      box: new SecretBox(config.secretKey!),
      logger: createLogger('info', { write: (s: string) => void chunks.push(s) }),
    });
    app.setLocalUrl(`http://127.0.0.1:${port}`);
    server.on('request', app.handler);
    try {
      const { code, redeem } = await signInThroughPages(issuer, web, 'dora', { wrongFirst: true });
      const tokens = await redeem();
      assert.equal(tokens.claims()?.sub, dora.id);
      // The demo app's callback is a request to this server with the code in its query string.
      const demo = await demoSignIn(issuer, 'dora');
      assert.equal(demo.page.status, 200);

      const log = chunks.join('');
      const lines = log
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; path?: string; status?: number; requestId?: string });
      const requests = lines.filter((l) => l.msg === 'request');
      assert.ok(
        requests.some((l) => l.path === '/token' && l.status === 200),
        'the token request is logged',
      );
      assert.ok(requests.some((l) => /^\/interaction\/[^/]+\/login$/.test(l.path ?? '') && l.status === 303));
      assert.ok(requests.some((l) => /^\/interaction\/[^/]+$/.test(l.path ?? '') && l.status === 401));
      assert.ok(
        requests.some((l) => /^\/auth\//.test(l.path ?? '')),
        'the redirect with the code is logged',
      );
      assert.ok(requests.every((l) => typeof l.requestId === 'string'));

      assert.ok(!log.includes(PASSWORD), 'no password');
      assert.ok(!log.includes(WRONG), 'not even a wrong password');
      assert.ok(
        requests.some((l) => l.path?.startsWith('/demo/callback')),
        'the callback request is logged',
      );
      assert.ok(!log.includes(code), 'no authorization code');
      assert.ok(!log.includes(demo.code), 'no authorization code from the callback URL');
      assert.ok(!log.includes('code='), 'no query string with a code');
      assert.ok(!log.includes(web.secret!), 'no client secret');
      assert.ok(!log.includes(tokens.access_token), 'no access token');
    } finally {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('the /demo app signs a user in and shows the claims', async () => {
    // Started last, so that the built-in demo client's redirect URI points at this server.
    const d = await startTestServer({ db: tdb.db });
    try {
      const b = new Browser();
      const start = await b.get(`${d.url}/demo`);
      assert.equal(start.status, 200);
      assert.match(start.text, /href="\/demo\/login"/);

      const { page: r } = await demoSignIn(d.url, 'dora');
      assert.equal(new URL(r.url).pathname, '/demo');
      assert.equal(r.status, 200);
      assertPageHeaders(r, 'demo page');
      const claimsBlock = /<pre class="claims">([\s\S]*?)<\/pre>/.exec(r.text);
      assert.ok(claimsBlock, 'the page shows the claims');
      const claims = JSON.parse(decodeEntities(claimsBlock[1])) as Record<string, unknown>;
      assert.equal(claims.preferred_username, 'dora');
      assert.equal(claims.sub, dora.id);
      assert.equal(claims.iss, d.issuer);
      assert.equal(claims.aud, 'tobira-demo');
    } finally {
      await d.stop();
    }
  });
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { translator } from '../../src/i18n/index.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import { findUserByLogin } from '../../src/store/users.ts';
import { alertText, Browser, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  addClientViaCli,
  addUserViaCli,
  discover,
  REDIRECT_URI,
  StepFlow,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * Pages and endpoints: a CSP on every page, the provider's own included (they bypass Koa's
 * middleware); the policy's phone countries at every send; /metrics behind a token or loopback.
 */

/** The directives of a CSP header, by name. */
function csp(header: string | null): Record<string, string[]> {
  assert.ok(header, 'a Content-Security-Policy header is set');
  const out: Record<string, string[]> = {};
  for (const d of header.split(';')) {
    const [name, ...values] = d.trim().split(/\s+/);
    if (name) out[name] = values;
  }
  return out;
}

/** The strict policy: nothing inline, nothing from elsewhere, no framing. */
function assertStrict(header: string | null, where: string) {
  const c = csp(header);
  assert.deepEqual(c['default-src'], ["'none'"], where);
  assert.equal(c['script-src']?.[0], "'self'", where);
  assert.deepEqual(c['style-src'], ["'self'"], where);
  assert.deepEqual(c['frame-ancestors'], ["'none'"], where);
  assert.ok(!(header ?? '').includes('unsafe-inline'), `${where}: no unsafe-inline`);
  assert.ok(!(header ?? '').includes('unsafe-eval'), `${where}: no unsafe-eval`);
  return c;
}

describe(`pages and endpoints (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const en = translator('en');

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({
      db: tdb.db,
      clock,
      env: { METRICS_TOKEN: 'metrics-token-0123456789abcdef' },
    });
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'csp-user', password);
    await addUserViaCli(srv, 'jp-phone', password);
    const u = (await findUserByLogin(tdb.db, 'jp-phone'))!;
    await insertCredential(
      tdb.db,
      u.id,
      { kind: 'phone', label: '', data: { e164: '+819023456711', country: 'JP', type: 'mobile' } },
      clock.now(),
    );
    const c = await addClientViaCli(srv, ['csp-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  it('the provider’s 404, error and logout pages carry the strict CSP', async () => {
    for (const path of [
      '/no-such-page',
      '/auth?client_id=no-such-client&response_type=code&scope=openid',
      '/session/end',
      '/token',
      '/.well-known/openid-configuration',
    ]) {
      const r = await fetch(`${srv.url}${path}`);
      assert.ok(r.status < 500, `${path}: ${r.status}`);
      assertStrict(r.headers.get('content-security-policy'), path);
      const body = await r.text();
      if ((r.headers.get('content-type') ?? '').startsWith('text/html')) {
        // An inline script runs only when the CSP names its hash (the provider's auto-submitting forms).
        const c = csp(r.headers.get('content-security-policy'));
        for (const m of body.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)) {
          const hash = `'sha256-${crypto.createHash('sha256').update(m[1]).digest('base64')}'`;
          assert.ok(c['script-src'].includes(hash), `${path}: the inline script's hash is allowed`);
        }
        assert.doesNotMatch(body, /\sstyle="/, `${path}: no inline style`);
      }
    }
  });

  it('the provider’s form_post page runs only its own script, allowed by its hash', async () => {
    const f = await StepFlow.start(config, { response_mode: 'form_post' });
    const r = await f.submit({ username: 'csp-user', password });
    assert.equal(r.status, 200);
    assert.match(r.text, /<form method="post" action="http:\/\/127\.0\.0\.1:9\/callback">/);
    const c = assertStrict(r.headers.get('content-security-policy'), 'form_post');
    const scripts = [...r.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 1);
    const hash = `'sha256-${crypto.createHash('sha256').update(scripts[0]).digest('base64')}'`;
    assert.deepEqual(c['script-src'], ["'self'", hash], 'exactly self and the hash of that one script');
    // Signed in now: the provider's logout confirmation (our template through logoutSource).
    const lo = await f.br.get('/session/end', srv.issuer);
    assert.equal(lo.status, 200);
    assert.match(lo.text, new RegExp(en('logout.confirm')));
    assertStrict(lo.headers.get('content-security-policy'), 'logout page');
    assert.doesNotMatch(lo.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  });

  it('every Tobira page carries the strict CSP', async () => {
    const br = new Browser();
    const f = await StepFlow.start(config, {}, br);
    assertStrict(f.page.headers.get('content-security-policy'), 'sign-in page');
    for (const path of ['/', '/reset', '/my/', '/admin/', '/demo', '/dev/outbox', '/lang/xx']) {
      const r = await br.get(path, srv.issuer);
      assert.ok(r.status < 500, `${path}: ${r.status}`);
      assertStrict(r.headers.get('content-security-policy'), path);
    }
  });

  it('a phone country removed from the policy after enrolment gets no more codes', async () => {
    const texts = async () =>
      Number((await tdb.db('outbox').where({ channel: 'sms' }).count({ n: '*' }))[0].n);
    // Allowed (the organization's country, JP): the sign-in sends a text.
    let f = await StepFlow.start(config);
    await f.submit({ username: 'jp-phone', password });
    assert.equal(await texts(), 0, 'nothing is sent before the user asks');
    await f.submit(); // "Text me a code"
    assert.equal(await texts(), 1);
    assert.match(alertText(f.page.text) ?? f.page.text, /\+81 ••• •••• 11/);

    await setPolicy(srv, 'allowedPhoneCountries', ['US']);
    f = await StepFlow.start(config);
    await f.submit({ username: 'jp-phone', password });
    await f.submit(); // "Text me a code"
    assert.equal(alertText(f.page.text), en('phone.countryNotAllowed'));
    // Asking again (resend) is refused too; nothing left.
    const resend = await f.br.post(
      `${new URL(f.page.url).pathname}`,
      { ...hiddenInputs(f.page.text), resend: 'sms' },
      srv.issuer,
    );
    assert.ok(resend.status < 500);
    assert.equal(await texts(), 1, 'no text went to the removed country');
    await setPolicy(srv, 'allowedPhoneCountries', []);
  });

  it('/metrics with METRICS_TOKEN requires it as a bearer token', async () => {
    const none = await fetch(`${srv.url}/metrics`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    assert.ok(!(await none.text()).includes('tobira_http_requests_total'));
    for (const auth of ['Bearer wrong-token-0123456789abcdef', 'Basic bWV0cmljczp4', 'Bearer ']) {
      const r = await fetch(`${srv.url}/metrics`, { headers: { authorization: auth } });
      assert.equal(r.status, 401, auth);
    }
    const ok = await fetch(`${srv.url}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-0123456789abcdef' },
    });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /tobira_http_requests_total/);
  });

  it('/metrics without a token answers only this machine; a forwarded remote client is refused', async () => {
    const local = await startTestServer({ db: tdb.db, clock, env: { TRUST_PROXY: '1' } });
    try {
      const direct = await fetch(`${local.url}/metrics`);
      assert.equal(direct.status, 200);
      await direct.text();
      const remote = await fetch(`${local.url}/metrics`, {
        headers: { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' },
      });
      assert.equal(remote.status, 403);
      assert.equal(alertText(await remote.text()), en('error.localOnly'));
    } finally {
      await local.stop();
    }
  });
});

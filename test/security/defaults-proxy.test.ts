import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { clientIp, isLocalRequest, isLoopback } from '../../src/http/client.ts';
import { translator } from '../../src/i18n/index.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import { findUserByLogin } from '../../src/store/users.ts';
import { alertText, Browser, type Resp } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startAppendingProxy } from '../helpers/proxy.ts';
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
 * TRUST_PROXY: the client IP used by the per-IP limits and the audit log is the address a trusted
 * proxy wrote, never one the client wrote itself; and a forwarded address can never make a remote
 * client look local (the development outbox, /metrics).
 */

const proxyOf = (v: string) => loadConfig({ TRUST_PROXY: v }).proxy;

describe('the client IP under TRUST_PROXY', () => {
  it('parses the setting: false, true (= 1 hop), a hop count, header:NAME; refuses anything else', () => {
    assert.deepEqual(proxyOf(''), { kind: 'none' });
    assert.deepEqual(proxyOf('false'), { kind: 'none' });
    assert.deepEqual(proxyOf('0'), { kind: 'none' });
    assert.deepEqual(proxyOf('true'), { kind: 'hops', hops: 1 });
    assert.deepEqual(proxyOf('1'), { kind: 'hops', hops: 1 });
    assert.deepEqual(proxyOf('2'), { kind: 'hops', hops: 2 });
    assert.deepEqual(proxyOf('header:X-Real-IP'), { kind: 'header', header: 'x-real-ip' });
    for (const bad of ['maybe', '21', '-1', 'header:', 'header:X Real', '1.5']) {
      assert.throws(() => loadConfig({ TRUST_PROXY: bad }), /TRUST_PROXY: expected false, true/, bad);
    }
  });

  it('behind N proxies takes the N-th X-Forwarded-For entry from the right, whatever the client prepended', () => {
    const forged = { 'x-forwarded-for': '127.0.0.1, 198.51.100.7, 203.0.113.9' };
    assert.equal(clientIp('10.0.0.2', forged, { kind: 'none' }), '10.0.0.2', 'no proxy: the socket');
    assert.equal(clientIp('10.0.0.2', forged, { kind: 'hops', hops: 1 }), '203.0.113.9');
    assert.equal(clientIp('10.0.0.2', forged, { kind: 'hops', hops: 2 }), '198.51.100.7');
    // Repeated header lines count as one list, in order.
    assert.equal(
      clientIp('10.0.0.2', { 'x-forwarded-for': ['1.1.1.1', '203.0.113.9'] } as never, {
        kind: 'hops',
        hops: 1,
      }),
      '203.0.113.9',
    );
    // Fewer entries than hops: the request passed fewer proxies; the leftmost is the client.
    assert.equal(
      clientIp('10.0.0.2', { 'x-forwarded-for': '203.0.113.9' }, { kind: 'hops', hops: 2 }),
      '203.0.113.9',
    );
    // No header, or garbage where a trusted proxy should have written: the socket.
    assert.equal(clientIp('10.0.0.2', {}, { kind: 'hops', hops: 1 }), '10.0.0.2');
    assert.equal(
      clientIp('10.0.0.2', { 'x-forwarded-for': 'a, not-an-ip' }, { kind: 'hops', hops: 1 }),
      '10.0.0.2',
    );
    assert.equal(
      clientIp('10.0.0.2', { 'x-forwarded-for': '[2001:db8::1]' }, { kind: 'hops', hops: 1 }),
      '2001:db8::1',
    );
    // A named header: its (rightmost) value; X-Forwarded-For is then ignored.
    const h = { kind: 'header', header: 'x-real-ip' } as const;
    assert.equal(clientIp('10.0.0.2', { ...forged, 'x-real-ip': '203.0.113.50' }, h), '203.0.113.50');
    assert.equal(clientIp('10.0.0.2', forged, h), '10.0.0.2');
  });

  it('counts as local only a loopback socket, and with a proxy only a loopback client as well', () => {
    for (const a of [
      '127.0.0.1',
      '127.0.0.2',
      '127.255.255.254',
      '::1',
      '::ffff:127.0.0.1',
      '0:0:0:0:0:0:0:1',
    ])
      assert.equal(isLoopback(a), true, a);
    for (const a of ['10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', '', undefined, 'localhost'])
      assert.equal(isLoopback(a), false, String(a));
    const none = { kind: 'none' } as const;
    const one = { kind: 'hops', hops: 1 } as const;
    assert.equal(isLocalRequest('127.0.0.1', '127.0.0.1', none), true);
    assert.equal(isLocalRequest('10.0.0.5', '10.0.0.5', none), false, 'a remote socket');
    // A remote socket that claims to forward for 127.0.0.1 stays remote.
    assert.equal(
      isLocalRequest('10.0.0.5', clientIp('10.0.0.5', { 'x-forwarded-for': '127.0.0.1' }, one), one),
      false,
    );
    // A proxy on this machine forwarding a remote client: the client is remote.
    assert.equal(isLocalRequest('127.0.0.1', '203.0.113.9', one), false);
    assert.equal(isLocalRequest('127.0.0.1', '127.0.0.1', one), true);
  });
});

describe(`TRUST_PROXY over HTTP (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let proxy: Awaited<ReturnType<typeof startAppendingProxy>>;
  let config: oidc.Configuration;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const t = translator('en');

  /** A browser whose every request carries a new forged X-Forwarded-For, as a limit-dodging client would send. */
  class ForgingBrowser extends Browser {
    n = 0;
    override request(
      method: string,
      url: string,
      opts: Parameters<Browser['request']>[2] = {},
    ): Promise<Resp> {
      this.n++;
      const forged = `198.51.100.${this.n % 250}`;
      return super.request(method, url, { ...opts, headers: { 'x-forwarded-for': forged, ...opts.headers } });
    }
  }

  before(async () => {
    tdb = await createTestDatabase();
    proxy = await startAppendingProxy();
    // The public URL is the proxy's: every redirect leads the browser back through it.
    srv = await startTestServer({ db: tdb.db, clock, env: { ISSUER: proxy.url, TRUST_PROXY: '1' } });
    proxy.setTarget(srv.url);
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'phoneSendsPerIpPerHour', 2);
    for (let i = 1; i <= 3; i++) {
      await addUserViaCli(srv, `ip${i}`, password);
      const u = (await findUserByLogin(tdb.db, `ip${i}`))!;
      await insertCredential(
        tdb.db,
        u.id,
        { kind: 'phone', label: '', data: { e164: `+8190234567${10 + i}`, country: 'JP', type: 'mobile' } },
        clock.now(),
      );
    }
    const c = await addClientViaCli(srv, ['ip-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(proxy.url, c.clientId, c.secret);
  });
  after(async () => {
    await srv?.stop();
    await proxy?.stop();
    await tdb?.drop();
  });

  it('a client that forges the leftmost X-Forwarded-For on every request still hits the per-IP text limit', async () => {
    const texts = async () =>
      Number((await tdb.db('outbox').where({ channel: 'sms' }).count({ n: '*' }))[0].n);
    const outcomes: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const f = await StepFlow.start(config, {}, new ForgingBrowser());
      await f.submit({ username: `ip${i}`, password });
      // Codes go out only when asked for: press "Text me a code".
      assert.match(f.page.text, /Text me a code/);
      const page = await f.submit({});
      assert.equal(page.status < 500, true, `no server error: ${page.status}`);
      outcomes.push(alertText(page.text) ?? '');
    }
    // Three different accounts and numbers: only the per-IP limit (2 per hour) can refuse the third.
    assert.equal(await texts(), 2, 'two texts left, the third was refused');
    assert.equal(outcomes[2], t('phone.limitIp', { minutes: 60 }));
    // The audit log holds the address the proxy saw, never a forged one.
    const ips = await tdb.db('audit_events').whereNotNull('ip').distinct('ip').pluck('ip');
    assert.deepEqual(ips, ['127.0.0.1']);
  });

  it('/dev/outbox answers the machine itself, and a forwarded remote client never, whatever it claims', async () => {
    const direct = await fetch(`${srv.url}/dev/outbox.json`);
    assert.equal(direct.status, 200, 'a local client (no proxy in between)');
    // Through the proxy on this machine, claiming to be 127.0.0.1: the proxy appends its peer, which
    // here is loopback, so this one is local too...
    const viaProxy = await fetch(`${proxy.url}/dev/outbox.json`, {
      headers: { 'x-forwarded-for': '127.0.0.1' },
    });
    assert.equal(viaProxy.status, 200);
    // ...but a remote client the proxy forwarded (its address appended last) is refused, even when it
    // put 127.0.0.1 first.
    for (const xff of ['203.0.113.9', '127.0.0.1, 203.0.113.9', '::1, 2001:db8::9']) {
      const r = await fetch(`${srv.url}/dev/outbox.json`, { headers: { 'x-forwarded-for': xff } });
      assert.equal(r.status, 403, xff);
      const body = await r.text();
      assert.ok(!body.includes('+8190'), 'no message leaks');
      assert.match(body, new RegExp(t('error.localOnly').replace(/\./g, '\\.')));
    }
    const ja = await fetch(`${srv.url}/dev/outbox`, {
      headers: { 'x-forwarded-for': '203.0.113.9', 'accept-language': 'ja' },
    });
    assert.equal(ja.status, 403);
    assert.match(await ja.text(), new RegExp(translator('ja')('error.localOnly').replace(/\./g, '\\.')));
  });
});

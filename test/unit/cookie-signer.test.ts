import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import { CookieSigner } from '../../src/oidc/cookie-signer.ts';

/**
 * The provider's cookie signatures (oidc/cookie-signer.ts) are Keygrip's, Koa's default: a cookie set
 * by either is read by the other, through Koa's own cookie handling, in both directions and across a
 * key rotation; and a cookie whose value or signature was changed is never read.
 */
describe('provider cookie signatures', () => {
  const servers: import('node:http').Server[] = [];

  /** A Koa app with these keys: GET /set?v= sets a signed cookie, GET /get reads it. */
  async function app(keys: string[] | CookieSigner): Promise<string> {
    const k = new Koa();
    k.keys = keys as string[];
    k.use(async (ctx) => {
      if (ctx.path === '/set') ctx.cookies.set('c', String(ctx.query.v), { signed: true });
      ctx.body = { value: ctx.cookies.get('c', { signed: true }) ?? null };
    });
    const server = k.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** The `name=value` pairs a response set. */
  async function cookiesSetBy(url: string): Promise<string> {
    const res = await fetch(url);
    return res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  }
  async function read(url: string, cookie: string): Promise<string | null> {
    const res = await fetch(`${url}/get`, { headers: { cookie } });
    return ((await res.json()) as { value: string | null }).value;
  }

  let keygrip: string;
  let ours: string;
  let rotatedKeygrip: string;
  let rotatedOurs: string;
  let stranger: string;
  before(async () => {
    keygrip = await app(['key-one', 'key-old']);
    ours = await app(new CookieSigner(['key-one', 'key-old']));
    // After a rotation: a new key signs, the one before still verifies.
    rotatedKeygrip = await app(['key-new', 'key-one']);
    rotatedOurs = await app(new CookieSigner(['key-new', 'key-one']));
    stranger = await app(new CookieSigner(['someone-else']));
  });
  after(() => {
    for (const s of servers) s.close();
  });

  it('signs as Keygrip does: each reads what the other set', async () => {
    const byKeygrip = await cookiesSetBy(`${keygrip}/set?v=hello`);
    const byOurs = await cookiesSetBy(`${ours}/set?v=hello`);
    assert.equal(byOurs, byKeygrip, 'the same cookie and signature');
    assert.equal(await read(ours, byKeygrip), 'hello');
    assert.equal(await read(keygrip, byOurs), 'hello');
  });

  it('reads a cookie signed with an older key after a rotation, and signs with the new one', async () => {
    const before = await cookiesSetBy(`${ours}/set?v=kept`);
    assert.equal(await read(rotatedOurs, before), 'kept');
    assert.equal(await read(rotatedKeygrip, before), 'kept');
    assert.equal(
      await cookiesSetBy(`${rotatedOurs}/set?v=new`),
      await cookiesSetBy(`${rotatedKeygrip}/set?v=new`),
    );
  });

  it('attack: a changed value, a changed or cut signature, a missing one or another key: never read', async () => {
    const good = await cookiesSetBy(`${ours}/set?v=alice`);
    const sig = /c\.sig=([^;]+)/.exec(good)?.[1] ?? '';
    assert.equal(sig.length, 27);
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    for (const forged of [
      good.replace('c=alice', 'c=admin'),
      good.replace(`c.sig=${sig}`, `c.sig=${flip(sig)}`),
      good.replace(`c.sig=${sig}`, `c.sig=${sig.slice(0, 26)}`),
      good.replace(`c.sig=${sig}`, `c.sig=${sig}AAAA`),
      good.replace(`; c.sig=${sig}`, ''),
      good.replace(`c.sig=${sig}`, 'c.sig='),
    ]) {
      assert.equal(await read(ours, forged), null, forged);
    }
    assert.equal(await read(stranger, good), null, 'signed with a key it does not have');
  });

  it('refuses to be made without a key', () => {
    assert.throws(() => new CookieSigner([]));
  });
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { createPow, POW_FIELD, POW_TTL_MS, type Pow } from '../../src/security/pow.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { solvePow } from '../helpers/pow.ts';

const decode = (payload: string) => JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/** The same payload with one thing changed. */
function tamper(payload: string, change: (p: any) => void): string {
  const p = decode(payload);
  change(p);
  return encode(p);
}

/** Flips the last hex digit of a string of hex digits. */
const flipHex = (s: string) => s.slice(0, -1) + (s.endsWith('0') ? '1' : '0');

describe(`proof of work (${backendName})`, () => {
  let tdb: TestDatabase;
  let clock: ManualClock;
  let box: SecretBox;
  let pow: Pow;

  before(async () => {
    tdb = await createTestDatabase();
    clock = new ManualClock();
    box = new SecretBox(crypto.randomBytes(32));
    pow = createPow({ box, db: tdb.db, clock });
  });
  after(async () => {
    await tdb.drop();
  });

  it('issues a signed PBKDF2 challenge that expires ten minutes after the injected clock', async () => {
    const c = JSON.parse(await pow.challenge());
    assert.equal(c.parameters.algorithm, 'PBKDF2/SHA-256');
    assert.equal(c.parameters.data.expires, clock.now().getTime() + POW_TTL_MS);
    assert.equal(c.parameters.expiresAt, undefined, 'no wall-clock expiry for the library to check');
    assert.match(c.signature, /^[0-9a-f]{64}$/);
    assert.equal(POW_FIELD, 'altcha');
    const other = JSON.parse(await pow.challenge());
    assert.notEqual(other.parameters.nonce, c.parameters.nonce);
    assert.notEqual(other.signature, c.signature);
  });

  it('accepts a really solved challenge once; the same payload again is a replay', async () => {
    const payload = await solvePow(await pow.challenge());
    assert.equal(await pow.verify(payload), true);
    assert.equal(await pow.verify(payload), false);
    const sig = decode(payload).challenge.signature;
    const row = await tdb.db('pow_redemptions').where({ signature: sig }).first();
    assert.ok(row, 'the used signature is recorded');
    assert.equal(new Date(row.expires_at).getTime(), clock.now().getTime() + POW_TTL_MS);
  });

  it('a replay on another instance (another pool, another Pow) is refused too, even concurrently', async () => {
    const payload = await solvePow(await pow.challenge());
    const otherDb = usingPostgres ? tdb.connect() : tdb.db;
    const other = createPow({ box, db: otherDb, clock });
    const results = await Promise.all([pow, other, pow, other, pow, other].map((p) => p.verify(payload)));
    assert.equal(results.filter(Boolean).length, 1, `exactly one use wins: ${results}`);
    assert.equal(await other.verify(payload), false);
  });

  it('refuses tampered payloads (counter, derived key, signature, salt, nonce, expiry) and still accepts the genuine one', async () => {
    const payload = await solvePow(await pow.challenge());
    const tampered = {
      counterUp: tamper(payload, (p) => {
        p.solution.counter += 1;
      }),
      counterDown: tamper(payload, (p) => {
        p.solution.counter -= 1;
      }),
      derivedKey: tamper(payload, (p) => {
        p.solution.derivedKey = flipHex(p.solution.derivedKey);
      }),
      signature: tamper(payload, (p) => {
        p.challenge.signature = flipHex(p.challenge.signature);
      }),
      noSignature: tamper(payload, (p) => {
        delete p.challenge.signature;
      }),
      salt: tamper(payload, (p) => {
        p.challenge.parameters.salt = flipHex(p.challenge.parameters.salt);
      }),
      nonce: tamper(payload, (p) => {
        p.challenge.parameters.nonce = flipHex(p.challenge.parameters.nonce);
      }),
      longerExpiry: tamper(payload, (p) => {
        p.challenge.parameters.data.expires += 3600_000;
      }),
      cheaperCost: tamper(payload, (p) => {
        p.challenge.parameters.cost = 1;
      }),
    };
    for (const [what, bad] of Object.entries(tampered)) {
      assert.equal(await pow.verify(bad), false, `tampered ${what} must be refused`);
    }
    // Refusals record nothing: the untouched payload still passes, once.
    assert.equal(await pow.verify(payload), true);
    assert.equal(await pow.verify(payload), false);
  });

  it('refuses a challenge signed under another instance secret', async () => {
    const stranger = createPow({ box: new SecretBox(crypto.randomBytes(32)), db: tdb.db, clock });
    const payload = await solvePow(await stranger.challenge());
    assert.equal(await pow.verify(payload), false);
    assert.equal(await stranger.verify(payload), true, 'the same payload is fine where it was issued');
  });

  it('refuses a solution after the challenge expired on the injected clock', async () => {
    const fresh = await solvePow(await pow.challenge());
    const stale = await solvePow(await pow.challenge());
    clock.advance(9 * 60_000);
    assert.equal(await pow.verify(fresh), true, 'nine minutes on, still valid');
    clock.advance(2 * 60_000);
    assert.equal(await pow.verify(stale), false, 'eleven minutes on, expired');
  });

  it('clears used signatures long past their expiry, and only those', async () => {
    const old = await solvePow(await pow.challenge());
    assert.equal(await pow.verify(old), true);
    const oldSig = decode(old).challenge.signature;
    clock.advance(2 * 3600_000);
    const recent = await solvePow(await pow.challenge());
    assert.equal(await pow.verify(recent), true);
    assert.equal(await tdb.db('pow_redemptions').where({ signature: oldSig }).first(), undefined);
    assert.ok(
      await tdb
        .db('pow_redemptions')
        .where({ signature: decode(recent).challenge.signature })
        .first(),
    );
  });

  it('returns false for garbage without throwing', async () => {
    const genuine = decode(await solvePow(await pow.challenge()));
    const garbage: unknown[] = [
      '',
      '{}',
      'not base64',
      'x'.repeat(1024 * 1024),
      Buffer.alloc(1024 * 1024, 'A').toString('base64'),
      encode({}),
      encode(null),
      encode([]),
      encode('altcha'),
      encode({ challenge: null, solution: null, test: true }), // the widget's test mode
      encode({ ...genuine, solution: { counter: '1', derivedKey: genuine.solution.derivedKey } }),
      encode({ ...genuine, solution: { counter: -1, derivedKey: genuine.solution.derivedKey } }),
      encode({ ...genuine, solution: { counter: 2 ** 40, derivedKey: genuine.solution.derivedKey } }),
      encode({ ...genuine, solution: { counter: genuine.solution.counter, derivedKey: 'zz' } }),
      encode({ ...genuine, solution: { counter: genuine.solution.counter, derivedKey: 'abc' } }),
      encode({
        challenge: {
          ...genuine.challenge,
          parameters: { ...genuine.challenge.parameters, algorithm: 'SHA-1' },
        },
        solution: genuine.solution,
      }),
      Buffer.from('{"challenge":').toString('base64'),
      Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64'),
      undefined,
      null,
      42,
      {},
      genuine, // the decoded object instead of the posted string
      ['a', 'b'],
    ];
    for (const g of garbage) {
      const label = typeof g === 'string' ? JSON.stringify(g.slice(0, 40)) : JSON.stringify(g)?.slice(0, 40);
      assert.equal(await pow.verify(g), false, `garbage ${label}`);
    }
    assert.equal(await pow.verify(encode(genuine)), true, 'the genuine payload is unaffected');
  });
});

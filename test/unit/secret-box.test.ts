import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { SecretBox } from '../../src/security/secrets.ts';

/**
 * The box keeps its purpose keys as KeyObjects for speed (issue 12). What it seals and signs must be
 * exactly what the raw derived key gives: values sealed and MACs made before that change (stored in
 * the database, in cookies, in forms in flight) stay valid, and one purpose never opens another's.
 */
describe('SecretBox', () => {
  const master = crypto.randomBytes(32);
  const box = new SecretBox(master);
  const raw = (purpose: string) =>
    Buffer.from(crypto.hkdfSync('sha256', master, Buffer.alloc(0), `tobira:${purpose}`, 32));

  it('signs with the raw derived key (MACs made before still verify)', () => {
    for (const data of ['', 'csrf seed', 'ユーザー', 'x'.repeat(10_000)]) {
      const expected = crypto.createHmac('sha256', raw('csrf')).update(data).digest('base64url');
      assert.equal(box.hmac('csrf', data), expected);
      assert.equal(box.hmac('csrf', data), expected, 'the cached key gives the same MAC');
      assert.notEqual(box.hmac('other', data), expected, 'another purpose signs differently');
    }
  });

  it('opens what the raw derived key sealed, and the raw key opens what it seals', () => {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', raw('totp'), iv);
    const ct = Buffer.concat([cipher.update('JBSWY3DPEHPK3PXP'), cipher.final()]);
    const sealedBefore = `v1.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
    assert.equal(box.decryptString('totp', sealedBefore), 'JBSWY3DPEHPK3PXP');

    const sealed = box.encrypt('totp', 'secret value');
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    const decipher = crypto.createDecipheriv('aes-256-gcm', raw('totp'), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    assert.equal(
      Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8'),
      'secret value',
    );
  });

  it('refuses a value sealed for another purpose, or tampered with', () => {
    const sealed = box.encrypt('totp', 'secret value');
    assert.throws(() => box.decrypt('phone', sealed));
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    bytes[bytes.length - 1] ^= 1;
    assert.throws(() => box.decrypt('totp', `v1.${bytes.toString('base64url')}`));
  });

  it('still hands out the raw key bytes (the proof-of-work HMAC secret)', () => {
    assert.deepEqual(box.key('altcha'), raw('altcha'));
  });
});

import crypto from 'node:crypto';

/**
 * Encryption at rest under the instance's SECRET_KEY (AES-256-GCM). Each purpose derives its own key
 * with HKDF so that a value encrypted for one purpose cannot be replayed as another.
 */
export class SecretBox {
  readonly #master: Buffer;
  readonly #keys = new Map<string, Buffer>();
  /**
   * The same keys as KeyObjects, for the cipher and the HMAC. On Node 24 a Buffer key costs each
   * createHmac/createCipheriv two exceptions thrown and caught inside node:crypto (its KeyObject and
   * CryptoKey brand checks), about 8 µs each call and more under a deep stack; a KeyObject passes the
   * first check at once (issue 12: three to four of them per sign-in page and post).
   */
  readonly #keyObjects = new Map<string, crypto.KeyObject>();

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('secret key must be 32 bytes');
    this.#master = masterKey;
  }

  key(purpose: string): Buffer {
    let k = this.#keys.get(purpose);
    if (!k) {
      k = Buffer.from(crypto.hkdfSync('sha256', this.#master, Buffer.alloc(0), `tobira:${purpose}`, 32));
      this.#keys.set(purpose, k);
    }
    return k;
  }

  #keyObject(purpose: string): crypto.KeyObject {
    let k = this.#keyObjects.get(purpose);
    if (!k) {
      k = crypto.createSecretKey(this.key(purpose));
      this.#keyObjects.set(purpose, k);
    }
    return k;
  }

  encrypt(purpose: string, plaintext: string | Buffer): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#keyObject(purpose), iv);
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
  }

  decrypt(purpose: string, sealed: string): Buffer {
    if (!sealed.startsWith('v1.')) throw new Error('unknown sealed format');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.#keyObject(purpose), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  }

  decryptString(purpose: string, sealed: string): string {
    return this.decrypt(purpose, sealed).toString('utf8');
  }

  hmac(purpose: string, data: string): string {
    return crypto.createHmac('sha256', this.#keyObject(purpose)).update(data).digest('base64url');
  }
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    crypto.timingSafeEqual(ab, ab);
    return false;
  }
  return crypto.timingSafeEqual(ab, bb);
}

export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

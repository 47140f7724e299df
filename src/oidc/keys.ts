import crypto from 'node:crypto';
import type { Db } from '../db/knex.ts';
import type { SecretBox } from '../security/secrets.ts';
import * as keyStore from '../store/keys.ts';
import { waitForXactLock } from '../store/locks.ts';

/** A retired signing key stays published long enough for everything it signed to expire. */
export const SIGNING_KEY_RETENTION_MS = 24 * 3600_000;
/** A retired cookie key keeps verifying cookies for as long as a session can live. */
export const COOKIE_KEY_RETENTION_MS = 14 * 24 * 3600_000;

const PURPOSE = 'signing-keys';
/** One active signing key per algorithm a client may choose for its ID tokens. */
const SIG_ALGS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;

function keyPair(alg: string) {
  if (alg === 'ES256') return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  if (alg === 'EdDSA') return crypto.generateKeyPairSync('ed25519');
  return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
}

export interface KeySet {
  jwks: { keys: crypto.JsonWebKey[] };
  cookieKeys: string[];
  fingerprint: string;
}

function generate(alg: string, box: SecretBox, now: Date): Omit<keyStore.KeyRow, 'retiredAt' | 'expiresAt'> {
  const kid = crypto.randomBytes(12).toString('base64url');
  let material: string;
  if (alg === 'cookie') {
    material = crypto.randomBytes(32).toString('base64url');
  } else {
    const { privateKey } = keyPair(alg);
    material = JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
  }
  return {
    kid,
    use: alg === 'cookie' ? 'cookie' : 'sig',
    alg,
    materialEncrypted: box.encrypt(PURPOSE, material),
    createdAt: now,
  };
}

/** Serializes key creation across instances (an advisory lock works in Postgres and PGlite alike). */
async function withKeyLock<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await waitForXactLock(trx, 7420010);
    return fn(trx as unknown as Db);
  });
}

/** Generates the first keys on first start; a no-op when they exist. */
export async function ensureKeys(db: Db, box: SecretBox, now: Date): Promise<void> {
  await withKeyLock(db, async (trx) => {
    const live = await keyStore.listLiveKeys(trx, now);
    const missing = [...SIG_ALGS, 'cookie'].filter((alg) => !live.some((k) => k.alg === alg && !k.retiredAt));
    if (missing.length)
      await keyStore.insertKeys(
        trx,
        missing.map((alg) => generate(alg, box, now)),
      );
  });
}

/** Adds new keys and retires the current ones, which stay published until what they signed expires. */
export async function rotateKeys(db: Db, box: SecretBox, now: Date): Promise<string[]> {
  return withKeyLock(db, async (trx) => {
    for (const alg of SIG_ALGS) {
      await keyStore.retireKeys(trx, 'sig', alg, now, new Date(now.getTime() + SIGNING_KEY_RETENTION_MS));
    }
    await keyStore.retireKeys(
      trx,
      'cookie',
      'cookie',
      now,
      new Date(now.getTime() + COOKIE_KEY_RETENTION_MS),
    );
    await keyStore.deleteExpiredKeys(trx, now);
    // Created a millisecond later than the retirement so that ordering by creation is unambiguous.
    const later = new Date(now.getTime() + 1);
    const fresh = [...SIG_ALGS, 'cookie'].map((alg) => generate(alg, box, later));
    await keyStore.insertKeys(trx, fresh);
    return fresh.filter((k) => k.use === 'sig').map((k) => k.kid);
  });
}

/** Active keys first (the provider signs with the first key of an algorithm), retired ones after. */
export async function loadKeySet(db: Db, box: SecretBox, now: Date): Promise<KeySet> {
  const live = await keyStore.listLiveKeys(db, now);
  const ordered = [...live.filter((k) => !k.retiredAt), ...live.filter((k) => k.retiredAt)];
  const jwks: crypto.JsonWebKey[] = [];
  const cookieKeys: string[] = [];
  for (const k of ordered) {
    const material = box.decryptString(PURPOSE, k.materialEncrypted);
    if (k.use === 'cookie') cookieKeys.push(material);
    else jwks.push(JSON.parse(material));
  }
  return { jwks: { keys: jwks }, cookieKeys, fingerprint: await keyStore.keysFingerprint(db) };
}

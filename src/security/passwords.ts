import argon2 from 'argon2';

/** OWASP's first argon2id configuration (m=19 MiB, t=2, p=1). */
export const ARGON2_PARAMS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export async function hashSecret(secret: string): Promise<string> {
  return argon2.hash(secret.normalize('NFC'), ARGON2_PARAMS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies against a PHC string. With no hash (unknown user, no password) it still spends one
 * verification so that timing does not tell whether the account exists.
 */
export async function verifySecret(hash: string | null | undefined, secret: string): Promise<boolean> {
  dummyHash ??= hashSecret('tobira-dummy-password');
  const target = hash ?? (await dummyHash);
  let ok = false;
  try {
    ok = await argon2.verify(target, secret.normalize('NFC'));
  } catch {
    ok = false;
  }
  return ok && hash != null;
}

/** The start of a hash made with ARGON2_PARAMS (argon2id, version 19): such a hash needs no rehash. */
const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2_PARAMS.memoryCost},p=${ARGON2_PARAMS.parallelism},t=${ARGON2_PARAMS.timeCost}$`;

export function needsRehash(hash: string): boolean {
  // Every sign-in asks; most hashes are current, and this answers them without parsing (issue 12).
  if (hash.startsWith(CURRENT_PREFIX)) return false;
  // argon2's own check compares the parameters only: another variant (argon2i, argon2d) becomes argon2id.
  if (!hash.startsWith('$argon2id$')) return true;
  try {
    return argon2.needsRehash(hash, ARGON2_PARAMS);
  } catch {
    return true;
  }
}

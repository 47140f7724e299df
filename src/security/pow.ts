import crypto from 'node:crypto';
import { createChallenge, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/knex.ts';
import { deletePowRedemptionsBefore, redeemPowSignature } from '../store/pow.ts';
import type { SecretBox } from './secrets.ts';

/**
 * The anti-automation check of the reset flow: a self-hosted ALTCHA proof of work (SSPR.md §3 step 1).
 *
 * Challenges are stateless (signed with a key derived from the instance secret) until one is solved;
 * the signature of each accepted solution is then recorded, so a solution passes once on any instance.
 */

/** The form field the widget posts its payload in. */
export const POW_FIELD = 'altcha';
export const POW_TTL_MS = 10 * 60_000;

// PBKDF2 runs natively in every browser's WebCrypto (no WASM, no blob: workers). In deterministic
// mode the solver must reach the secret counter, so the work is bounded: at most COUNTER_MAX * COST
// PBKDF2 rounds (500k here), shared by the widget's workers — a fraction of a second on a phone.
const ALGORITHM = 'PBKDF2/SHA-256';
const COST = 250;
const COUNTER_MIN = 500;
const COUNTER_MAX = 2000;

/** A genuine payload is well under 1 kB; anything much larger is refused before it is decoded. */
const MAX_PAYLOAD_CHARS = 4096;
/** Used signatures are kept this long past expiry, so instances whose clocks differ still agree. */
const KEEP_AFTER_EXPIRY_MS = 60 * 60_000;

const hex = z
  .string()
  .max(512)
  .regex(/^(?:[0-9a-f]{2})+$/);

// Only shapes and types are checked here; the signature proves the parameters are ours. The raw
// (unstripped) objects go to verifySolution, because the signature covers every parameter sent.
const payloadSchema = z.object({
  challenge: z.object({
    parameters: z.looseObject({
      algorithm: z.literal(ALGORITHM),
      nonce: hex,
      salt: hex,
      cost: z.number().int().positive().max(1_000_000),
      keyLength: z.literal(32),
      keyPrefix: hex,
      data: z.looseObject({ expires: z.number().int().positive() }),
    }),
    signature: hex,
  }),
  solution: z.looseObject({
    counter: z.number().int().min(0).max(0xffffffff),
    derivedKey: hex,
  }),
});

export interface Pow {
  /** A new signed challenge as JSON, to embed in the page for the widget (views/partials/pow.eta). */
  challenge(): Promise<string>;
  /**
   * True once for a genuine, unexpired, solved challenge (the `altcha` form field); false for
   * anything else, a second use included. Never throws for bad input.
   */
  verify(payload: unknown): Promise<boolean>;
}

export function createPow(deps: { box: SecretBox; db: Db; clock: Clock }): Pow {
  const { db, clock } = deps;
  const secret = deps.box.key('altcha').toString('base64url');

  async function challenge(): Promise<string> {
    const c = await createChallenge({
      algorithm: ALGORITHM,
      cost: COST,
      counter: crypto.randomInt(COUNTER_MIN, COUNTER_MAX + 1),
      deriveKey,
      // Our own signed expiry rather than the library's `expiresAt`, which it checks against the
      // wall clock: expiry follows the injected clock like every other expiry in Tobira.
      data: { expires: clock.now().getTime() + POW_TTL_MS },
      hmacSignatureSecret: secret,
    });
    return JSON.stringify({ parameters: c.parameters, signature: c.signature });
  }

  async function verify(payload: unknown): Promise<boolean> {
    try {
      const raw = decode(payload);
      if (!raw || !payloadSchema.safeParse(raw).success) return false;
      const { parameters, signature } = raw.challenge;
      const expires: number = parameters.data.expires;
      if (expires <= clock.now().getTime()) return false;
      const result = await verifySolution({
        challenge: { parameters, signature },
        solution: raw.solution,
        deriveKey,
        hmacSignatureSecret: secret,
      });
      if (!result.verified) return false;
      return await redeem(signature, new Date(expires));
    } catch {
      return false;
    }
  }

  /** Records a solved challenge; false when it was already used (the primary key decides races). */
  async function redeem(signature: string, expiresAt: Date): Promise<boolean> {
    if (!(await redeemPowSignature(db, signature, expiresAt))) return false;
    // Rows are only needed until their challenge expires; each use clears the few expired since.
    await deletePowRedemptionsBefore(db, new Date(clock.now().getTime() - KEEP_AFTER_EXPIRY_MS));
    return true;
  }

  return { challenge, verify };
}

/** The widget posts base64 of a JSON object. */
function decode(payload: unknown): any {
  if (typeof payload !== 'string' || payload.length === 0 || payload.length > MAX_PAYLOAD_CHARS) return null;
  if (payload.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(payload)) return null;
  try {
    return JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  } catch {
    return null;
  }
}

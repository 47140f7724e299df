import type { Tx } from '../db/knex.ts';

/** Solved proof-of-work challenges (table `pow_redemptions`): each signature is accepted once. */

/**
 * Records a solved challenge's signature; false when it was already recorded (the primary key
 * decides races, on any instance).
 */
export async function redeemPowSignature(db: Tx, signature: string, expiresAt: Date): Promise<boolean> {
  const inserted = await db('pow_redemptions')
    .insert({ signature, expires_at: expiresAt })
    .onConflict('signature')
    .ignore()
    .returning('signature');
  return inserted.length === 1;
}

/** Forgets signatures whose challenge expired before `before`. */
export async function deletePowRedemptionsBefore(db: Tx, before: Date): Promise<void> {
  await db('pow_redemptions').where('expires_at', '<', before).delete();
}

import crypto from 'node:crypto';
import { affected, type Tx } from '../db/knex.ts';

/** A single-use invitation link; only an HMAC of its secret is stored. */
export interface Invitation {
  id: string;
  userId: string;
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

const d = (v: unknown) => (v == null ? null : new Date(v as string));

function fromRow(r: any): Invitation {
  return {
    id: r.id,
    userId: r.user_id,
    createdBy: r.created_by ?? null,
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
    usedAt: d(r.used_at),
    revokedAt: d(r.revoked_at),
  };
}

/** Withdraws the user's open invitations; returns how many. */
export async function revokeOpenInvitations(db: Tx, userId: string, now: Date): Promise<number> {
  return affected(
    await db('invitations').where({ user_id: userId }).whereNull('used_at').whereNull('revoked_at').update({
      revoked_at: now,
    }),
  );
}

export async function insertInvitation(
  db: Tx,
  inv: { userId: string; tokenHash: string; createdBy: string | null; expiresAt: Date },
  now: Date,
): Promise<Invitation> {
  const [row] = await db('invitations')
    .insert({
      id: crypto.randomUUID(),
      user_id: inv.userId,
      token_hash: inv.tokenHash,
      created_by: inv.createdBy,
      created_at: now,
      expires_at: inv.expiresAt,
    })
    .returning('*');
  return fromRow(row);
}

export async function findInvitationByHash(db: Tx, tokenHash: string): Promise<Invitation | undefined> {
  const r = await db('invitations').where({ token_hash: tokenHash }).first();
  return r ? fromRow(r) : undefined;
}

/** The user's invitation that can still be used, if any. */
export async function openInvitationOf(db: Tx, userId: string, now: Date): Promise<Invitation | undefined> {
  const r = await db('invitations')
    .where({ user_id: userId })
    .whereNull('used_at')
    .whereNull('revoked_at')
    .andWhere('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .first();
  return r ? fromRow(r) : undefined;
}

/**
 * Takes the invitation for one use: atomic, so of two requests with the same link only one gets it.
 * False when it was used, withdrawn or has expired.
 */
export async function claimInvitation(db: Tx, id: string, now: Date): Promise<boolean> {
  return (
    affected(
      await db('invitations')
        .where({ id })
        .whereNull('used_at')
        .whereNull('revoked_at')
        .andWhere('expires_at', '>', now)
        .update({ used_at: now }),
    ) > 0
  );
}

/** Gives a claim back (the password was refused by the policy): the link can be used again. */
export async function releaseInvitation(db: Tx, id: string, claimedAt: Date): Promise<void> {
  await db('invitations').where({ id, used_at: claimedAt }).update({ used_at: null });
}

import crypto from 'node:crypto';
import { affected, type Tx } from '../db/knex.ts';
import { deleteInBatches, type SweepLimits } from './sweep.ts';
import type { RideAlong } from './together.ts';

export interface Challenge {
  id: string;
  flow: string;
  userId: string | null;
  kind: string;
  codeHash: string | null;
  data: Record<string, unknown>;
  attempts: number;
  createdAt: Date;
  expiresAt: Date;
  consumedAt: Date | null;
}

/** A challenges row as read (also as JSON, store/oidc.ts findInteractionWith). */
export function challengeFromRow(r: any): Challenge {
  return {
    id: r.id,
    flow: r.flow,
    userId: r.user_id,
    kind: r.kind,
    codeHash: r.code_hash,
    data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data,
    attempts: r.attempts,
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
    consumedAt: r.consumed_at ? new Date(r.consumed_at) : null,
  };
}

export async function createChallenge(
  db: Tx,
  c: {
    flow: string;
    userId: string | null;
    kind: string;
    codeHash?: string | null;
    data?: Record<string, unknown>;
    attempts?: number;
  },
  now: Date,
  ttlMs: number,
): Promise<Challenge> {
  const [row] = await db('challenges')
    .insert({
      id: crypto.randomUUID(),
      flow: c.flow,
      user_id: c.userId,
      kind: c.kind,
      code_hash: c.codeHash ?? null,
      data: JSON.stringify(c.data ?? {}),
      attempts: c.attempts ?? 0,
      created_at: now,
      expires_at: new Date(now.getTime() + ttlMs),
    })
    .returning('*');
  return challengeFromRow(row);
}

/** The columns challengeFromRow reads, named: a prepared statement of `select *` breaks when a column is added. */
export const CHALLENGE_COLUMNS = [
  'id',
  'flow',
  'user_id',
  'kind',
  'code_hash',
  'data',
  'attempts',
  'created_at',
  'expires_at',
  'consumed_at',
] as const;

/** The newest live (unconsumed, unexpired) challenge of a kind in a flow. */
export async function findLiveChallenge(
  db: Tx,
  flow: string,
  kind: string,
  now: Date,
): Promise<Challenge | undefined> {
  const r = await db('challenges')
    .where({ flow, kind })
    .whereNull('consumed_at')
    .andWhere('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .first(CHALLENGE_COLUMNS);
  return r ? challengeFromRow(r) : undefined;
}

/** The newest challenge of a kind in a flow, live or not (to carry failure counts over to a new code). */
export async function findLatestChallenge(
  db: Tx,
  flow: string,
  kind: string,
): Promise<Challenge | undefined> {
  const r = await db('challenges').where({ flow, kind }).orderBy('created_at', 'desc').first();
  return r ? challengeFromRow(r) : undefined;
}

/** Consumes a challenge once; false when it was already consumed (a replay). */
export async function consumeChallenge(db: Tx, id: string, now: Date): Promise<boolean> {
  return (
    affected(await db('challenges').where({ id }).whereNull('consumed_at').update({ consumed_at: now })) > 0
  );
}

export async function updateChallengeData(db: Tx, id: string, data: Record<string, unknown>): Promise<void> {
  await db('challenges')
    .where({ id })
    .update({ data: JSON.stringify(data) });
}

export async function deleteFlowChallenges(db: Tx, flow: string, kind?: string): Promise<void> {
  await db('challenges')
    .where(kind ? { flow, kind } : { flow })
    .delete();
}

/** deleteFlowChallenges(flow) as a write that rides along with another statement (store/together.ts). */
export function flowChallengesAlong(flow: string): RideAlong {
  return { table: 'challenges', deleteWhere: { flow } };
}

/** Every challenge of a user, in any flow (their security info was removed). */
export async function deleteUserChallenges(db: Tx, userId: string): Promise<void> {
  await db('challenges').where({ user_id: userId }).delete();
}

export async function sweepChallenges(db: Tx, now: Date, limits?: SweepLimits): Promise<number> {
  const cutoff = new Date(now.getTime() - 24 * 3600_000);
  return deleteInBatches(db, 'challenges', 'id', (q) => q.where('expires_at', '<', cutoff), limits);
}

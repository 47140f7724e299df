import type { Tx } from '../db/knex.ts';

/** Keeps a replaced password's hash; at most 24 per user are kept (the policy allows N ≤ 24). */
export async function rememberPassword(db: Tx, userId: string, hash: string, now: Date): Promise<void> {
  await db('password_history').insert({ user_id: userId, password_hash: hash, created_at: now });
  const keep = db('password_history').where({ user_id: userId }).orderBy('id', 'desc').limit(24).select('id');
  await db('password_history').where({ user_id: userId }).whereNotIn('id', keep).delete();
}

export async function recentPasswordHashes(db: Tx, userId: string, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const rows = await db('password_history').where({ user_id: userId }).orderBy('id', 'desc').limit(limit);
  return rows.map((r: any) => r.password_hash);
}

import { affected, type Tx } from '../db/knex.ts';
import { deleteInBatches, type SweepLimits } from './sweep.ts';

/** SQL for the first-party apps' server-side sessions (table first_party_sessions). */

export interface FirstPartySessionRow {
  idHash: string;
  userId: string;
  clientId: string;
  amr: string[];
  acr: string | null;
  authTime: Date;
  createdAt: Date;
  expiresAt: Date;
  sid: string | null;
  idToken: string | null;
}

export async function insertSession(db: Tx, s: FirstPartySessionRow): Promise<void> {
  await db('first_party_sessions').insert({
    id_hash: s.idHash,
    user_id: s.userId,
    client_id: s.clientId,
    amr: s.amr.join(' '),
    acr: s.acr,
    auth_time: s.authTime,
    created_at: s.createdAt,
    expires_at: s.expiresAt,
    sid: s.sid,
    id_token: s.idToken,
  });
}

/** The live session with this identifier hash for this client, if it has not expired. */
export async function findSession(
  db: Tx,
  idHash: string,
  clientId: string,
  now: Date,
): Promise<FirstPartySessionRow | undefined> {
  const r = await db('first_party_sessions')
    .where({ id_hash: idHash, client_id: clientId })
    .andWhere('expires_at', '>', now)
    .first();
  if (!r) return undefined;
  return {
    idHash: r.id_hash,
    userId: r.user_id,
    clientId: r.client_id,
    amr: r.amr ? String(r.amr).split(' ') : [],
    acr: r.acr ?? null,
    authTime: new Date(r.auth_time),
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
    sid: r.sid ?? null,
    idToken: r.id_token ?? null,
  };
}

export async function deleteSession(db: Tx, idHash: string): Promise<number> {
  return affected(await db('first_party_sessions').where({ id_hash: idHash }).delete());
}

/** Ends every first-party session of a user, except (optionally) the one with this identifier hash. */
export async function deleteSessionsOfUser(db: Tx, userId: string, exceptIdHash?: string): Promise<number> {
  const q = db('first_party_sessions').where({ user_id: userId });
  if (exceptIdHash) q.whereNot({ id_hash: exceptIdHash });
  return affected(await q.delete());
}

export async function sweepSessions(db: Tx, now: Date, limits?: SweepLimits): Promise<number> {
  return deleteInBatches(
    db,
    'first_party_sessions',
    'id_hash',
    (q) => q.where('expires_at', '<', now),
    limits,
  );
}

import crypto from 'node:crypto';
import { affected, type Tx } from '../db/knex.ts';
import { type Credential, findCredential } from './credentials.ts';

/*
 * Contact methods an administrator put on an account in advance ("added by your organisation"):
 * ordinary credentials of kind 'phone' or 'email' with source 'organization', unconfirmed until the
 * user confirms them (or uses one successfully).
 */

export async function insertOrganizationCredential(
  db: Tx,
  userId: string,
  c: { kind: string; label: string; data: Record<string, unknown> },
  now: Date,
): Promise<Credential> {
  const id = crypto.randomUUID();
  await db('credentials').insert({
    id,
    user_id: userId,
    kind: c.kind,
    label: c.label,
    data: JSON.stringify(c.data),
    created_at: now,
    confirmed_at: null,
    source: 'organization',
  });
  return (await findCredential(db, userId, id))!;
}

export async function replaceOrganizationCredentialData(
  db: Tx,
  userId: string,
  id: string,
  data: Record<string, unknown>,
  now: Date,
): Promise<boolean> {
  // A new value is a new thing to confirm.
  const n = await db('credentials')
    .where({ user_id: userId, id, source: 'organization' })
    .update({ data: JSON.stringify(data), created_at: now, confirmed_at: null, last_used_at: null });
  return affected(n) > 0;
}

/** The user confirms a pre-registered method: from now on it is theirs (counted under every policy). */
export async function confirmOrganizationCredential(
  db: Tx,
  userId: string,
  id: string,
  now: Date,
): Promise<boolean> {
  const n = await db('credentials')
    .where({ user_id: userId, id, source: 'organization' })
    .whereNull('confirmed_at')
    .update({ confirmed_at: now });
  return affected(n) > 0;
}

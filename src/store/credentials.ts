import crypto from 'node:crypto';
import { affected, type Tx } from '../db/knex.ts';

export interface Credential {
  id: string;
  userId: string;
  kind: string;
  label: string;
  data: Record<string, unknown>;
  lookup: string | null;
  isDefault: boolean;
  createdAt: Date;
  confirmedAt: Date | null;
  lastUsedAt: Date | null;
  /** 'organization' when an administrator pre-registered it (a phone or an email), else 'user'. */
  source?: 'user' | 'organization';
}

const d = (v: unknown) => (v == null ? null : new Date(v as string));

/**
 * Each of these users' credentials that `only` selects (the organisation's, or of these kinds),
 * oldest first: a page of users in one query.
 */
export async function credentialsOfUsers(
  db: Tx,
  userIds: readonly string[],
  only: { source: 'organization' } | { kinds: readonly string[] },
): Promise<Map<string, Credential[]>> {
  const out = new Map<string, Credential[]>();
  if (!userIds.length) return out;
  const q = db('credentials').whereIn('user_id', userIds as string[]);
  if ('source' in only) q.andWhere({ source: only.source });
  else q.whereIn('kind', only.kinds as string[]);
  const rows = await q.orderBy(['created_at', 'id']);
  for (const r of rows) {
    const c = fromRow(r);
    const list = out.get(c.userId);
    if (list) list.push(c);
    else out.set(c.userId, [c]);
  }
  return out;
}

/** A `credentials` row as a Credential (also used by store/audit-query.ts). */
export function fromRow(r: any): Credential {
  return {
    id: r.id,
    userId: r.user_id,
    kind: r.kind,
    label: r.label,
    data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data,
    lookup: r.lookup,
    isDefault: r.is_default,
    createdAt: new Date(r.created_at),
    confirmedAt: d(r.confirmed_at),
    lastUsedAt: d(r.last_used_at),
    source: r.source === 'organization' ? 'organization' : 'user',
  };
}

export async function listCredentials(db: Tx, userId: string): Promise<Credential[]> {
  const rows = await db('credentials').where({ user_id: userId }).orderBy('created_at').orderBy('id');
  return rows.map(fromRow);
}

/**
 * The user's credentials, without a read when the user's row says there are none: its
 * credential_summary is kept by a trigger on every write to credentials, in the same transaction
 * (migration 20261202020100), so an empty summary means no credential row.
 */
export async function listUserCredentials(
  db: Tx,
  user: { id: string; credentialSummary?: Record<string, number> },
): Promise<Credential[]> {
  if (user.credentialSummary && Object.keys(user.credentialSummary).length === 0) return [];
  return listCredentials(db, user.id);
}

/** Scoped by user: a credential id from another account is simply not found. */
export async function findCredential(db: Tx, userId: string, id: string): Promise<Credential | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const r = await db('credentials').where({ user_id: userId, id }).first();
  return r ? fromRow(r) : undefined;
}

export async function findCredentialByLookup(
  db: Tx,
  kind: string,
  lookup: string,
): Promise<Credential | undefined> {
  const r = await db('credentials').where({ kind, lookup }).first();
  return r ? fromRow(r) : undefined;
}

export interface NewCredential {
  kind: string;
  label: string;
  data: Record<string, unknown>;
  lookup?: string | null;
}

export async function insertCredential(
  db: Tx,
  userId: string,
  c: NewCredential,
  now: Date,
): Promise<Credential> {
  const [row] = await db('credentials')
    .insert({
      id: crypto.randomUUID(),
      user_id: userId,
      kind: c.kind,
      label: c.label,
      data: JSON.stringify(c.data),
      lookup: c.lookup ?? null,
      created_at: now,
      confirmed_at: now,
    })
    .returning('*');
  return fromRow(row);
}

export async function deleteCredential(db: Tx, userId: string, id: string): Promise<boolean> {
  return affected(await db('credentials').where({ user_id: userId, id }).delete()) > 0;
}

export async function renameCredential(db: Tx, userId: string, id: string, label: string): Promise<boolean> {
  return affected(await db('credentials').where({ user_id: userId, id }).update({ label })) > 0;
}

export async function setDefaultCredential(db: Tx, userId: string, id: string | null): Promise<void> {
  await db('credentials').where({ user_id: userId }).update({ is_default: false });
  if (id) await db('credentials').where({ user_id: userId, id }).update({ is_default: true });
}

export async function updateCredentialData(db: Tx, id: string, data: Record<string, unknown>): Promise<void> {
  await db('credentials')
    .where({ id })
    .update({ data: JSON.stringify(data) });
}

export async function touchCredential(db: Tx, id: string, now: Date): Promise<void> {
  await db('credentials').where({ id }).update({ last_used_at: now });
}

/**
 * Records a used TOTP time step only if it is newer than the last one used: atomic across instances,
 * so one code is accepted once even when two instances verify it at the same moment.
 */
export async function claimTotpStep(db: Tx, id: string, step: number): Promise<boolean> {
  const res = await db.raw(
    `update credentials set data = jsonb_set(data, '{lastStep}', to_jsonb(?::bigint))
     where id = ? and coalesce((data->>'lastStep')::bigint, -1) < ?`,
    [step, id, step],
  );
  return affected(res) > 0;
}

export async function countCredentialsByKind(db: Tx, userId: string, kind: string): Promise<number> {
  const [r] = await db('credentials')
    .where({ user_id: userId, kind })
    .count<{ c: string | number }[]>({ c: '*' });
  return Number(r.c);
}

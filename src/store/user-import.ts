import crypto from 'node:crypto';
import type { Tx } from '../db/knex.ts';
import { type Credential, credentialsOfUsers } from './credentials.ts';
import { type Role, type User, userFromRow } from './users.ts';

/*
 * The CSV import's queries (issue 16): a batch of rows costs a fixed number of statements whatever
 * its size — one IN (…) read per table, one multi-row insert per table, one UPDATE … FROM (VALUES …)
 * for the changed users — instead of several round trips per row.
 */

/** The users of a batch by normalized login; `lock` takes them FOR UPDATE inside the import's transaction. */
export async function usersByNormalizedLogins(
  db: Tx,
  normalized: readonly string[],
  lock: boolean,
): Promise<Map<string, User>> {
  if (!normalized.length) return new Map();
  // A join with a VALUES list, not `login_normalized IN (…)`: for a long IN list PostgreSQL picks
  // the trigram index (users_login_trgm), which answers in seconds; the join probes the unique
  // btree once per login. Locked in one order, so two imports of overlapping files wait for each
  // other instead of deadlocking.
  const res = await db.raw(
    `select u.* from (values ${normalized.map(() => '(?::text)').join(', ')}) as l(v)
     join users u on u.login_normalized = l.v
     ${lock ? 'order by u.login_normalized for update of u' : ''}`,
    normalized as string[],
  );
  const rows = (res as { rows?: any[] }).rows ?? [];
  return new Map(rows.map((r: any) => [r.login_normalized as string, userFromRow(r)]));
}

/** The phone and email credentials of these users (what the import's contact columns can touch). */
export async function contactCredentialsOf(
  db: Tx,
  userIds: readonly string[],
): Promise<Map<string, Credential[]>> {
  return credentialsOfUsers(db, userIds, { kinds: ['phone', 'email'] });
}

/** The group ids each of these users belongs to. */
export async function groupIdsOf(db: Tx, userIds: readonly string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (!userIds.length) return out;
  const rows = await db('group_members')
    .whereIn('user_id', userIds as string[])
    .select('user_id', 'group_id');
  for (const r of rows as Array<{ user_id: string; group_id: string }>) {
    const s = out.get(r.user_id);
    if (s) s.add(r.group_id);
    else out.set(r.user_id, new Set([r.group_id]));
  }
  return out;
}

export interface ImportedUser {
  login: string;
  normalized: string;
  displayName: string;
  email: string | null;
  locale: string | null;
  roles: Role[];
  passwordManaged: 'local' | 'external';
}

/**
 * Inserts new users in one statement (no password: they are "not yet activated"). A login someone
 * created since the batch was read is skipped; the returned map holds the ids of those inserted.
 */
export async function insertImportedUsers(
  db: Tx,
  users: readonly ImportedUser[],
  now: Date,
): Promise<Map<string, string>> {
  if (!users.length) return new Map();
  const rows = users.map((u) => ({
    id: crypto.randomUUID(),
    login: u.login,
    login_normalized: u.normalized,
    display_name: u.displayName,
    email: u.email,
    locale: u.locale,
    roles: JSON.stringify(u.roles),
    password_managed: u.passwordManaged,
    password_hash: null,
    created_at: now,
    updated_at: now,
  }));
  const inserted = await db('users')
    .insert(rows)
    .onConflict('login_normalized')
    .ignore()
    .returning(['id', 'login_normalized']);
  return new Map(inserted.map((r: any) => [r.login_normalized as string, r.id as string]));
}

/**
 * Writes the new values of changed users in one UPDATE … FROM (VALUES …). A changed email clears
 * its verification, as updateUser does.
 */
export async function updateImportedUsers(
  db: Tx,
  users: ReadonlyArray<ImportedUser & { id: string }>,
  now: Date,
): Promise<void> {
  if (!users.length) return;
  const values = users.map(() => '(?::uuid, ?::text, ?::text, ?::text, ?::jsonb, ?::text)').join(', ');
  const params = users.flatMap((u) => [
    u.id,
    u.displayName,
    u.email,
    u.locale,
    JSON.stringify(u.roles),
    u.passwordManaged,
  ]);
  await db.raw(
    `update users as u set
       display_name = v.display_name,
       email_verified_at = case when u.email is distinct from v.email then null else u.email_verified_at end,
       email = v.email,
       locale = v.locale,
       roles = v.roles,
       password_managed = v.password_managed,
       updated_at = ?
     from (values ${values}) as v(id, display_name, email, locale, roles, password_managed)
     where u.id = v.id`,
    [now, ...params],
  );
}

export async function insertMemberships(
  db: Tx,
  rows: ReadonlyArray<{ groupId: string; userId: string }>,
): Promise<void> {
  if (!rows.length) return;
  await db('group_members')
    .insert(rows.map((r) => ({ group_id: r.groupId, user_id: r.userId })))
    .onConflict(['group_id', 'user_id'])
    .ignore();
}

/** New pre-registered (organisation) credentials, unconfirmed, in one insert. */
export async function insertOrganizationCredentials(
  db: Tx,
  rows: ReadonlyArray<{ userId: string; kind: string; data: Record<string, unknown> }>,
  now: Date,
): Promise<void> {
  if (!rows.length) return;
  await db('credentials').insert(
    rows.map((r) => ({
      id: crypto.randomUUID(),
      user_id: r.userId,
      kind: r.kind,
      label: '',
      data: JSON.stringify(r.data),
      created_at: now,
      confirmed_at: null,
      source: 'organization',
    })),
  );
}

/** Removes pre-registered credentials by id (only the organisation's). */
export async function deleteOrganizationCredentials(db: Tx, ids: readonly string[]): Promise<void> {
  if (!ids.length) return;
  await db('credentials')
    .whereIn('id', ids as string[])
    .where({ source: 'organization' })
    .delete();
}

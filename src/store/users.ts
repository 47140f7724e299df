import crypto from 'node:crypto';
import type { Tx } from '../db/knex.ts';

export type Role = 'admin' | 'helpdesk';

export interface User {
  id: string;
  login: string;
  displayName: string;
  email: string | null;
  /** When the email was verified; cleared whenever the email changes. */
  emailVerifiedAt: Date | null;
  locale: string | null;
  status: 'active' | 'disabled';
  passwordHash: string | null;
  passwordChangedAt: Date | null;
  passwordManaged: 'local' | 'external';
  mustChangePassword: boolean;
  roles: Role[];
  securityInfoConfirmedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** The credentials counted per class, as the row was read (store/credentials.ts listUserCredentials). */
  credentialSummary?: Record<string, number>;
}

/** Logins compare case-insensitively and width-insensitively (NFKC + lower case). */
export function normalizeLogin(login: string): string {
  return login.normalize('NFKC').trim().toLowerCase();
}

const date = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(v as string));

/**
 * The columns userFromRow reads. Reads on the hot path name them one by one: they are prepared
 * statements on PostgreSQL (db/knex.ts), and a prepared `select *` fails once a migration adds a
 * column. Reading a column that is not listed here is a type error in userFromRow.
 */
export const USER_COLUMNS = [
  'id',
  'login',
  'display_name',
  'email',
  'email_verified_at',
  'locale',
  'status',
  'password_hash',
  'password_changed_at',
  'password_managed',
  'must_change_password',
  'roles',
  'security_info_confirmed_at',
  'created_at',
  'updated_at',
  'credential_summary',
] as const;
/** A user row as userFromRow reads it. */
export type UserRow = { [column in (typeof USER_COLUMNS)[number]]: any };

export function userFromRow(r: UserRow): User {
  return {
    id: r.id,
    login: r.login,
    displayName: r.display_name,
    email: r.email,
    emailVerifiedAt: date(r.email_verified_at),
    locale: r.locale,
    status: r.status,
    passwordHash: r.password_hash,
    passwordChangedAt: date(r.password_changed_at),
    passwordManaged: r.password_managed,
    mustChangePassword: r.must_change_password,
    roles: typeof r.roles === 'string' ? JSON.parse(r.roles) : r.roles,
    securityInfoConfirmedAt: date(r.security_info_confirmed_at),
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
    ...(r.credential_summary != null
      ? {
          credentialSummary:
            typeof r.credential_summary === 'string'
              ? JSON.parse(r.credential_summary)
              : r.credential_summary,
        }
      : {}),
  };
}

export interface NewUser {
  login: string;
  displayName?: string;
  email?: string | null;
  roles?: Role[];
  passwordHash?: string | null;
  locale?: string | null;
}

export class DuplicateError extends Error {}

export async function createUser(db: Tx, u: NewUser, now: Date): Promise<User> {
  const row = {
    id: crypto.randomUUID(),
    login: u.login.trim(),
    login_normalized: normalizeLogin(u.login),
    display_name: u.displayName ?? '',
    email: u.email ?? null,
    locale: u.locale ?? null,
    roles: JSON.stringify(u.roles ?? []),
    password_hash: u.passwordHash ?? null,
    password_changed_at: u.passwordHash ? now : null,
    created_at: now,
    updated_at: now,
  };
  const inserted = await db('users').insert(row).onConflict('login_normalized').ignore().returning('*');
  if (!inserted.length) throw new DuplicateError(`user ${u.login} exists`);
  return userFromRow(inserted[0]);
}

export async function findUserByLogin(db: Tx, login: string): Promise<User | undefined> {
  const r = await db('users')
    .where({ login_normalized: normalizeLogin(login) })
    .first(USER_COLUMNS);
  return r ? userFromRow(r) : undefined;
}

export async function findUserById(db: Tx, id: string): Promise<User | undefined> {
  // Only a well-formed id reaches the uuid column (anything else would be a database error, not "none").
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  const r = await db('users').where({ id }).first(USER_COLUMNS);
  return r ? userFromRow(r) : undefined;
}

/** Takes the user's row with FOR UPDATE inside `trx`: changes to one user's security info queue behind it. */
export async function lockUser(trx: Tx, id: string): Promise<void> {
  await trx('users').where({ id }).forUpdate().first();
}

/** The logins of these user ids (ids that are no user are left out). */
export async function loginsByIds(db: Tx, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!ids.length) return out;
  for (const r of await db('users').whereIn('id', ids).select('id', 'login')) out.set(r.id, r.login);
  return out;
}

/**
 * Users in login order, one page: `after` is the previous page's last normalized login (keyset
 * paging, so a late page costs what the first does). `more` says whether users follow this page.
 */
export async function listUsers(
  db: Tx,
  opts: { limit?: number; after?: string } = {},
): Promise<{ users: User[]; more: boolean }> {
  const limit = opts.limit ?? 1000;
  const q = db('users')
    .orderBy('login_normalized')
    .limit(limit + 1);
  if (opts.after !== undefined) q.where('login_normalized', '>', opts.after);
  const rows = await q;
  return { users: rows.slice(0, limit).map(userFromRow), more: rows.length > limit };
}

export async function setPasswordHash(
  db: Tx,
  id: string,
  hash: string,
  now: Date,
  changed = true,
): Promise<void> {
  await db('users')
    .where({ id })
    .update({
      password_hash: hash,
      updated_at: now,
      ...(changed ? { password_changed_at: now, must_change_password: false } : {}),
    });
}

export async function updateUser(
  db: Tx,
  id: string,
  patch: Partial<{
    displayName: string;
    email: string | null;
    /** Marks the email verified (true) or not (false); a changed email is unverified unless set here. */
    emailVerified: boolean;
    status: 'active' | 'disabled';
    passwordManaged: 'local' | 'external';
    mustChangePassword: boolean;
    roles: Role[];
    locale: string | null;
  }>,
  now: Date,
): Promise<void> {
  const row: Record<string, unknown> = { updated_at: now };
  if (patch.displayName !== undefined) row.display_name = patch.displayName;
  if (patch.email !== undefined) {
    row.email = patch.email;
    // The old value is what `email` means on the right of SET: a different address is unverified.
    row.email_verified_at = db.raw(
      'case when email is distinct from ? then null else email_verified_at end',
      [patch.email],
    );
  }
  if (patch.emailVerified !== undefined) row.email_verified_at = patch.emailVerified ? now : null;
  if (patch.status !== undefined) row.status = patch.status;
  if (patch.passwordManaged !== undefined) row.password_managed = patch.passwordManaged;
  if (patch.mustChangePassword !== undefined) row.must_change_password = patch.mustChangePassword;
  if (patch.roles !== undefined) row.roles = JSON.stringify(patch.roles);
  if (patch.locale !== undefined) row.locale = patch.locale;
  await db('users').where({ id }).update(row);
}

/**
 * Marks the email verified, only while it is still `email` (an email changed meanwhile stays
 * unverified). Returns whether the mark was set.
 */
export async function markEmailVerified(db: Tx, id: string, email: string, now: Date): Promise<boolean> {
  const n = await db('users').where({ id, email }).update({ email_verified_at: now, updated_at: now });
  return n > 0;
}

export async function countUsers(db: Tx): Promise<number> {
  const [r] = await db('users').count<{ count: string | number }[]>({ count: '*' });
  return Number(r.count);
}

export async function updateSecurityInfoConfirmed(db: Tx, id: string, now: Date): Promise<void> {
  await db('users').where({ id }).update({ security_info_confirmed_at: now });
}

export async function listUsersWithRole(db: Tx, role: Role): Promise<User[]> {
  const rows = await db('users')
    .whereRaw('roles @> ?::jsonb', [JSON.stringify([role])])
    .orderBy('login_normalized');
  return rows.map(userFromRow);
}

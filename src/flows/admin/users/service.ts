import crypto from 'node:crypto';
import { z } from 'zod';
import { clearLockout, clearLocks, lockStatus } from '../../../account/lockout.ts';
import { announce, revokeEverything } from '../../../account/sessions.ts';
import { LOCALES } from '../../../config.ts';
import type { Tx } from '../../../db/knex.ts';
import { countedCredentials } from '../../../policy/preregistered.ts';
import { gatesRequired, inResetScope, resetGatesAvailable } from '../../../policy/sspr.ts';
import { hashSecret } from '../../../security/passwords.ts';
import { deleteUserChallenges } from '../../../store/challenges.ts';
import { listCredentials } from '../../../store/credentials.ts';
import {
  clearSecurityInfoConfirmed,
  deleteAllCredentials,
  searchUsers,
  type UserSearch,
} from '../../../store/directory.ts';
import { eraseUser } from '../../../store/erase.ts';
import {
  addMember as addMemberRow,
  findGroupByName,
  type Group,
  groupNamesOf,
} from '../../../store/groups.ts';
import { rememberPassword } from '../../../store/password-history.ts';
import {
  createUser as createUserRow,
  findUserById,
  findUserByLogin,
  normalizeLogin,
  type Role,
  setPasswordHash,
  type User,
  updateUser as updateUserRow,
} from '../../../store/users.ts';
import { type Actor, requirePermission } from '../permissions.ts';
import { readPolicy } from '../policy/service.ts';
import { type AdminDeps, audit, conflict, pick, resolveRef, writeUnique } from '../shared.ts';
import { FieldError, parseOrThrow } from '../validation.ts';

export const LOGIN_RE = /^[\p{L}\p{N}._@+-]{1,256}$/u;

export function resolveUser(db: Tx, ref: string): Promise<User> {
  return resolveRef('user', db, ref, 256, findUserById, findUserByLogin);
}

export interface UserSummary {
  id: string;
  login: string;
  displayName: string;
  email: string | null;
  /** The email was verified (the email_verified claim); cleared when the email changes. */
  emailVerified: boolean;
  status: 'active' | 'disabled';
  roles: Role[];
  passwordManaged: 'local' | 'external';
  mustChangePassword: boolean;
  /** false for an account that never had a password here: the user sets one through reset or an invitation. */
  activated: boolean;
  createdAt: string;
}

export interface UserDetail extends UserSummary {
  locale: string | null;
  groups: string[];
  passwordChangedAt: string | null;
  securityInfoConfirmedAt: string | null;
  lock: { locked: boolean; lockedUntil: string | null; failures: number };
  /** What the user registered: kinds and dates only, never labels, numbers, secrets or answers. */
  methods: Array<{
    kind: string;
    isDefault: boolean;
    createdAt: string;
    lastUsedAt: string | null;
    /** 'organization': pre-registered by an administrator; confirmed once the user confirmed or used it. */
    source: 'user' | 'organization';
    confirmed: boolean;
  }>;
  reset: { inScope: boolean; gatesAvailable: string[]; gatesRequired: number; capable: boolean };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function summarize(u: User): UserSummary {
  return {
    ...pick(u, 'id', 'login', 'displayName', 'email'),
    emailVerified: !!u.email && !!u.emailVerifiedAt,
    ...pick(u, 'status', 'roles', 'passwordManaged', 'mustChangePassword'),
    activated: u.passwordManaged === 'external' || u.passwordHash !== null,
    createdAt: u.createdAt.toISOString(),
  };
}

export const userSearchSchema = z
  .object({
    q: z.string().max(256).optional(),
    status: z.enum(['active', 'disabled']).optional(),
    role: z.enum(['admin', 'helpdesk']).optional(),
    group: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    /** The previous page's `next`: keyset paging in login order. */
    after: z.string().max(256).optional(),
  })
  .strict();

/** Search parameters from a query string or the CLI; absent (undefined) values are dropped. */
export function parseUserSearch(raw: Record<string, unknown>): UserSearch {
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  return parseOrThrow(userSearchSchema, given);
}

/**
 * One page of users. `next` is the cursor of the following page (null on the last), so a list says
 * when it is truncated; there is no total, which would cost a count of the whole directory per page.
 */
export async function listUsers(
  deps: AdminDeps,
  actor: Actor,
  search: UserSearch,
): Promise<{ users: UserSummary[]; next: string | null }> {
  requirePermission(actor, 'users.read');
  const { users, next } = await searchUsers(deps.db, search);
  return { users: users.map(summarize), next };
}

export async function userDetail(deps: AdminDeps, user: User): Promise<UserDetail> {
  const [groups, creds, throttle, policy] = await Promise.all([
    groupNamesOf(deps.db, user.id),
    listCredentials(deps.db, user.id),
    lockStatus(deps, user),
    readPolicy(deps.db),
  ]);
  const subject = { roles: user.roles, groups };
  const resetKinds = deps.methods
    .usable(countedCredentials(policy, creds), 'reset')
    .map((o) => o.method.kind);
  const gates = resetGatesAvailable(policy, subject, resetKinds, deps.methods.gateOf);
  const need = gatesRequired(policy, subject);
  const inScope = inResetScope(policy, subject);
  return {
    ...summarize(user),
    locale: user.locale,
    groups,
    passwordChangedAt: iso(user.passwordChangedAt),
    securityInfoConfirmedAt: iso(user.securityInfoConfirmedAt),
    lock: {
      locked: !!throttle.lockedUntil,
      lockedUntil: iso(throttle.lockedUntil),
      failures: throttle.failures,
    },
    methods: creds.map((c) => ({
      kind: c.kind,
      isDefault: c.isDefault,
      createdAt: c.createdAt.toISOString(),
      lastUsedAt: iso(c.lastUsedAt),
      source: c.source ?? 'user',
      confirmed: c.source !== 'organization' || c.confirmedAt !== null,
    })),
    reset: { inScope, gatesAvailable: gates, gatesRequired: need, capable: inScope && gates.length >= need },
  };
}

export async function getUser(deps: AdminDeps, actor: Actor, ref: string): Promise<UserDetail> {
  requirePermission(actor, 'users.read');
  return userDetail(deps, await resolveUser(deps.db, ref));
}

const ROLES = ['admin', 'helpdesk'] as const;
const optionalText = (max: number) => z.string().trim().max(max);
const emailOrEmpty = z.union([z.literal(''), z.email().max(254)]);

export const createUserSchema = z
  .object({
    login: z
      .string()
      .trim()
      .min(1)
      .max(256)
      .refine((v) => LOGIN_RE.test(v), { params: { key: 'admin.user.loginFormat' } }),
    displayName: optionalText(200).optional(),
    email: emailOrEmpty.optional(),
    roles: z.array(z.enum(ROLES)).max(2).optional(),
    groups: z.array(z.string().min(1).max(100)).max(100).optional(),
    locale: z.enum(LOCALES).optional(),
    passwordManaged: z.enum(['local', 'external']).optional(),
    /**
     * temporary (default): a password shown once, changed at the first sign-in. none: the account is
     * "not yet activated" and the user sets a first password through reset or an invitation.
     */
    initialPassword: z.enum(['temporary', 'none']).optional(),
  })
  .strict();

export const updateUserSchema = z
  .object({
    displayName: optionalText(200).optional(),
    email: emailOrEmpty.nullable().optional(),
    emailVerified: z.boolean().optional(),
    roles: z.array(z.enum(ROLES)).max(2).optional(),
    locale: z.enum(LOCALES).nullable().optional(),
    passwordManaged: z.enum(['local', 'external']).optional(),
  })
  .strict();

/** A temporary password: 16 characters without look-alikes (about 79 bits), in groups of four. */
export function temporaryPassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const chars = Array.from({ length: 16 }, () => alphabet[crypto.randomInt(alphabet.length)]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/**
 * Creates a user. A user whose password is managed here gets a temporary password, shown once,
 * that must be changed at the first sign-in, unless the operator chose one (`password`, the CLI's
 * --password-stdin, checked by the caller) that stays.
 */
export async function createUser(
  deps: AdminDeps,
  actor: Actor,
  input: unknown,
  chosen: { password?: string } = {},
): Promise<{ user: UserDetail; temporaryPassword: string | null }> {
  requirePermission(actor, 'users.write');
  const body = parseOrThrow(createUserSchema, input);
  const groups: Group[] = [];
  const missing: string[] = [];
  for (const name of new Set(body.groups ?? [])) {
    const g = await findGroupByName(deps.db, name);
    if (g) groups.push(g);
    else missing.push(name);
  }
  if (missing.length)
    throw new FieldError({
      groups: { key: 'admin.policy.unknownGroups', params: { names: missing.join(', ') } },
    });
  const external = body.passwordManaged === 'external';
  const temp = external || chosen.password || body.initialPassword === 'none' ? null : temporaryPassword();
  const password = external ? null : (chosen.password ?? temp);
  const hash = password ? await hashSecret(password) : null;
  const now = deps.clock.now();
  const user = await writeUnique(deps.db, ['user.exists', 'admin.user.loginTaken', 'login'], async (trx) => {
    const u = await createUserRow(
      trx,
      {
        login: body.login,
        displayName: body.displayName,
        email: body.email || null,
        roles: [...new Set(body.roles ?? [])],
        passwordHash: hash,
        locale: body.locale ?? null,
      },
      now,
    );
    await updateUserRow(
      trx,
      u.id,
      { passwordManaged: external ? 'external' : 'local', mustChangePassword: !!temp },
      now,
    );
    for (const g of groups) await addMemberRow(trx, g.id, u.id);
    await audit(trx, deps, actor, 'admin.user.create', u.id, {
      login: u.login,
      roles: u.roles,
      groups: groups.map((g) => g.name),
      passwordManaged: external ? 'external' : 'local',
      ...(!external && !hash ? { activated: false } : {}),
    });
    return u;
  });
  const fresh = (await findUserById(deps.db, user.id))!;
  return { user: await userDetail(deps, fresh), temporaryPassword: temp };
}

export async function updateUser(
  deps: AdminDeps,
  actor: Actor,
  ref: string,
  input: unknown,
): Promise<UserDetail> {
  requirePermission(actor, 'users.write');
  const body = parseOrThrow(updateUserSchema, input);
  const user = await resolveUser(deps.db, ref);
  if (body.roles && actor.id === user.id && user.roles.includes('admin') && !body.roles.includes('admin')) {
    throw conflict('user.self', 'admin.user.selfRole', 'roles');
  }
  const patch: Parameters<typeof updateUserRow>[2] = {};
  if (body.displayName !== undefined) patch.displayName = body.displayName;
  if (body.email !== undefined) patch.email = body.email || null;
  if (body.emailVerified !== undefined) {
    // Only an email can be verified.
    if (body.emailVerified && !(body.email !== undefined ? body.email : user.email))
      throw new FieldError({ emailVerified: { key: 'admin.user.noEmailToVerify' } });
    patch.emailVerified = body.emailVerified;
  }
  if (body.roles !== undefined) patch.roles = [...new Set(body.roles)];
  if (body.locale !== undefined) patch.locale = body.locale;
  if (body.passwordManaged !== undefined) patch.passwordManaged = body.passwordManaged;
  const current: Record<string, unknown> = {
    displayName: user.displayName,
    email: user.email,
    emailVerified: !!user.email && !!user.emailVerifiedAt,
    roles: user.roles,
    locale: user.locale,
    passwordManaged: user.passwordManaged,
  };
  const changed = Object.keys(patch).filter(
    (k) => JSON.stringify(current[k]) !== JSON.stringify((patch as Record<string, unknown>)[k]),
  );
  await deps.db.transaction(async (trx) => {
    if (changed.length) await updateUserRow(trx, user.id, patch, deps.clock.now());
    await audit(trx, deps, actor, 'admin.user.update', user.id, {
      changed,
      before: Object.fromEntries(changed.map((k) => [k, current[k]])),
      after: Object.fromEntries(changed.map((k) => [k, (patch as Record<string, unknown>)[k]])),
    });
  });
  return userDetail(deps, (await findUserById(deps.db, user.id))!);
}

/** Disabling also ends every session and token of the user. */
export async function setUserStatus(
  deps: AdminDeps,
  actor: Actor,
  ref: string,
  status: 'active' | 'disabled',
): Promise<UserDetail> {
  requirePermission(actor, 'users.write');
  const user = await resolveUser(deps.db, ref);
  if (status === 'disabled' && actor.id === user.id) throw conflict('user.self', 'admin.user.selfDisable');
  const revocation = await deps.db.transaction(async (trx) => {
    await updateUserRow(trx, user.id, { status }, deps.clock.now());
    const r = status === 'disabled' ? await revokeEverything(trx, user.id) : undefined;
    const revoked = r?.revoked ?? 0;
    await audit(
      trx,
      deps,
      actor,
      status === 'disabled' ? 'admin.user.disable' : 'admin.user.enable',
      user.id,
      {
        before: user.status,
        ...(status === 'disabled' ? { revoked } : {}),
      },
    );
    return r;
  });
  if (revocation) await announce(deps, revocation);
  return userDetail(deps, (await findUserById(deps.db, user.id))!);
}

/**
 * Erases a user: their row, credentials, counters, queued notices, group memberships, first-party
 * sessions and every provider session, grant and token (each app signed in gets a back-channel
 * logout). Audit events stay, under a stable pseudonym instead of the user's id and without the
 * login in their details; the deletion itself is audited under the pseudonym.
 */
export async function deleteUser(
  deps: AdminDeps,
  actor: Actor,
  ref: string,
): Promise<{ deleted: string; pseudonym: string; removed: Record<string, number> }> {
  requirePermission(actor, 'users.write');
  const user = await resolveUser(deps.db, ref);
  if (actor.id === user.id) throw conflict('user.self', 'admin.user.selfDelete');
  const pseudonym = `deleted:${deps.box.hmac('audit-pseudonym', user.id).slice(0, 22)}`;
  const { revocation, removed } = await deps.db.transaction(async (trx) => {
    const revocation = await revokeEverything(trx, user.id);
    const removed = await eraseUser(trx, { id: user.id, login: normalizeLogin(user.login) }, pseudonym);
    await audit(trx, deps, actor, 'admin.user.delete', pseudonym, { revoked: revocation.revoked });
    return { revocation, removed };
  });
  // The logouts' own audit events name the pseudonym too.
  await announce(deps, {
    ...revocation,
    logouts: revocation.logouts.map((l) => ({ ...l, auditSubject: pseudonym })),
  });
  return { deleted: user.login, pseudonym, removed };
}

/**
 * Sets a temporary password that must be changed at the next sign-in; unlocks the account and
 * ends its sessions and tokens. The password is returned once and never stored in clear.
 */
export async function resetPassword(
  deps: AdminDeps,
  actor: Actor,
  ref: string,
): Promise<{ user: UserDetail; temporaryPassword: string }> {
  requirePermission(actor, 'users.write');
  const user = await resolveUser(deps.db, ref);
  if (user.passwordManaged === 'external')
    throw conflict('user.password_external', 'admin.user.passwordExternal');
  const temp = temporaryPassword();
  const hash = await hashSecret(temp);
  const now = deps.clock.now();
  const revocation = await deps.db.transaction(async (trx) => {
    if (user.passwordHash) await rememberPassword(trx, user.id, user.passwordHash, now);
    await setPasswordHash(trx, user.id, hash, now);
    await updateUserRow(trx, user.id, { mustChangePassword: true }, now);
    await clearLockout(trx, user.login);
    const r = await revokeEverything(trx, user.id);
    await audit(trx, deps, actor, 'admin.user.reset_password', user.id, {
      revoked: r.revoked,
      mustChangePassword: true,
    });
    return r;
  });
  await announce(deps, revocation);
  const policy = await readPolicy(deps.db);
  if (policy.notifyUserOnReset && deps.notices) {
    await deps.notices.passwordChanged(user, { ip: actor.ip ?? '', userAgent: actor.userAgent ?? '' });
  }
  return { user: await userDetail(deps, (await findUserById(deps.db, user.id))!), temporaryPassword: temp };
}

/**
 * Sets a password the operator chose (the CLI's `user set-password`, checked by the caller), not to
 * be changed at the next sign-in; sessions and the lockout are left as they are.
 */
export async function setUserPassword(
  deps: AdminDeps,
  actor: Actor,
  ref: string,
  password: string,
): Promise<UserDetail> {
  requirePermission(actor, 'users.write');
  const user = await resolveUser(deps.db, ref);
  const hash = await hashSecret(password);
  await deps.db.transaction(async (trx) => {
    await setPasswordHash(trx, user.id, hash, deps.clock.now());
    await audit(trx, deps, actor, 'admin.user.set_password', user.id);
  });
  return userDetail(deps, (await findUserById(deps.db, user.id))!);
}

/** Clears the sign-in lockout (SSPR.md §4), password and second factor, without touching the password. */
export async function unlockUser(deps: AdminDeps, actor: Actor, ref: string): Promise<UserDetail> {
  requirePermission(actor, 'users.unlock');
  const user = await resolveUser(deps.db, ref);
  const was = await lockStatus(deps, user);
  await deps.db.transaction(async (trx) => {
    await clearLocks(trx, user);
    await audit(trx, deps, actor, 'admin.user.unlock', user.id, {
      wasLocked: !!was.lockedUntil,
      failures: was.failures,
    });
  });
  return userDetail(deps, user);
}

/** Removes every registered method, so the user registers again at the next sign-in. */
export async function requireReregistration(deps: AdminDeps, actor: Actor, ref: string): Promise<UserDetail> {
  requirePermission(actor, 'users.write');
  const user = await resolveUser(deps.db, ref);
  const kinds = [...new Set((await listCredentials(deps.db, user.id)).map((c) => c.kind))];
  await deps.db.transaction(async (trx) => {
    const removed = await deleteAllCredentials(trx, user.id);
    await clearSecurityInfoConfirmed(trx, user.id);
    await deleteUserChallenges(trx, user.id);
    await audit(trx, deps, actor, 'admin.user.require_reregistration', user.id, { removed, kinds });
  });
  return userDetail(deps, (await findUserById(deps.db, user.id))!);
}

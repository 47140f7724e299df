import crypto from 'node:crypto';
import { z } from 'zod';
import { announce, revokeEverything } from '../../account/sessions.ts';
import type { Clock } from '../../clock.ts';
import { type Config, LOCALES } from '../../config.ts';
import type { Db, Tx } from '../../db/knex.ts';
import { AppError } from '../../http/errors.ts';
import type { MessageKey } from '../../i18n/index.ts';
import type { MethodRegistry } from '../../methods/registry.ts';
import type { BackchannelDelivery } from '../../oidc/backchannel.ts';
import {
  ADMIN_SCOPE,
  AUTH_METHODS,
  buildMetadata,
  ClientSpecError,
  checkJwks,
  GRANT_TYPES,
  type GrantType,
  ID_TOKEN_ALGS,
  type MetadataOptions,
  normalizeOrigin,
  SECRET_PURPOSE,
} from '../../oidc/clients.ts';
import { countedCredentials } from '../../policy/preregistered.ts';
import {
  POLICY_KEYS,
  type Policy,
  type PolicyKey,
  policyFromSettings,
  policySchema,
  questionSettingsProblem,
} from '../../policy/settings.ts';
import { gatesRequired, inResetScope, resetGatesAvailable } from '../../policy/sspr.ts';
import {
  counterStatus,
  secondFactorCounter,
  secondFactorKey,
  signInCounter,
  signInKey,
} from '../../security/counters.ts';
import { hashSecret } from '../../security/passwords.ts';
import type { SecretBox } from '../../security/secrets.ts';
import { AUDIT_RESULTS, type AuditResult, type AuditRow, recordAudit } from '../../store/audit.ts';
import {
  type AuditFilter,
  deleteAuditBefore,
  iterateAudit,
  maxAuditId,
  queryAudit,
} from '../../store/audit-query.ts';
import { updateClientRow } from '../../store/client-admin.ts';
import {
  type ClientRow,
  deleteClient as deleteClientRow,
  findClient,
  insertClient,
  listClients,
} from '../../store/clients.ts';
import { clearCounters } from '../../store/counters.ts';
import { listCredentials } from '../../store/credentials.ts';
import {
  clearSecurityInfoConfirmed,
  deleteAllCredentials,
  deleteGroup as deleteGroupRow,
  findGroupById,
  listMembers,
  type Member,
  removeMember as removeMemberRow,
  searchUsers,
  type UserSearch,
} from '../../store/directory.ts';
import { eraseUser } from '../../store/erase.ts';
import {
  addMember as addMemberRow,
  createGroup as createGroupRow,
  findGroupByName,
  type Group,
  groupNamesOf,
  listGroups,
} from '../../store/groups.ts';
import { rememberPassword } from '../../store/password-history.ts';
import { readSettings, writeSetting } from '../../store/settings.ts';
import { SWEEP_MAX_BATCHES } from '../../store/sweep.ts';
import {
  createUser as createUserRow,
  DuplicateError,
  findUserById,
  findUserByLogin,
  normalizeLogin,
  type Role,
  setPasswordHash,
  type User,
  updateUser as updateUserRow,
} from '../../store/users.ts';
import { type Actor, requirePermission } from './permissions.ts';
import { FieldError, type FieldMessages, fieldsFromZod, issueMessage, parseOrThrow } from './validation.ts';

/**
 * Administration without Koa: the API, the console and the CLI call these, so each operation checks
 * the same permission, validates the same way and records exactly one audit event with its actor.
 */
export interface AdminDeps {
  db: Db;
  box: SecretBox;
  clock: Clock;
  methods: MethodRegistry;
  /** The provider's client cache, dropped after a client changes. */
  clients?: { invalidate(clientId?: string): void };
  /** Tells a user their password was changed (absent in the CLI). */
  notices?: { passwordChanged(user: User, meta: { ip: string; userAgent: string }): Promise<boolean> };
  /** Called after settings were written (branding is cached for a moment). */
  onSettingsChanged?(): void;
  /** Sends back-channel logout tokens after a reset or disable (absent when the CLI runs alone). */
  backchannel?: BackchannelDelivery;
  /** For notices queued by administration (the issuer, the default language); absent: none are queued. */
  config?: Config;
}

export { ADMIN_CLIENT_ID } from '../../oidc/builtin-clients.ts';
/** Clients Tobira registers itself at start; changes to them would be undone at the next start. */
export const BUILTIN_CLIENTS: ReadonlySet<string> = new Set(['tobira-portal', 'tobira-admin', 'tobira-demo']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const LOGIN_RE = /^[\p{L}\p{N}._@+-]{1,256}$/u;

async function audit(
  db: Tx,
  deps: AdminDeps,
  actor: Actor,
  activity: string,
  subjectId: string | null,
  details: Record<string, unknown> = {},
  result: AuditResult = 'succeeded',
): Promise<void> {
  await recordAudit(db, {
    at: deps.clock.now(),
    actorId: actor.id,
    subjectId,
    activity,
    result,
    ip: actor.ip ?? null,
    userAgent: actor.userAgent ?? null,
    details: { via: actor.via, ...details },
  });
}

const notFound = (what: 'user' | 'group' | 'client') =>
  new AppError(
    `${what}.not_found`,
    404,
    what === 'user'
      ? 'admin.error.userNotFound'
      : what === 'group'
        ? 'admin.error.groupNotFound'
        : 'admin.error.clientNotFound',
  );

const conflict = (code: string, key: MessageKey, field = 'body') =>
  new FieldError({ [field]: { key } }, 409, code);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---------------------------------------------------------------- policy

export async function readPolicy(db: Tx): Promise<Policy> {
  return policyFromSettings(await readSettings(db));
}

export async function getPolicy(deps: AdminDeps, actor: Actor): Promise<Policy> {
  requirePermission(actor, 'policy.read');
  return readPolicy(deps.db);
}

/**
 * Validates every given setting (a message per bad field), then the whole policy as it would be,
 * writes the changed keys in one transaction and records one event with the before and after values.
 */
export async function updatePolicy(
  deps: AdminDeps,
  actor: Actor,
  input: unknown,
): Promise<{ policy: Policy; changed: PolicyKey[] }> {
  requirePermission(actor, 'policy.write');
  if (!isPlainObject(input)) throw new FieldError({ body: { key: 'admin.field.object' } });
  const shape = policySchema.shape as Record<string, z.ZodType>;
  const fields: FieldMessages = {};
  const values: Partial<Record<PolicyKey, unknown>> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(POLICY_KEYS as string[]).includes(key)) {
      fields[key] = { key: 'admin.field.unknown' };
      continue;
    }
    const r = shape[key].safeParse(value);
    if (r.success) values[key as PolicyKey] = r.data;
    else fields[key] = issueMessage(r.error.issues[0], r.error.issues[0].path.length ? undefined : value);
  }
  const before = await readPolicy(deps.db);
  const merged = { ...before, ...values } as Policy;
  if (!fields.resetGroups && !fields.resetScope) {
    if ('resetGroups' in values) {
      const known = new Set((await listGroups(deps.db)).map((g) => g.name));
      const unknown = merged.resetGroups.filter((n) => !known.has(n));
      if (unknown.length)
        fields.resetGroups = { key: 'admin.policy.unknownGroups', params: { names: unknown.join(', ') } };
    }
    if (!fields.resetGroups && merged.resetScope === 'selected' && merged.resetGroups.length === 0) {
      fields.resetGroups = { key: 'admin.policy.groupsRequired' };
    }
  }
  for (const k of Object.keys(values)) {
    const problem = fields[k] ? undefined : questionSettingsProblem(k, merged);
    if (problem) fields[k] = { key: 'admin.field.detail', params: { detail: problem } };
  }
  // Rules over several settings that the schema itself may carry.
  const whole = policySchema.safeParse(merged);
  if (!whole.success) {
    for (const [k, m] of Object.entries(fieldsFromZod(whole.error, merged))) fields[k.split('.')[0]] ??= m;
  }
  if (Object.keys(fields).length) throw new FieldError(fields);

  const changed = (Object.keys(values) as PolicyKey[]).filter(
    (k) => JSON.stringify(before[k]) !== JSON.stringify(values[k]),
  );
  const pick = (p: Record<string, unknown>) => Object.fromEntries(changed.map((k) => [k, p[k]]));
  await deps.db.transaction(async (trx) => {
    const now = deps.clock.now();
    for (const k of changed) await writeSetting(trx, k, values[k], now, actor.id);
    await audit(trx, deps, actor, 'admin.policy.update', null, {
      changed,
      before: pick(before),
      after: pick(values as Record<string, unknown>),
    });
  });
  deps.onSettingsChanged?.();
  return { policy: merged, changed };
}

// ---------------------------------------------------------------- users

export async function resolveUser(db: Tx, ref: string): Promise<User> {
  const u = UUID.test(ref)
    ? await findUserById(db, ref)
    : ref && ref.length <= 256
      ? await findUserByLogin(db, ref)
      : undefined;
  if (!u) throw notFound('user');
  return u;
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
    id: u.id,
    login: u.login,
    displayName: u.displayName,
    email: u.email,
    emailVerified: !!u.email && !!u.emailVerifiedAt,
    status: u.status,
    roles: u.roles,
    passwordManaged: u.passwordManaged,
    mustChangePassword: u.mustChangePassword,
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
  const gates = resetGatesAvailable(policy, subject, resetKinds);
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
 * that must be changed at the first sign-in.
 */
export async function createUser(
  deps: AdminDeps,
  actor: Actor,
  input: unknown,
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
  const temp = external || body.initialPassword === 'none' ? null : temporaryPassword();
  const hash = temp ? await hashSecret(temp) : null;
  const now = deps.clock.now();
  let user: User;
  try {
    user = await deps.db.transaction(async (trx) => {
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
        ...(!external && !temp ? { activated: false } : {}),
      });
      return u;
    });
  } catch (err) {
    if (err instanceof DuplicateError) throw conflict('user.exists', 'admin.user.loginTaken', 'login');
    throw err;
  }
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
  if (revocation) announce(deps, revocation);
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
  announce(deps, {
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
    await clearCounters(trx, [signInKey(normalizeLogin(user.login))]);
    const r = await revokeEverything(trx, user.id);
    await audit(trx, deps, actor, 'admin.user.reset_password', user.id, {
      revoked: r.revoked,
      mustChangePassword: true,
    });
    return r;
  });
  announce(deps, revocation);
  const policy = await readPolicy(deps.db);
  if (policy.notifyUserOnReset && deps.notices) {
    await deps.notices.passwordChanged(user, { ip: actor.ip ?? '', userAgent: actor.userAgent ?? '' });
  }
  return { user: await userDetail(deps, (await findUserById(deps.db, user.id))!), temporaryPassword: temp };
}

/**
 * The sign-in lockout as administrators see it: password failures since the last success, and the
 * lock of the password or of the second factor, whichever ends later.
 */
async function lockStatus(
  deps: AdminDeps,
  user: User,
): Promise<{ failures: number; lockedUntil: Date | null }> {
  const cx = { db: deps.db, clock: deps.clock };
  const pwd = await counterStatus(cx, signInCounter(normalizeLogin(user.login), user.id));
  const second = await counterStatus(cx, secondFactorCounter(user.id));
  const ends = [pwd.lockedUntil, second.lockedUntil].filter((d): d is Date => !!d);
  const lockedUntil = ends.length ? new Date(Math.max(...ends.map((d) => d.getTime()))) : null;
  return { failures: pwd.failures, lockedUntil };
}

/** Clears the sign-in lockout (SSPR.md §4), password and second factor, without touching the password. */
export async function unlockUser(deps: AdminDeps, actor: Actor, ref: string): Promise<UserDetail> {
  requirePermission(actor, 'users.unlock');
  const user = await resolveUser(deps.db, ref);
  const was = await lockStatus(deps, user);
  await deps.db.transaction(async (trx) => {
    await clearCounters(trx, [signInKey(normalizeLogin(user.login)), secondFactorKey(user.id)]);
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
    await trx('challenges').where({ user_id: user.id }).delete();
    await audit(trx, deps, actor, 'admin.user.require_reregistration', user.id, { removed, kinds });
  });
  return userDetail(deps, (await findUserById(deps.db, user.id))!);
}

// ---------------------------------------------------------------- groups

export async function resolveGroup(db: Tx, ref: string): Promise<Group> {
  const g = UUID.test(ref)
    ? await findGroupById(db, ref)
    : ref.length <= 100
      ? await findGroupByName(db, ref)
      : undefined;
  if (!g) throw notFound('group');
  return g;
}

export interface GroupSummary {
  id: string;
  name: string;
  members: number;
  createdAt: string;
  /** Named by the reset policy's "selected groups". */
  inResetPolicy: boolean;
}

export async function listAllGroups(deps: AdminDeps, actor: Actor): Promise<GroupSummary[]> {
  requirePermission(actor, 'groups.read');
  const policy = await readPolicy(deps.db);
  return (await listGroups(deps.db)).map((g) => ({
    id: g.id,
    name: g.name,
    members: g.members,
    createdAt: g.createdAt.toISOString(),
    inResetPolicy: policy.resetGroups.includes(g.name),
  }));
}

export const groupSchema = z.object({ name: z.string().trim().min(1).max(100) }).strict();

export async function createGroup(deps: AdminDeps, actor: Actor, input: unknown): Promise<GroupSummary> {
  requirePermission(actor, 'groups.write');
  const { name } = parseOrThrow(groupSchema, input);
  try {
    return await deps.db.transaction(async (trx) => {
      const g = await createGroupRow(trx, name, deps.clock.now());
      await audit(trx, deps, actor, 'admin.group.create', null, { group: g.name, groupId: g.id });
      return {
        id: g.id,
        name: g.name,
        members: 0,
        createdAt: g.createdAt.toISOString(),
        inResetPolicy: false,
      };
    });
  } catch (err) {
    if (err instanceof DuplicateError) throw conflict('group.exists', 'admin.group.nameTaken', 'name');
    throw err;
  }
}

/** A group the reset policy names cannot be deleted: its members would silently lose password reset. */
export async function deleteGroup(deps: AdminDeps, actor: Actor, ref: string): Promise<void> {
  requirePermission(actor, 'groups.write');
  const g = await resolveGroup(deps.db, ref);
  const policy = await readPolicy(deps.db);
  if (policy.resetGroups.includes(g.name)) throw conflict('group.in_use', 'admin.group.inUse');
  await deps.db.transaction(async (trx) => {
    await deleteGroupRow(trx, g.id);
    await audit(trx, deps, actor, 'admin.group.delete', null, { group: g.name, groupId: g.id });
  });
}

export async function groupMembers(
  deps: AdminDeps,
  actor: Actor,
  ref: string,
): Promise<{ group: Group; members: Member[] }> {
  requirePermission(actor, 'groups.read');
  const group = await resolveGroup(deps.db, ref);
  return { group, members: await listMembers(deps.db, group.id) };
}

export async function addGroupMember(
  deps: AdminDeps,
  actor: Actor,
  groupRef: string,
  userRef: string,
): Promise<boolean> {
  requirePermission(actor, 'groups.write');
  const g = await resolveGroup(deps.db, groupRef);
  const u = await resolveUser(deps.db, userRef);
  return deps.db.transaction(async (trx) => {
    const added = await addMemberRow(trx, g.id, u.id);
    await audit(trx, deps, actor, 'admin.group.add_member', u.id, { group: g.name, groupId: g.id, added });
    return added;
  });
}

export async function removeGroupMember(
  deps: AdminDeps,
  actor: Actor,
  groupRef: string,
  userRef: string,
): Promise<boolean> {
  requirePermission(actor, 'groups.write');
  const g = await resolveGroup(deps.db, groupRef);
  const u = await resolveUser(deps.db, userRef);
  return deps.db.transaction(async (trx) => {
    const removed = await removeMemberRow(trx, g.id, u.id);
    await audit(trx, deps, actor, 'admin.group.remove_member', u.id, {
      group: g.name,
      groupId: g.id,
      removed,
    });
    return removed;
  });
}

// ---------------------------------------------------------------- clients

export interface ClientView {
  clientId: string;
  name: string;
  builtin: boolean;
  firstParty: boolean;
  public: boolean;
  grantTypes: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  scope: string | null;
  /** Granted the admin scope by an administrator (denied by default). */
  admin: boolean;
  idTokenAlg: string;
  authMethod: string;
  jwksUri: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  backchannelLogoutSessionRequired: boolean;
  defaultMaxAge: number | null;
  requireAuthTime: boolean;
  frontchannelLogoutUri: string | null;
  frontchannelLogoutSessionRequired: boolean;
  /** Browser origins allowed at the token, userinfo, revocation and introspection endpoints. */
  corsOrigins: string[];
  createdAt: string;
  updatedAt: string;
}

function clientView(c: ClientRow): ClientView {
  const m = c.metadata as Record<string, any>;
  return {
    clientId: c.clientId,
    name: String(m.client_name ?? c.clientId),
    builtin: BUILTIN_CLIENTS.has(c.clientId),
    firstParty: c.firstParty,
    public: m.token_endpoint_auth_method === 'none',
    grantTypes: m.grant_types ?? [],
    redirectUris: m.redirect_uris ?? [],
    postLogoutRedirectUris: m.post_logout_redirect_uris ?? [],
    backchannelLogoutUri: m.backchannel_logout_uri ?? null,
    scope: m.scope ?? null,
    admin: c.adminGranted,
    idTokenAlg: m.id_token_signed_response_alg ?? 'ES256',
    authMethod: m.token_endpoint_auth_method ?? 'client_secret_basic',
    jwksUri: m.jwks_uri ?? null,
    jwks: m.jwks ?? null,
    backchannelLogoutSessionRequired: !!m.backchannel_logout_session_required,
    defaultMaxAge: typeof m.default_max_age === 'number' ? m.default_max_age : null,
    requireAuthTime: !!m.require_auth_time,
    frontchannelLogoutUri: m.frontchannel_logout_uri ?? null,
    frontchannelLogoutSessionRequired: !!m.frontchannel_logout_session_required,
    corsOrigins: m.cors_origins ?? [],
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

async function resolveClient(db: Tx, clientId: string): Promise<ClientRow> {
  const c = /^[A-Za-z0-9._~-]{1,100}$/.test(clientId) ? await findClient(db, clientId) : undefined;
  if (!c) throw notFound('client');
  return c;
}

function uriOk(u: string): boolean {
  try {
    const url = new URL(u);
    if (url.hash) return false;
    return /^https?:$/.test(url.protocol) || /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol);
  } catch {
    return false;
  }
}

const uri = z
  .string()
  .max(2000)
  .refine(uriOk, { params: { key: 'admin.client.uri' } });
const scopeText = z
  .string()
  .trim()
  .max(500)
  .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/)
  // The admin scope is granted with `admin`, never listed among a client's ordinary scopes.
  .refine((v) => !v.split(' ').includes(ADMIN_SCOPE), { params: { key: 'admin.client.adminInScope' } });

/** The per-client settings relying parties need (issue 11), shared by create and update. */
const clientSettings = {
  idTokenAlg: z.enum(ID_TOKEN_ALGS).optional(),
  authMethod: z.enum(AUTH_METHODS).optional(),
  jwks: z
    .object({ keys: z.array(z.record(z.string(), z.unknown())) })
    .refine((v) => !checkJwks(v), { params: { key: 'admin.client.jwksInvalid' } })
    .optional(),
  jwksUri: uri.refine((u) => /^https?:/.test(u), { params: { key: 'admin.client.uri' } }).optional(),
  backchannelLogoutSessionRequired: z.boolean().optional(),
  defaultMaxAge: z.number().int().min(0).max(31_536_000).optional(),
  requireAuthTime: z.boolean().optional(),
  frontchannelLogoutUri: z
    .string()
    .max(2000)
    .refine((u) => /^https?:$/.test(URL.parse(u)?.protocol ?? '') && !URL.parse(u)?.hash, {
      params: { key: 'frontchannel.admin.uriInvalid' },
    })
    .optional(),
  frontchannelLogoutSessionRequired: z.boolean().optional(),
  corsOrigins: z
    .array(z.string().refine((o) => !!normalizeOrigin(o), { params: { key: 'cors.admin.originInvalid' } }))
    .max(50)
    .optional(),
};

export const createClientSchema = z
  .object({
    clientId: z.string().regex(/^[A-Za-z0-9._~-]{1,100}$/),
    name: z.string().trim().min(1).max(200).optional(),
    redirectUris: z.array(uri).max(50).default([]),
    postLogoutRedirectUris: z.array(uri).max(50).optional(),
    backchannelLogoutUri: uri.optional(),
    grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).max(3).optional(),
    public: z.boolean().optional(),
    firstParty: z.boolean().optional(),
    scope: scopeText.optional(),
    admin: z.boolean().optional(),
    ...clientSettings,
  })
  .strict();

export const updateClientSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    redirectUris: z.array(uri).max(50).optional(),
    postLogoutRedirectUris: z.array(uri).max(50).optional(),
    grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).max(3).optional(),
    scope: scopeText.nullable().optional(),
    firstParty: z.boolean().optional(),
    admin: z.boolean().optional(),
    backchannelLogoutUri: uri.nullable().optional(),
    ...clientSettings,
    jwks: clientSettings.jwks.nullable(),
    jwksUri: clientSettings.jwksUri.nullable(),
    defaultMaxAge: clientSettings.defaultMaxAge.nullable(),
    frontchannelLogoutUri: clientSettings.frontchannelLogoutUri.nullable(),
  })
  .strict();

/** The rules buildMetadata would otherwise report as one CLI-worded message, as field messages. */
function checkClientRules(spec: {
  public?: boolean;
  grantTypes?: readonly string[];
  redirectUris: string[];
}): void {
  const grants = spec.grantTypes?.length ? spec.grantTypes : ['authorization_code', 'refresh_token'];
  const fields: FieldMessages = {};
  if (spec.public && grants.includes('client_credentials'))
    fields.grantTypes = { key: 'admin.client.publicCredentials' };
  if (grants.includes('authorization_code') && !spec.redirectUris.length)
    fields.redirectUris = { key: 'admin.client.redirectRequired' };
  if (Object.keys(fields).length) throw new FieldError(fields);
}

/** buildMetadata's rules that concern one field, worded for that field. */
const SPEC_FIELDS: Array<[RegExp, string, MessageKey]> = [
  [/^--auth-method private_key_jwt/, 'jwks', 'admin.client.jwksRequired'],
  [/^--auth-method/, 'authMethod', 'admin.client.authMethodPublic'],
  [/^--jwks and --jwks-uri/, 'jwks', 'admin.client.jwksOne'],
  [/^--backchannel-logout-session-required/, 'backchannelLogoutSessionRequired', 'admin.client.sidNeedsUri'],
  [
    /^--frontchannel-logout-session-required/,
    'frontchannelLogoutSessionRequired',
    'frontchannel.admin.sidNeedsUri',
  ],
  [/^--frontchannel-logout-uri: .*production/, 'frontchannelLogoutUri', 'frontchannel.admin.httpsRequired'],
  [/^--frontchannel-logout-uri: .*redirect URI/, 'frontchannelLogoutUri', 'frontchannel.admin.sameOrigin'],
  [/^--frontchannel-logout-uri/, 'frontchannelLogoutUri', 'frontchannel.admin.uriInvalid'],
  [/^--cors-origin/, 'corsOrigins', 'cors.admin.originInvalid'],
];

function metadataOrThrow(
  spec: Parameters<typeof buildMetadata>[0],
  opts: MetadataOptions = {},
): Record<string, unknown> {
  try {
    return buildMetadata(spec, opts);
  } catch (err) {
    if (err instanceof ClientSpecError) {
      const hit = SPEC_FIELDS.find(([re]) => re.test(err.message));
      throw new FieldError(hit ? { [hit[1]]: { key: hit[2] } } : { body: { key: 'admin.field.invalid' } });
    }
    throw err;
  }
}

export async function listAllClients(deps: AdminDeps, actor: Actor): Promise<ClientView[]> {
  requirePermission(actor, 'clients.read');
  return (await listClients(deps.db)).map(clientView);
}

export async function getClient(deps: AdminDeps, actor: Actor, clientId: string): Promise<ClientView> {
  requirePermission(actor, 'clients.read');
  return clientView(await resolveClient(deps.db, clientId));
}

const newSecret = () => crypto.randomBytes(32).toString('base64url');

/** Creates a client; a confidential client's secret is returned once and stored encrypted. */
export async function createClient(
  deps: AdminDeps,
  actor: Actor,
  input: unknown,
): Promise<{ client: ClientView; clientSecret: string | null }> {
  requirePermission(actor, 'clients.write');
  const body = parseOrThrow(createClientSchema, input);
  checkClientRules(body);
  const metadata = metadataOrThrow(
    { ...body, grantTypes: body.grantTypes as GrantType[] | undefined },
    { production: deps.config?.production },
  );
  // Every confidential client holds a secret, so its method can change later between the secret
  // methods and private_key_jwt.
  const secret = body.public ? null : newSecret();
  try {
    await deps.db.transaction(async (trx) => {
      await insertClient(
        trx,
        {
          clientId: body.clientId,
          metadata,
          secretEncrypted: secret ? deps.box.encrypt(SECRET_PURPOSE, secret) : null,
          firstParty: !!body.firstParty,
          adminGranted: !!body.admin,
        },
        deps.clock.now(),
      );
      await audit(trx, deps, actor, 'admin.client.create', null, {
        clientId: body.clientId,
        grantTypes: metadata.grant_types,
        redirectUris: metadata.redirect_uris,
        public: !!body.public,
        admin: !!body.admin,
      });
    });
  } catch (err) {
    if (err instanceof DuplicateError) throw conflict('client.exists', 'admin.client.idTaken', 'clientId');
    throw err;
  }
  deps.clients?.invalidate(body.clientId);
  return { client: clientView((await findClient(deps.db, body.clientId))!), clientSecret: secret };
}

function refuseBuiltin(clientId: string): void {
  if (BUILTIN_CLIENTS.has(clientId)) throw conflict('client.builtin', 'admin.client.builtin');
}

export async function updateClient(
  deps: AdminDeps,
  actor: Actor,
  clientId: string,
  input: unknown,
): Promise<ClientView> {
  requirePermission(actor, 'clients.write');
  const body = parseOrThrow(updateClientSchema, input);
  const row = await resolveClient(deps.db, clientId);
  refuseBuiltin(row.clientId);
  const cur = clientView(row);
  const spec = {
    clientId: row.clientId,
    name: body.name ?? cur.name,
    redirectUris: body.redirectUris ?? cur.redirectUris,
    postLogoutRedirectUris: body.postLogoutRedirectUris ?? cur.postLogoutRedirectUris,
    backchannelLogoutUri:
      body.backchannelLogoutUri === null
        ? undefined
        : (body.backchannelLogoutUri ?? cur.backchannelLogoutUri ?? undefined),
    grantTypes: (body.grantTypes ?? cur.grantTypes) as GrantType[],
    public: cur.public,
    firstParty: body.firstParty ?? cur.firstParty,
    scope: body.scope === null ? undefined : (body.scope ?? cur.scope ?? undefined),
    idTokenAlg: body.idTokenAlg ?? cur.idTokenAlg,
    authMethod: body.authMethod ?? cur.authMethod,
    jwks: body.jwks === null ? undefined : (body.jwks ?? cur.jwks ?? undefined),
    jwksUri: body.jwksUri === null ? undefined : (body.jwksUri ?? cur.jwksUri ?? undefined),
    backchannelLogoutSessionRequired:
      body.backchannelLogoutSessionRequired ??
      (body.backchannelLogoutUri === null ? false : cur.backchannelLogoutSessionRequired),
    defaultMaxAge:
      body.defaultMaxAge === null ? undefined : (body.defaultMaxAge ?? cur.defaultMaxAge ?? undefined),
    requireAuthTime: body.requireAuthTime ?? cur.requireAuthTime,
    frontchannelLogoutUri:
      body.frontchannelLogoutUri === null
        ? undefined
        : (body.frontchannelLogoutUri ?? cur.frontchannelLogoutUri ?? undefined),
    frontchannelLogoutSessionRequired:
      body.frontchannelLogoutSessionRequired ??
      (body.frontchannelLogoutUri === null ? false : cur.frontchannelLogoutSessionRequired),
    corsOrigins: body.corsOrigins ?? cur.corsOrigins,
  };
  checkClientRules(spec);
  const metadata = metadataOrThrow(spec, { production: deps.config?.production });
  const next = {
    ...cur,
    name: spec.name,
    redirectUris: metadata.redirect_uris,
    postLogoutRedirectUris: spec.postLogoutRedirectUris,
    grantTypes: metadata.grant_types,
    scope: spec.scope ?? null,
    firstParty: spec.firstParty,
    admin: body.admin ?? cur.admin,
    backchannelLogoutUri: spec.backchannelLogoutUri ?? null,
    idTokenAlg: metadata.id_token_signed_response_alg,
    authMethod: metadata.token_endpoint_auth_method,
    jwksUri: spec.jwksUri ?? null,
    jwks: spec.jwks ?? null,
    backchannelLogoutSessionRequired: !!metadata.backchannel_logout_session_required,
    defaultMaxAge: spec.defaultMaxAge ?? null,
    requireAuthTime: !!spec.requireAuthTime,
    frontchannelLogoutUri: spec.frontchannelLogoutUri ?? null,
    frontchannelLogoutSessionRequired: !!metadata.frontchannel_logout_session_required,
    corsOrigins: (metadata.cors_origins as string[] | undefined) ?? [],
  };
  const keys = [
    'name',
    'redirectUris',
    'postLogoutRedirectUris',
    'grantTypes',
    'scope',
    'firstParty',
    'admin',
    'backchannelLogoutUri',
    'idTokenAlg',
    'authMethod',
    'jwksUri',
    'jwks',
    'backchannelLogoutSessionRequired',
    'defaultMaxAge',
    'requireAuthTime',
    'frontchannelLogoutUri',
    'frontchannelLogoutSessionRequired',
    'corsOrigins',
  ] as const;
  const changed = keys.filter(
    (k) => JSON.stringify(cur[k]) !== JSON.stringify((next as Record<string, unknown>)[k]),
  );
  await deps.db.transaction(async (trx) => {
    await updateClientRow(
      trx,
      row.clientId,
      { metadata, firstParty: spec.firstParty, adminGranted: next.admin },
      deps.clock.now(),
    );
    await audit(trx, deps, actor, 'admin.client.update', null, {
      clientId: row.clientId,
      changed,
      before: Object.fromEntries(changed.map((k) => [k, cur[k]])),
      after: Object.fromEntries(changed.map((k) => [k, (next as Record<string, unknown>)[k]])),
    });
  });
  deps.clients?.invalidate(row.clientId);
  return clientView((await findClient(deps.db, row.clientId))!);
}

/** A new secret replaces the old one at once; tokens already issued stay valid until they expire. */
export async function rotateClientSecret(
  deps: AdminDeps,
  actor: Actor,
  clientId: string,
): Promise<{ client: ClientView; clientSecret: string }> {
  requirePermission(actor, 'clients.write');
  const row = await resolveClient(deps.db, clientId);
  refuseBuiltin(row.clientId);
  if (!row.secretEncrypted) throw conflict('client.public', 'admin.client.noSecret');
  const secret = newSecret();
  await deps.db.transaction(async (trx) => {
    await updateClientRow(
      trx,
      row.clientId,
      { secretEncrypted: deps.box.encrypt(SECRET_PURPOSE, secret) },
      deps.clock.now(),
    );
    await audit(trx, deps, actor, 'admin.client.rotate_secret', null, { clientId: row.clientId });
  });
  deps.clients?.invalidate(row.clientId);
  return { client: clientView((await findClient(deps.db, row.clientId))!), clientSecret: secret };
}

export async function deleteClient(deps: AdminDeps, actor: Actor, clientId: string): Promise<void> {
  requirePermission(actor, 'clients.write');
  const row = await resolveClient(deps.db, clientId);
  refuseBuiltin(row.clientId);
  await deps.db.transaction(async (trx) => {
    await deleteClientRow(trx, row.clientId);
    await audit(trx, deps, actor, 'admin.client.delete', null, { clientId: row.clientId });
  });
  deps.clients?.invalidate(row.clientId);
}

// ---------------------------------------------------------------- audit

export { AUDIT_RESULTS };

const dateParam = z
  .string()
  .max(40)
  .refine((v) => !Number.isNaN(Date.parse(v)), { params: { key: 'admin.audit.badDate' } })
  .transform((v) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v));

/** Filters as given in a query string or a form: dates (ISO), a user (id or login), activity, result. */
export const auditQuerySchema = z.object({
  from: z.union([z.literal(''), dateParam]).optional(),
  to: z.union([z.literal(''), dateParam]).optional(),
  user: z.string().max(256).optional(),
  activity: z
    .string()
    .max(100)
    .regex(/^[a-z0-9_.]*\*?$/)
    .optional(),
  result: z.union([z.literal(''), z.enum(AUDIT_RESULTS)]).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  before: z.coerce.number().int().min(1).optional(),
});
export type AuditQuery = z.output<typeof auditQuerySchema>;

/** Turns query parameters into a store filter; a date given as YYYY-MM-DD for `to` includes that day. */
export async function auditFilter(db: Tx, q: AuditQuery): Promise<AuditFilter | undefined> {
  const f: AuditFilter = {};
  if (q.from instanceof Date) f.from = q.from;
  if (q.to instanceof Date) f.to = q.to;
  if (q.user) {
    const u = UUID.test(q.user) ? await findUserById(db, q.user) : await findUserByLogin(db, q.user);
    // An unknown user matches nothing (but an id of a deleted user still matches its events).
    f.userId = u?.id ?? (UUID.test(q.user) ? q.user : '00000000-0000-0000-0000-000000000000');
  }
  if (q.activity) f.activity = q.activity;
  if (q.result) f.result = q.result;
  return f;
}

export function parseAuditQuery(raw: Record<string, unknown>): AuditQuery {
  const q = parseOrThrow(
    auditQuerySchema,
    Object.fromEntries(Object.entries(raw).filter(([k]) => k in auditQuerySchema.shape)),
  );
  // A plain date as the end of the range means "through that day".
  const toRaw = raw.to;
  if (q.to instanceof Date && typeof toRaw === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(toRaw)) {
    q.to = new Date(q.to.getTime() + 86_400_000);
  }
  return q;
}

export interface AuditView {
  id: number;
  at: string;
  actorId: string | null;
  actor: string | null;
  subjectId: string | null;
  subject: string | null;
  activity: string;
  result: string;
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
}

async function loginsOf(db: Tx, ids: Iterable<string | null | undefined>): Promise<Map<string, string>> {
  const uuids = [...new Set([...ids].filter((x): x is string => !!x && UUID.test(x)))];
  const out = new Map<string, string>();
  if (!uuids.length) return out;
  for (const r of await db('users').whereIn('id', uuids).select('id', 'login')) out.set(r.id, r.login);
  return out;
}

async function views(db: Tx, rows: AuditRow[]): Promise<AuditView[]> {
  const logins = await loginsOf(
    db,
    rows.flatMap((r) => [r.actorId, r.subjectId]),
  );
  const name = (id: string | null | undefined) => (id ? (logins.get(id) ?? id) : null);
  return rows.map((r) => ({
    id: r.id,
    at: r.at.toISOString(),
    actorId: r.actorId ?? null,
    actor: name(r.actorId),
    subjectId: r.subjectId ?? null,
    subject: name(r.subjectId),
    activity: r.activity,
    result: r.result,
    reason: r.reason ?? null,
    ip: r.ip ?? null,
    userAgent: r.userAgent ?? null,
    details: r.details ?? null,
  }));
}

export async function listAuditEvents(
  deps: AdminDeps,
  actor: Actor,
  q: AuditQuery,
): Promise<{ events: AuditView[]; next: number | null }> {
  requirePermission(actor, 'audit.read');
  const f = await auditFilter(deps.db, q);
  const limit = q.limit ?? 100;
  const rows = f ? await queryAudit(deps.db, { ...f, beforeId: q.before }, limit) : [];
  return {
    events: await views(deps.db, rows),
    next: rows.length === limit ? rows[rows.length - 1].id : null,
  };
}

/** "Contact an administrator" requests, for the helpdesk. */
export async function listContactRequests(deps: AdminDeps, actor: Actor, limit = 100): Promise<AuditView[]> {
  requirePermission(actor, 'contacts.read');
  return views(deps.db, await queryAudit(deps.db, { result: 'contacted_admin' }, limit));
}

const FORMULA = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; a cell a spreadsheet
 * would run as a formula (= + - @, tab, CR, and their full-width forms) is prefixed with a quote.
 */
export function csvCell(value: unknown): string {
  let s =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = [
  'id',
  'time',
  'actor_id',
  'actor',
  'subject_id',
  'subject',
  'activity',
  'result',
  'reason',
  'ip',
  'user_agent',
  'details',
];

export function csvRow(e: AuditView): string {
  return [
    e.id,
    e.at,
    e.actorId,
    e.actor,
    e.subjectId,
    e.subject,
    e.activity,
    e.result,
    e.reason,
    e.ip,
    e.userAgent,
    e.details,
  ]
    .map(csvCell)
    .join(',');
}

/**
 * The audit events a filter selects, as CSV lines (with a byte-order mark so spreadsheets read
 * UTF-8). The export is recorded first, but the file holds only events up to the moment it was
 * asked for, so it shows what the filtered listing showed.
 */
export async function exportAuditCsv(
  deps: AdminDeps,
  actor: Actor,
  q: AuditQuery,
): Promise<AsyncGenerator<string>> {
  requirePermission(actor, 'audit.read');
  const f = await auditFilter(deps.db, q);
  const snapshot = await maxAuditId(deps.db);
  await audit(deps.db, deps, actor, 'admin.audit.export', null, {
    filter: {
      from: q.from instanceof Date ? q.from.toISOString() : undefined,
      to: q.to instanceof Date ? q.to.toISOString() : undefined,
      user: q.user || undefined,
      activity: q.activity || undefined,
      result: q.result || undefined,
    },
  });
  const db = deps.db;
  return (async function* lines() {
    yield `\uFEFF${CSV_COLUMNS.join(',')}\r\n`;
    if (!f) return;
    let batch: AuditRow[] = [];
    const flush = async function* () {
      for (const v of await views(db, batch)) yield `${csvRow(v)}\r\n`;
      batch = [];
    };
    for await (const row of iterateAudit(db, { ...f, maxId: snapshot })) {
      batch.push(row);
      if (batch.length >= 500) yield* flush();
    }
    yield* flush();
  })();
}

// ---------------------------------------------------------------- retention

/**
 * Deletes audit events older than the retention setting (0 keeps them forever), in batches taken
 * with SKIP LOCKED; meant for the background sweep of every instance. Returns how many went.
 */
export async function sweepAuditRetention(deps: { db: Db; clock: Clock }): Promise<number> {
  const { auditRetentionDays } = await readPolicy(deps.db);
  if (!auditRetentionDays) return 0;
  const cutoff = new Date(deps.clock.now().getTime() - auditRetentionDays * 86_400_000);
  // Bounded per run (issue 12): 1,000-event transactions through the `at` index, 50 at most.
  let total = 0;
  for (let i = 0; i < SWEEP_MAX_BATCHES; i++) {
    const n = await deps.db.transaction((trx) => deleteAuditBefore(trx, cutoff));
    total += n;
    if (n < 1000) break;
  }
  return total;
}

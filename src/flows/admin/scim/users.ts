import crypto from 'node:crypto';
import type { AppDeps } from '../../../app/deps.ts';
import { LOCALES } from '../../../config.ts';
import type { Policy } from '../../../policy/settings.ts';
import { type Credential, listCredentials } from '../../../store/credentials.ts';
import { findScimUser, type ScimUser, setUserExternalId, touchUser } from '../../../store/scim.ts';
import { normalizeLogin, type User } from '../../../store/users.ts';
import { CONTACT_SLOTS, type ContactSlot, planContactChanges, setContactMethods } from '../contacts.ts';
import type { Actor } from '../permissions.ts';
import * as svc from '../service.ts';
import { audit } from '../shared.ts';
import { ScimError } from './errors.ts';
import { CORE_USER } from './filter.ts';

/*
 * The SCIM User resource (RFC 7643 §4.1) mapped onto a Tobira account, written through the admin
 * services (validation, audit, notices and session revocation are theirs):
 *
 *   userName ↔ login (cannot change)        displayName / name.formatted ↔ name
 *   emails (primary, or type work) ↔ email  active ↔ enabled (false ends every session)
 *   locale / preferredLanguage ↔ language    externalId ↔ stored as given
 *   when the policy's scimContactMethods is on (default):
 *     phoneNumbers type mobile ↔ pre-registered mobile phone, type work ↔ alternate phone,
 *     emails type other ↔ pre-registered alternate email.
 *
 * Passwords are never returned and never accepted: a provisioned person sets a first password
 * through "Can't access your account?" or an invitation. Accounts holding a role (admin, helpdesk)
 * are read-only over SCIM, so a provisioning client cannot take one over.
 */

export type ScimDeps = AppDeps & svc.AdminDeps;

export interface Contacts {
  mobilePhone: string | null;
  alternatePhone: string | null;
  alternateEmail: string | null;
}

export interface UserInput {
  login: string;
  displayName: string;
  email: string | null;
  locale: string | null;
  active: boolean;
  externalId: string | null;
  /** Undefined when the policy leaves contact methods out of SCIM. */
  contacts?: Contacts;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** A member of an object by a case-insensitive name (SCIM attribute names are case-insensitive). */
export function member(o: Record<string, unknown>, name: string): unknown {
  const k = Object.keys(o).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : o[k];
}

const text = (v: unknown, what: string, max: number): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > max)
    throw new ScimError(400, 'invalidValue', 'scim.error.string', { attr: what });
  return v.trim();
};

const slotOf = (c: Credential): ContactSlot | undefined =>
  c.kind === 'email'
    ? 'alternateEmail'
    : c.kind === 'phone'
      ? c.data.type === 'mobile'
        ? 'mobilePhone'
        : 'alternatePhone'
      : undefined;

const credValue = (c: Credential) => String(c.kind === 'email' ? c.data.address : c.data.e164);

/** A language tag (`ja-JP`) as one of Tobira's languages, or null (the default language). */
function localeOf(v: string | null): string | null {
  const lang = v?.split(/[-_]/)[0].toLowerCase();
  return lang && (LOCALES as readonly string[]).includes(lang) ? lang : null;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  // Some clients send "True" / "False" as strings.
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw new ScimError(400, 'invalidValue', 'scim.error.boolean', { attr: what });
}

/** Reads a full User representation (POST, PUT, or a patched resource). */
export function readUser(body: unknown, policy: Policy): UserInput {
  if (!isObject(body)) throw new ScimError(400, 'invalidSyntax', 'scim.error.notObject');
  const schemas = member(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.includes(CORE_USER))
    throw new ScimError(400, 'invalidSyntax', 'scim.error.schemas', { urn: CORE_USER });
  if (member(body, 'password') !== undefined) throw new ScimError(400, 'invalidValue', 'scim.error.password');
  const login = text(member(body, 'userName'), 'userName', 256);
  if (!login) throw new ScimError(400, 'invalidValue', 'scim.error.required', { attr: 'userName' });
  const name = member(body, 'name');
  if (name !== undefined && name !== null && !isObject(name))
    throw new ScimError(400, 'invalidValue', 'scim.error.object', { attr: 'name' });
  const formatted = name ? text(member(name, 'formatted'), 'name.formatted', 200) : null;
  const parts = name
    ? [
        text(member(name, 'givenName'), 'name.givenName', 100),
        text(member(name, 'familyName'), 'name.familyName', 100),
      ]
    : [];
  const displayName =
    text(member(body, 'displayName'), 'displayName', 200) || formatted || parts.filter(Boolean).join(' ');
  const list = (attr: string) => {
    const v = member(body, attr);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.length > 20 || !v.every(isObject))
      throw new ScimError(400, 'invalidValue', 'scim.error.list', { attr });
    return v.map((e) => ({
      value: text(member(e, 'value'), `${attr}.value`, 320) ?? '',
      type: String(member(e, 'type') ?? '').toLowerCase(),
      primary: member(e, 'primary') === true || member(e, 'primary') === 'true',
    }));
  };
  const emails = list('emails');
  const profile =
    emails.find((e) => e.primary) ??
    emails.find((e) => e.type === 'work') ??
    emails.find((e) => e.type !== 'other');
  const phones = list('phoneNumbers');
  const active = member(body, 'active');
  const out: UserInput = {
    login,
    displayName,
    email: profile?.value || null,
    locale: localeOf(
      text(member(body, 'preferredLanguage'), 'preferredLanguage', 35) ??
        text(member(body, 'locale'), 'locale', 35),
    ),
    active: active === undefined || active === null ? true : bool(active, 'active'),
    externalId: text(member(body, 'externalId'), 'externalId', 256) || null,
  };
  if (policy.scimContactMethods) {
    out.contacts = {
      mobilePhone: phones.find((p) => p.type === 'mobile')?.value || null,
      alternatePhone: phones.find((p) => p.type === 'work')?.value || null,
      alternateEmail: emails.find((e) => e.type === 'other' && e !== profile)?.value || null,
    };
  }
  return out;
}

/** The weak ETag of a representation: a digest of everything but its meta. */
export function versionOf(resource: Record<string, unknown>): string {
  const { meta: _meta, ...rest } = resource;
  return `W/"${crypto.createHash('sha256').update(JSON.stringify(rest)).digest('base64url').slice(0, 22)}"`;
}

/** The start of every representation: its schema, id and (when set) externalId. */
export const resourceHead = (schema: string, row: { id: string; externalId: string | null }) => ({
  schemas: [schema],
  id: row.id,
  ...(row.externalId ? { externalId: row.externalId } : {}),
});

/** Sets a representation's meta; its version (the weak ETag) is a digest of the rest, when versioned. */
export function withMeta(
  r: Record<string, unknown>,
  resourceType: 'User' | 'Group',
  row: { createdAt: Date; updatedAt: Date },
  location: string,
  versioned = true,
): Record<string, unknown> {
  r.meta = {
    resourceType,
    created: row.createdAt.toISOString(),
    lastModified: row.updatedAt.toISOString(),
    location,
    ...(versioned ? { version: versionOf(r) } : {}),
  };
  return r;
}

/** Where a resource lives: /scim/v2/Users/{id} or /scim/v2/Groups/{id} of this issuer. */
export function scimLocation(issuer: string, type: 'Users' | 'Groups', id: string): string {
  return `${issuer.replace(/\/$/, '')}/scim/v2/${type}/${id}`;
}

/** The SCIM representation of an account (never a password, never what the user registered). */
export function userResource(
  issuer: string,
  u: ScimUser,
  groups: ReadonlyArray<{ id: string; name: string }>,
  creds: readonly Credential[],
  policy: Policy,
): Record<string, unknown> {
  const org = policy.scimContactMethods ? creds.filter((c) => c.source === 'organization') : [];
  const bySlot = (s: ContactSlot) => org.find((c) => slotOf(c) === s);
  const emails: Record<string, unknown>[] = [];
  if (u.email) emails.push({ value: u.email, type: 'work', primary: true });
  const alt = bySlot('alternateEmail');
  if (alt) emails.push({ value: credValue(alt), type: 'other' });
  const phones: Record<string, unknown>[] = [];
  const mobile = bySlot('mobilePhone');
  if (mobile) phones.push({ value: credValue(mobile), type: 'mobile' });
  const work = bySlot('alternatePhone');
  if (work) phones.push({ value: credValue(work), type: 'work' });
  const r: Record<string, unknown> = {
    ...resourceHead(CORE_USER, u),
    userName: u.login,
    ...(u.displayName ? { name: { formatted: u.displayName }, displayName: u.displayName } : {}),
    ...(emails.length ? { emails } : {}),
    ...(phones.length ? { phoneNumbers: phones } : {}),
    active: u.status === 'active',
    ...(u.locale ? { locale: u.locale, preferredLanguage: u.locale } : {}),
    ...(groups.length
      ? {
          groups: groups.map((g) => ({
            value: g.id,
            display: g.name,
            $ref: scimLocation(issuer, 'Groups', g.id),
          })),
        }
      : {}),
  };
  return withMeta(r, 'User', u, scimLocation(issuer, 'Users', u.id));
}

/** Roles are given in the console, API or CLI; SCIM may not change or erase such an account. */
export function refuseRoleHolder(u: User): void {
  if (u.roles.length) throw new ScimError(403, undefined, 'scim.error.roleHolder');
}

const contactPatch = (c: Contacts, keep: (s: ContactSlot) => boolean) =>
  Object.fromEntries(CONTACT_SLOTS.filter(keep).map((s) => [s, c[s]]));

async function auditExternalId(
  d: ScimDeps,
  actor: Actor,
  id: string,
  before: string | null,
  after: string | null,
) {
  await audit(d.db, d, actor, 'admin.user.external_id', id, { before, after });
}

/** Creates an account "not yet activated" (no password), then its externalId, contacts and status. */
export async function createScimUser(
  d: ScimDeps,
  actor: Actor,
  input: UserInput,
  policy: Policy,
): Promise<string> {
  if (input.contacts) {
    // Checked before anything is written, so a bad phone leaves no account behind.
    const probe = { login: input.login, email: input.email } as User;
    planContactChanges(
      probe,
      [],
      input.contacts,
      d.config?.organizationCountry ?? 'JP',
      policy.allowedPhoneCountries,
    );
  }
  const { user } = await svc.createUser(d, actor, {
    login: input.login,
    ...(input.displayName ? { displayName: input.displayName } : {}),
    ...(input.email ? { email: input.email } : {}),
    ...(input.locale ? { locale: input.locale } : {}),
    initialPassword: 'none',
  });
  if (input.externalId) {
    await setUserExternalId(d.db, user.id, input.externalId, d.clock.now());
    await auditExternalId(d, actor, user.id, null, input.externalId);
  }
  if (input.contacts && CONTACT_SLOTS.some((s) => input.contacts?.[s]))
    await setContactMethods(d, actor, user.id, input.contacts);
  if (!input.active) await svc.setUserStatus(d, actor, user.id, 'disabled');
  return user.id;
}

/** Makes the account what the representation says (PUT, and PATCH after applying its operations). */
export async function replaceScimUser(
  d: ScimDeps,
  actor: Actor,
  u: ScimUser,
  input: UserInput,
): Promise<void> {
  refuseRoleHolder(u);
  if (normalizeLogin(input.login) !== normalizeLogin(u.login))
    throw new ScimError(400, 'mutability', 'scim.error.userNameImmutable');
  const patch: Record<string, unknown> = {};
  if (input.displayName !== u.displayName) patch.displayName = input.displayName;
  if ((input.email ?? null) !== (u.email ?? null)) patch.email = input.email;
  if (input.locale !== (u.locale ?? null)) patch.locale = input.locale;
  let creds: Credential[] = [];
  let owned = new Set<ContactSlot>();
  if (input.contacts) {
    creds = await listCredentials(d.db, u.id);
    // What the user registered themselves is theirs: SCIM neither reads nor overwrites it.
    owned = new Set(creds.filter((c) => c.source !== 'organization').flatMap((c) => slotOf(c) ?? []));
    const probe = { login: u.login, email: input.email } as User;
    planContactChanges(
      probe,
      creds.filter((c) => c.source === 'organization'),
      contactPatch(input.contacts, (s) => !owned.has(s)),
      d.config?.organizationCountry ?? 'JP',
      (await svc.readPolicy(d.db)).allowedPhoneCountries,
    );
  }
  if (Object.keys(patch).length) await svc.updateUser(d, actor, u.id, patch);
  if (input.externalId !== u.externalId) {
    await setUserExternalId(d.db, u.id, input.externalId, d.clock.now());
    await auditExternalId(d, actor, u.id, u.externalId, input.externalId);
  }
  if (input.contacts) {
    const before = fingerprint(creds);
    await setContactMethods(
      d,
      actor,
      u.id,
      contactPatch(input.contacts, (s) => !owned.has(s)),
    );
    if (fingerprint(await listCredentials(d.db, u.id)) !== before) await touchUser(d.db, u.id, d.clock.now());
  }
  const status = input.active ? 'active' : 'disabled';
  if (status !== u.status) await svc.setUserStatus(d, actor, u.id, status);
}

const fingerprint = (creds: readonly Credential[]) =>
  JSON.stringify(
    creds
      .filter((c) => c.source === 'organization')
      .map((c) => [c.kind, c.data])
      .sort(),
  );

export async function loadScimUser(d: ScimDeps, id: string): Promise<ScimUser> {
  const u = await findScimUser(d.db, id);
  if (!u) throw new ScimError(404, undefined, 'scim.error.notFound', { id });
  return u;
}

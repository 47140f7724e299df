import { z } from 'zod';
import { notifyOrganizationMethodChanged, type OrganizationMethodChange } from '../../account/notices.ts';
import type { Config } from '../../config.ts';
import type { Tx } from '../../db/knex.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { isLocale, translator } from '../../i18n/index.ts';
import { maskAddress, normalizeAddress } from '../../methods/email/index.ts';
import { maskPhone, parsePhone } from '../../methods/phone/numbers.ts';
import { type Credential, deleteCredential, listCredentials } from '../../store/credentials.ts';
import {
  insertOrganizationCredential,
  replaceOrganizationCredentialData,
} from '../../store/preregistered.ts';
import { findUserById, lockUser, type User } from '../../store/users.ts';
import { type Actor, requirePermission } from './permissions.ts';
import { type AdminDeps, readPolicy, resolveUser, type UserDetail, userDetail } from './service.ts';
import { audit } from './shared.ts';
import { FieldError, type FieldMessages, parseOrThrow } from './validation.ts';

/*
 * Contact methods an administrator pre-registers for a user (issue 16): the authentication mobile
 * phone, an alternate phone and an alternate email. Nothing else: an administrator can never set or
 * read an authenticator app's secret, a security key or security answers (the schema refuses every
 * other field, and responses carry only masked values of what the organisation itself added).
 */

export const CONTACT_SLOTS = ['mobilePhone', 'alternatePhone', 'alternateEmail'] as const;
export type ContactSlot = (typeof CONTACT_SLOTS)[number];

const value = (max: number) => z.union([z.string().max(max), z.null()]).optional();

export const contactMethodsSchema = z
  .object({
    mobilePhone: value(64),
    alternatePhone: value(64),
    alternateEmail: value(320),
    /** The country of numbers given without +, e.g. "JP" (default: ORGANIZATION_COUNTRY). */
    country: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional(),
  })
  .strict();

export interface ContactMethodView {
  slot: ContactSlot;
  /** Masked, as in the portal: the administrator who set it sees no more than that. */
  value: string;
  source: 'user' | 'organization';
  confirmed: boolean;
  createdAt: string;
}

export type AdminDepsWithConfig = AdminDeps & { config?: Config };

const slotOf = (c: Credential): ContactSlot | undefined => {
  if (c.kind === 'email') return 'alternateEmail';
  if (c.kind !== 'phone') return undefined;
  return c.data.type === 'mobile' ? 'mobilePhone' : 'alternatePhone';
};

const masked = (c: Credential) => (c.kind === 'email' ? maskAddress(c.data.address) : maskPhone(c.data.e164));

export function contactMethodsOf(creds: readonly Credential[]): ContactMethodView[] {
  const out: ContactMethodView[] = [];
  for (const c of creds) {
    const slot = slotOf(c);
    if (!slot) continue;
    out.push({
      slot,
      value: masked(c),
      source: c.source ?? 'user',
      confirmed: c.source !== 'organization' || c.confirmedAt !== null,
      createdAt: c.createdAt.toISOString(),
    });
  }
  return out;
}

const PHONE_ERRORS: Record<string, MessageKey> = {
  missing: 'phone.numberMissing',
  invalid: 'phone.numberInvalid',
  extension: 'phone.extension',
  country: 'phone.countryMissing',
  notAccepted: 'phone.numberNotAccepted',
};

export type Planned =
  | { slot: ContactSlot; op: 'remove'; existing: Credential }
  | { slot: ContactSlot; op: 'add'; kind: string; data: Record<string, unknown> }
  | { slot: ContactSlot; op: 'replace'; existing: Credential; data: Record<string, unknown> };

/** Checks every given slot first; nothing is written when one is wrong. */
export function planContactChanges(
  user: User,
  creds: readonly Credential[],
  body: z.output<typeof contactMethodsSchema>,
  defaultCountry: string,
  allowedCountries: readonly string[],
): Planned[] {
  const fields: FieldMessages = {};
  const conflicts: FieldMessages = {};
  const out: Planned[] = [];
  for (const slot of CONTACT_SLOTS) {
    const given = body[slot];
    if (given === undefined) continue;
    const existing = creds.find((c) => slotOf(c) === slot);
    if (existing && existing.source !== 'organization') {
      // What the user registered themselves is theirs: an administrator cannot redirect it.
      conflicts[slot] = { key: 'admin.contact.userOwned' };
      continue;
    }
    const text = given === null ? '' : given.trim();
    if (!text) {
      if (existing) out.push({ slot, op: 'remove', existing });
      continue;
    }
    let kind: string;
    let data: Record<string, unknown>;
    if (slot === 'alternateEmail') {
      const r = normalizeAddress(text);
      if (!r.ok) {
        fields[slot] = {
          key: r.error === 'tooLong' ? 'admin.field.tooLong' : 'emailMethod.addressInvalid',
          params: { max: 254 },
        };
        continue;
      }
      const lower = r.address.toLowerCase();
      if (lower === user.login.toLowerCase() || lower === (user.email ?? '').toLowerCase()) {
        fields[slot] = { key: 'admin.contact.emailIsProfile' };
        continue;
      }
      kind = 'email';
      data = { address: r.address };
    } else {
      const r = parsePhone(text, body.country ?? defaultCountry);
      if (!r.ok) {
        fields[slot] = { key: PHONE_ERRORS[r.error] };
        continue;
      }
      if (allowedCountries.length && !allowedCountries.includes(r.phone.country)) {
        fields[slot] = { key: 'phone.countryNotAllowed' };
        continue;
      }
      if (slot === 'mobilePhone' && !r.phone.textable) {
        fields[slot] = { key: 'phone.notMobile' };
        continue;
      }
      kind = 'phone';
      data = {
        e164: r.phone.e164,
        country: r.phone.country,
        type: slot === 'mobilePhone' ? 'mobile' : 'alternate',
      };
    }
    if (!existing) out.push({ slot, op: 'add', kind, data });
    else if (JSON.stringify(existing.data) !== JSON.stringify({ ...existing.data, ...data }))
      out.push({ slot, op: 'replace', existing, data });
  }
  if (Object.keys(fields).length) throw new FieldError(fields);
  if (Object.keys(conflicts).length) throw new FieldError(conflicts, 409, 'contact.user_owned');
  return out;
}

export interface ContactChange {
  slot: ContactSlot;
  change: OrganizationMethodChange;
  /** The masked value. */
  label: string;
}

/** Writes planned changes (inside the caller's transaction); returns them with masked values. */
export async function applyContactChanges(
  trx: Tx,
  userId: string,
  steps: readonly Planned[],
  now: Date,
): Promise<ContactChange[]> {
  const done: ContactChange[] = [];
  for (const s of steps) {
    let label: string;
    if (s.op === 'remove') {
      await deleteCredential(trx, userId, s.existing.id);
      label = masked(s.existing);
    } else if (s.op === 'add') {
      const c = await insertOrganizationCredential(
        trx,
        userId,
        { kind: s.kind, label: '', data: s.data },
        now,
      );
      label = masked(c);
    } else {
      await replaceOrganizationCredentialData(trx, userId, s.existing.id, s.data, now);
      label = masked({ ...s.existing, data: s.data });
    }
    const change: OrganizationMethodChange =
      s.op === 'add' ? 'added' : s.op === 'replace' ? 'replaced' : 'removed';
    done.push({ slot: s.slot, change, label });
  }
  return done;
}

/** Queues one notice per change to the user (needs the configuration; without it, none). */
export async function notifyContactChanges(
  deps: AdminDepsWithConfig,
  user: User,
  changes: readonly ContactChange[],
  actor: Actor,
): Promise<void> {
  const config = deps.config;
  if (!config) return;
  const t = translator(isLocale(user.locale) ? user.locale : config.defaultLocale);
  for (const c of changes) {
    await notifyOrganizationMethodChanged(
      { db: deps.db, box: deps.box, clock: deps.clock, config },
      user,
      c.change,
      `${t(`admin.contact.slot.${c.slot}` as MessageKey)}: ${c.label}`,
      { ip: actor.ip, userAgent: actor.userAgent },
    );
  }
}

/**
 * Sets, replaces or removes the contact methods the organisation pre-registered for a user. Each
 * change is one audit event (masked values only) and one notice to the user.
 */
export async function setContactMethods(
  deps: AdminDepsWithConfig,
  actor: Actor,
  ref: string,
  input: unknown,
): Promise<UserDetail & { contactMethods: ContactMethodView[] }> {
  requirePermission(actor, 'users.write');
  const body = parseOrThrow(contactMethodsSchema, input);
  const user = await resolveUser(deps.db, ref);
  const policy = await readPolicy(deps.db);
  const changes = await deps.db.transaction(async (trx) => {
    // One administrator change at a time per user (and against the user's own registrations).
    await lockUser(trx, user.id);
    const creds = await listCredentials(trx, user.id);
    const steps = planContactChanges(
      user,
      creds,
      body,
      deps.config?.organizationCountry ?? 'JP',
      policy.allowedPhoneCountries,
    );
    const now = deps.clock.now();
    const done = await applyContactChanges(trx, user.id, steps, now);
    if (!done.length) return done;
    await audit(trx, deps, actor, 'admin.user.contact_methods', user.id, {
      changes: done.map((d) => ({ slot: d.slot, change: d.change, value: d.label })),
    });
    return done;
  });
  await notifyContactChanges(deps, user, changes, actor);
  const fresh = (await findUserById(deps.db, user.id))!;
  return {
    ...(await userDetail(deps, fresh)),
    contactMethods: contactMethodsOf(await listCredentials(deps.db, user.id)),
  };
}

export async function getContactMethods(
  deps: AdminDeps,
  actor: Actor,
  ref: string,
): Promise<{ contactMethods: ContactMethodView[] }> {
  requirePermission(actor, 'users.read');
  const user = await resolveUser(deps.db, ref);
  return { contactMethods: contactMethodsOf(await listCredentials(deps.db, user.id)) };
}

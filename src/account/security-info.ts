import { AppError } from '../errors.ts';
import type { Translate } from '../i18n/index.ts';
import { credentialKindOf } from '../methods/registry.ts';
import type { FlowId, MethodContext, MethodInput, MethodView, VerificationMethod } from '../methods/types.ts';
import type { Policy } from '../policy/settings.ts';
import { offeredForReset } from '../policy/sspr.ts';
import {
  type Credential,
  deleteCredential,
  findCredential,
  insertCredential,
  listCredentials,
  renameCredential,
  setDefaultCredential,
} from '../store/credentials.ts';
import { confirmOrganizationCredential } from '../store/preregistered.ts';
import { lockUser, type User, updateSecurityInfoConfirmed } from '../store/users.ts';
import { auditOwn } from './audit.ts';
import type { AccountDeps, RequestMeta } from './types.ts';

/**
 * Registering, listing and removing security info: shared by the portal and the registration
 * wizard at sign-in. Knows methods only through the registry.
 */

export interface MethodRow {
  id: string;
  kind: string;
  label: string;
  isDefault: boolean;
  signIn: boolean;
  reset: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  renamable: boolean;
  /** Pre-registered by the organisation ("added by your organisation"). */
  organization: boolean;
  /** false for a pre-registered method the user has not confirmed yet. */
  confirmed: boolean;
}

export function describeAll(deps: AccountDeps, creds: Credential[], t: Translate): MethodRow[] {
  const rows: MethodRow[] = [];
  for (const c of creds) {
    const m = deps.methods.forCredential(c.kind);
    if (!m) continue;
    const users = deps.methods.usable([c], 'signIn').length > 0;
    rows.push({
      id: c.id,
      kind: c.kind,
      label: m.describe(c, t),
      isDefault: c.isDefault,
      signIn: users,
      reset: deps.methods.usable([c], 'reset').length > 0,
      renamable: !!m.renamable,
      createdAt: c.createdAt,
      lastUsedAt: c.lastUsedAt,
      organization: c.source === 'organization',
      confirmed: c.source !== 'organization' || c.confirmedAt !== null,
    });
  }
  return rows;
}

/**
 * Methods a user may add now: offered by policy (sign-in methods always are), below the limit; one
 * entry per kind of stored credential (a phone serves both texts and calls).
 */
export function addableMethods(
  deps: AccountDeps,
  policy: Policy,
  user: User,
  creds: Credential[],
): VerificationMethod[] {
  const seen = new Set<string>();
  return deps.methods.all().filter((m) => {
    const ck = credentialKindOf(m);
    if (seen.has(ck)) return false;
    if (m.notForAdmins && user.roles.includes('admin')) return false;
    const offered = m.usableFor.signIn || offeredForReset(policy, m.kind);
    const ok = offered && creds.filter((c) => c.kind === ck).length < m.maxPerUser;
    if (ok) seen.add(ck);
    return ok;
  });
}

/** The method `kind` when the user may add one now (given what they have), else a 400. */
async function addableMethod(deps: AccountDeps, cx: MethodContext, user: User, kind: string) {
  const creds = await listCredentials(deps.db, user.id);
  const m = addableMethods(deps, cx.policy, user, creds).find((x) => x.kind === kind);
  if (!m) throw new AppError('security_info.not_addable', 400, 'securityInfo.notAddable');
  return m;
}

const notFound = () => new AppError('security_info.not_found', 404, 'securityInfo.notFound');

/** The user's own credential `id` when `fits` it; else not found (another user's is never told apart). */
async function ownCredential(
  deps: AccountDeps,
  user: User,
  id: string,
  fits: (c: Credential) => boolean = () => true,
): Promise<Credential> {
  const cred = await findCredential(deps.db, user.id, id);
  if (!cred || !fits(cred)) throw notFound();
  return cred;
}

export async function beginEnroll(
  deps: AccountDeps,
  cx: MethodContext,
  user: User,
  kind: string,
  flow: FlowId,
): Promise<MethodView> {
  const m = await addableMethod(deps, cx, user, kind);
  return m.enroll.begin(cx, user, flow, {});
}

export type FinishResult =
  | { ok: true; credential: Credential }
  /** `step`: not a failure but the enrolment's next step (a code was sent); `error` carries its message. */
  | { ok: false; error: AppError; step?: true };

export async function finishEnroll(
  deps: AccountDeps,
  cx: MethodContext,
  user: User,
  kind: string,
  flow: FlowId,
  input: MethodInput,
  meta: RequestMeta,
): Promise<FinishResult> {
  const m = await addableMethod(deps, cx, user, kind);
  const r = await m.enroll.finish(cx, user, flow, input);
  const now = deps.clock.now();
  if (!r.ok && r.step) {
    return { ok: false, step: true, error: new AppError(`security_info.${r.error}`, 200, r.error, r.params) };
  }
  if (!r.ok) {
    await auditOwn(deps.db, now, user.id, meta, {
      activity: 'security_info.add',
      result: 'failed',
      reason: r.error,
      details: { kind },
    });
    return { ok: false, error: new AppError(`security_info.${r.error}`, 400, r.error, r.params) };
  }
  const credential = await deps.db.transaction(async (trx) => {
    // The limit is checked again under a lock of the user's row, so two tabs cannot both pass it.
    await lockUser(trx, user.id);
    const current = await listCredentials(trx, user.id);
    if (current.filter((c) => c.kind === credentialKindOf(m)).length >= m.maxPerUser) {
      throw new AppError('security_info.limit', 400, 'securityInfo.limit', { max: m.maxPerUser });
    }
    const c = await insertCredential(trx, user.id, r.credential, now);
    if (deps.methods.usable([c], 'signIn').length && !current.some((x) => x.isDefault)) {
      await setDefaultCredential(trx, user.id, c.id);
    }
    await updateSecurityInfoConfirmed(trx, user.id, now);
    await auditOwn(trx, now, user.id, meta, {
      activity: 'security_info.add',
      result: 'succeeded',
      details: { kind, credentialId: c.id },
    });
    return c;
  });
  await deps.notices.securityInfoChanged(
    user,
    'added',
    m.describe(credential, deps.translatorFor(user)),
    meta,
  );
  return { ok: true, credential };
}

export async function removeMethod(
  deps: AccountDeps,
  user: User,
  credentialId: string,
  meta: RequestMeta,
): Promise<void> {
  const now = deps.clock.now();
  const cred = await ownCredential(deps, user, credentialId);
  const m = deps.methods.forCredential(cred.kind);
  await deps.db.transaction(async (trx) => {
    await deleteCredential(trx, user.id, cred.id);
    if (cred.isDefault) {
      const rest = await listCredentials(trx, user.id);
      const next = rest.find((c) => deps.methods.usable([c], 'signIn').length > 0);
      await setDefaultCredential(trx, user.id, next?.id ?? null);
    }
    await auditOwn(trx, now, user.id, meta, {
      activity: 'security_info.remove',
      result: 'succeeded',
      details: { kind: cred.kind, credentialId: cred.id },
    });
  });
  const label = m ? m.describe(cred, deps.translatorFor(user)) : cred.kind;
  await deps.notices.securityInfoChanged(user, 'removed', label, meta);
}

export async function chooseDefault(
  deps: AccountDeps,
  user: User,
  credentialId: string,
  meta: RequestMeta,
): Promise<void> {
  const cred = await ownCredential(
    deps,
    user,
    credentialId,
    (c) => deps.methods.usable([c], 'signIn').length > 0,
  );
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await setDefaultCredential(trx, user.id, cred.id);
    await auditOwn(trx, now, user.id, meta, {
      activity: 'security_info.default',
      result: 'succeeded',
      details: { kind: cred.kind, credentialId: cred.id },
    });
  });
  const m = deps.methods.forCredential(cred.kind)!;
  await deps.notices.securityInfoChanged(
    user,
    'default_changed',
    m.describe(cred, deps.translatorFor(user)),
    meta,
  );
}

/** Confirms that the registered security info is still right (reconfirmation prompt). */
export async function confirmSecurityInfo(deps: AccountDeps, user: User, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now();
  await updateSecurityInfoConfirmed(deps.db, user.id, now);
  await auditOwn(deps.db, now, user.id, meta, {
    activity: 'security_info.reconfirm',
    result: 'succeeded',
  });
}

/** Renames a registered method (its label only): 1–64 characters, no control characters. */
export async function renameMethod(
  deps: AccountDeps,
  user: User,
  credentialId: string,
  rawName: string,
  meta: RequestMeta,
): Promise<void> {
  const name = rawName.normalize('NFC').trim();
  const length = [...name].length;
  if (length < 1 || length > 64 || /\p{Cc}/u.test(name)) {
    throw new AppError('security_info.name_invalid', 400, 'portal.renameInvalid');
  }
  const cred = await ownCredential(
    deps,
    user,
    credentialId,
    (c) => !!deps.methods.forCredential(c.kind)?.renamable,
  );
  if (!(await renameCredential(deps.db, user.id, cred.id, name))) throw notFound();
  await auditOwn(deps.db, deps.clock.now(), user.id, meta, {
    activity: 'security_info.rename',
    result: 'succeeded',
    details: { kind: cred.kind, credentialId: cred.id },
  });
}

/**
 * The user confirms a method the organisation pre-registered: it is theirs from now on (it counts
 * for reset under every policy). Audited and notified like any change of security info.
 */
export async function confirmOrganizationMethod(
  deps: AccountDeps,
  user: User,
  credentialId: string,
  meta: RequestMeta,
): Promise<void> {
  const cred = await ownCredential(deps, user, credentialId, (c) => c.source === 'organization');
  const now = deps.clock.now();
  const confirmed = await deps.db.transaction(async (trx) => {
    const ok = await confirmOrganizationCredential(trx, user.id, cred.id, now);
    if (ok) {
      await auditOwn(trx, now, user.id, meta, {
        activity: 'security_info.confirm',
        result: 'succeeded',
        details: { kind: cred.kind, credentialId: cred.id, source: 'organization' },
      });
    }
    return ok;
  });
  if (confirmed) {
    const m = deps.methods.forCredential(cred.kind);
    await deps.notices.securityInfoChanged(
      user,
      'added',
      m ? m.describe(cred, deps.translatorFor(user)) : cred.kind,
      meta,
    );
  }
}

/** A pre-registered method used successfully (a code arrived and was typed) is confirmed by that use. */
export async function confirmByUse(deps: AccountDeps, user: User, credentialId: string): Promise<void> {
  const cred = await findCredential(deps.db, user.id, credentialId);
  if (cred?.source !== 'organization' || cred.confirmedAt) return;
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    if (!(await confirmOrganizationCredential(trx, user.id, cred.id, now))) return;
    await auditOwn(trx, now, user.id, undefined, {
      activity: 'security_info.confirm',
      result: 'succeeded',
      reason: 'used',
      details: { kind: cred.kind, credentialId: cred.id, source: 'organization' },
    });
  });
}

import type { MessageKey } from '../i18n/index.ts';
import { checkPassword as checkPolicy } from '../policy/password.ts';
import { guard, signInCounter } from '../security/counters.ts';
import { hashSecret, verifySecret } from '../security/passwords.ts';
import type { Activity } from '../store/audit.ts';
import { recentPasswordHashes, rememberPassword } from '../store/password-history.ts';
import { normalizeLogin, setPasswordHash, type User } from '../store/users.ts';
import { auditOwn } from './audit.ts';
import { announce, type Revocation, revokeEverything } from './sessions.ts';
import type { AccountDeps, RequestMeta } from './types.ts';

export type Reason = { key: MessageKey; params?: Record<string, string | number> };
/** `locked`: the account's sign-in lockout refused the current password. */
export type SetPasswordResult = { ok: true } | { ok: false; reasons: Reason[]; locked?: boolean };

/**
 * Checks a new password against the policy (SSPR.md §2), including the last N passwords, and stores
 * it with the old hash kept in the history. Shared by the portal, the reset flow and the forced
 * change at sign-in. Every session, grant and token of the user ends with the old password, except
 * the first-party session `keepFirstParty` (the portal session in which the user changed it).
 */
export async function setNewPassword(
  deps: AccountDeps,
  user: User,
  next: string,
  confirm: string,
  meta: RequestMeta,
  activity: Activity,
  keepFirstParty?: string,
): Promise<SetPasswordResult> {
  const policy = await deps.policy();
  if (next !== confirm) return { ok: false, reasons: [{ key: 'portal.password.mismatch' }] };
  const history = [
    user.passwordHash,
    ...(await recentPasswordHashes(deps.db, user.id, policy.passwordHistory)),
  ]
    .filter((h): h is string => !!h)
    .slice(0, policy.passwordHistory);
  const verdict = await checkPolicy(next, {
    minLength: policy.passwordMinLength,
    login: user.login,
    displayName: user.displayName,
    organizationName: policy.organizationName,
    bannedTerms: policy.bannedPasswords,
    isInHistory: async (pw) => {
      for (const h of history) if (await verifySecret(h, pw)) return true;
      return false;
    },
  });
  if (!verdict.ok) {
    return {
      ok: false,
      reasons: verdict.reasons.map((r) => ({
        key: r.code as MessageKey,
        params: 'params' in r ? r.params : undefined,
      })),
    };
  }
  const hash = await hashSecret(next);
  const now = deps.clock.now();
  const revocation: Revocation = await deps.db.transaction(async (trx) => {
    if (user.passwordHash) await rememberPassword(trx, user.id, user.passwordHash, now);
    await setPasswordHash(trx, user.id, hash, now);
    const r = await revokeEverything(trx, user.id, { keepFirstParty });
    await auditOwn(trx, now, user.id, meta, {
      activity,
      result: 'succeeded',
      details: { revoked: r.revoked },
    });
    return r;
  });
  await announce(deps, revocation);
  return { ok: true };
}

/**
 * The portal's "change password": the current password is required, and checking it is a sign-in
 * attempt: it is reserved in the account's sign-in lockout before argon2 runs, a wrong one counts
 * toward the lock, and a locked account's current password is refused unevaluated. The portal
 * session it is made in (`keepSession`) stays; every other session of the user ends.
 */
export async function changePassword(
  deps: AccountDeps,
  user: User,
  input: { current: string; next: string; confirm: string },
  meta: RequestMeta,
  keepSession?: string,
): Promise<SetPasswordResult> {
  const audit = (activity: Activity, result: 'failed' | 'blocked', reason: string) =>
    auditOwn(deps.db, deps.clock.now(), user.id, meta, {
      activity,
      result,
      reason,
    });
  const g = await guard(deps, signInCounter(normalizeLogin(user.login), user.id), async () => {
    const right = await verifySecret(user.passwordHash, input.current.slice(0, 1024));
    return { value: right, outcome: right ? 'success' : 'failure' };
  });
  if (g.refused || g.blocked) {
    if (!g.refused) await audit('password.change', 'failed', 'current password wrong');
    if (!g.refused && g.lockedNow && g.state.lockedUntil) {
      const seconds = Math.round((g.state.lockedUntil.getTime() - deps.clock.now().getTime()) / 1000);
      await audit('signin.lockout', 'blocked', `locked for ${seconds}s`);
    }
    if (g.refused || g.value) await audit('password.change', 'blocked', 'locked');
    return { ok: false, locked: true, reasons: [{ key: 'portal.password.locked' }] };
  }
  if (!g.value) {
    await audit('password.change', 'failed', 'current password wrong');
    return { ok: false, reasons: [{ key: 'portal.password.currentWrong' }] };
  }
  const r = await setNewPassword(deps, user, input.next, input.confirm, meta, 'password.change', keepSession);
  if (r.ok) await deps.notices.passwordChanged(user, meta);
  return r;
}

import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/knex.ts';
import { isLocked, registerFailure } from '../../policy/lockout.ts';
import { hashSecret, needsRehash, verifySecret } from '../../security/passwords.ts';
import { recordAudit } from '../../store/audit.ts';
import { clearThrottle, lockThrottle, readThrottle, writeThrottle } from '../../store/throttle.ts';
import { findUserByLogin, normalizeLogin, setPasswordHash, type User } from '../../store/users.ts';

export interface RequestMeta {
  ip: string;
  userAgent: string;
}

export type PasswordResult =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid' | 'disabled' | 'unknown' }
  | { ok: false; reason: 'locked'; until: Date };

/**
 * Checks a login and password. Unknown, disabled and wrong-password attempts cost the same argon2
 * verification and give the same answer; failures are counted by the normalized login in the
 * database (so an unknown login locks exactly like a known one, on every instance).
 */
export async function checkPassword(
  deps: { db: Db; clock: Clock },
  login: string,
  password: string,
  meta: RequestMeta,
): Promise<PasswordResult> {
  const key = normalizeLogin(login);
  const now = deps.clock.now();
  const user = login ? await findUserByLogin(deps.db, login) : undefined;
  const audit = (
    result: 'succeeded' | 'failed' | 'blocked',
    reason: string | null,
    activity = 'signin.password',
  ) =>
    recordAudit(deps.db, {
      at: now,
      actorId: user?.id ?? null,
      subjectId: user?.id ?? null,
      activity,
      result,
      reason,
      ip: meta.ip,
      userAgent: meta.userAgent,
      details: user ? null : { login: login.slice(0, 256) },
    });

  const throttle = await readThrottle(deps.db, key);
  if (isLocked(throttle, now)) {
    await audit('blocked', 'locked');
    return { ok: false, reason: 'locked', until: throttle.lockedUntil! };
  }

  const valid = await verifySecret(user?.passwordHash, password);
  let result: PasswordResult;
  if (!user) result = { ok: false, reason: 'unknown' };
  else if (!valid) result = { ok: false, reason: 'invalid' };
  else if (user.status !== 'active') result = { ok: false, reason: 'disabled' };
  else result = { ok: true, user };

  if (result.ok) {
    if (throttle.failures || throttle.lockCount) await clearThrottle(deps.db, key);
    if (user?.passwordHash && needsRehash(user.passwordHash)) {
      await setPasswordHash(deps.db, user.id, await hashSecret(password), now, false);
    }
    await audit('succeeded', null);
    return result;
  }

  const after = await deps.db.transaction(async (trx) => {
    const next = registerFailure(await lockThrottle(trx, key, now), now);
    await writeThrottle(trx, key, next, now);
    return next;
  });
  await audit('failed', result.reason);
  if (isLocked(after, now)) {
    await audit(
      'blocked',
      `locked for ${Math.round((after.lockedUntil!.getTime() - now.getTime()) / 1000)}s`,
      'signin.lockout',
    );
    return { ok: false, reason: 'locked', until: after.lockedUntil! };
  }
  return result;
}

/** A successful reset or an administrator clears the lock (SSPR.md §4). */
export async function clearLockout(db: Db, login: string): Promise<void> {
  await clearThrottle(db, normalizeLogin(login));
}

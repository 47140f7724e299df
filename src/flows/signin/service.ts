import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/knex.ts';
import { hashSecret, needsRehash, verifySecret } from '../../security/passwords.ts';
import { recordAudit } from '../../store/audit.ts';
import { findUserByLogin, setPasswordHash, type User } from '../../store/users.ts';

export interface RequestMeta {
  ip: string;
  userAgent: string;
}

export type PasswordResult =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid' | 'disabled' | 'unknown' };

/**
 * Checks a login and password. Unknown, disabled and wrong-password attempts cost the same argon2
 * verification and give the same answer to the caller's page; only the audit log tells them apart.
 */
export async function checkPassword(
  deps: { db: Db; clock: Clock },
  login: string,
  password: string,
  meta: RequestMeta,
): Promise<PasswordResult> {
  const user = login ? await findUserByLogin(deps.db, login) : undefined;
  const valid = await verifySecret(user?.passwordHash, password);
  const now = deps.clock.now();
  let result: PasswordResult;
  if (!user) result = { ok: false, reason: 'unknown' };
  else if (!valid) result = { ok: false, reason: 'invalid' };
  else if (user.status !== 'active') result = { ok: false, reason: 'disabled' };
  else result = { ok: true, user };

  if (result.ok && user?.passwordHash && needsRehash(user.passwordHash)) {
    await setPasswordHash(deps.db, user.id, await hashSecret(password), now, false);
  }
  await recordAudit(deps.db, {
    at: now,
    actorId: user?.id ?? null,
    subjectId: user?.id ?? null,
    activity: 'signin.password',
    result: result.ok ? 'succeeded' : 'failed',
    reason: result.ok ? null : result.reason,
    ip: meta.ip,
    userAgent: meta.userAgent,
    details: user ? null : { login: login.slice(0, 256) },
  });
  return result;
}

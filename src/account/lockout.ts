import type { Clock } from '../clock.ts';
import type { Db, Tx } from '../db/knex.ts';
import type { VerifyResult } from '../methods/types.ts';
import {
  counterStatus,
  guard,
  type Outcome,
  secondFactorCounter,
  secondFactorKey,
  signInCounter,
  signInKey,
} from '../security/counters.ts';
import { hashSecret, needsRehash, verifySecret } from '../security/passwords.ts';
import { type Activity, type AuditEvent, auditAlong, auditRecorded, recordAudit } from '../store/audit.ts';
import { clearCounters } from '../store/counters.ts';
import type { RideAlong } from '../store/together.ts';
import { findUserByLogin, normalizeLogin, setPasswordHash, type User } from '../store/users.ts';
import { auditOwn } from './audit.ts';
import type { Notices, RequestMeta } from './types.ts';

export type { RequestMeta } from './types.ts';

export type PasswordResult =
  /** `alongWritten`: the caller's `along` writes were made with the success (see checkPassword). */
  | { ok: true; user: User; alongWritten: boolean }
  | { ok: false; reason: 'invalid' | 'disabled' | 'unknown' }
  | { ok: false; reason: 'locked'; until: Date };

/**
 * Checks a login and password. Unknown, disabled and wrong-password attempts cost the same argon2
 * verification and give the same answer; failures are counted by the normalized login in the
 * database (so an unknown login locks exactly like a known one, on every instance).
 *
 * `along`: writes the caller makes anyway after a success (the sign-in drops what its interaction
 * kept and saves its result), or the function that gives them for the user once the password is
 * right. In the common case (no other attempt in flight, nothing locked) they go in the statement
 * that clears the counter, with the success's audit event; `alongWritten` then says so, and the
 * caller makes them itself otherwise. Never written for a failure.
 *
 * That statement's commit does not wait for the WAL flush (security/counters.ts guard), and neither
 * does the reservation's: a success grants nothing by itself. The caller's next durable commit (the
 * sign-in's resume, which consumes the interaction) flushes both before a session exists, so the
 * success's audit event is on disk whenever what it granted is.
 *
 * `known`: the user with this login as the caller already read it in this request (with the
 * interaction, store/oidc.ts findInteractionWith), instead of a read of its own.
 */
export async function checkPassword(
  deps: { db: Db; clock: Clock },
  login: string,
  password: string,
  meta: RequestMeta,
  along: RideAlong[] | ((user: User) => Promise<RideAlong[]>) = [],
  known?: { user: User | undefined },
): Promise<PasswordResult> {
  const key = normalizeLogin(login);
  const now = deps.clock.now();
  const user = known ? known.user : login ? await findUserByLogin(deps.db, login) : undefined;
  const event = (
    result: 'succeeded' | 'failed' | 'blocked',
    reason: string | null,
    activity: Activity = 'signin.password',
  ): AuditEvent => ({
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
  const audit = (...args: Parameters<typeof event>) => recordAudit(deps.db, event(...args));
  const succeeded = event('succeeded', null);

  // The attempt is reserved before argon2 runs: a counter that is locked, or whose last allowed
  // attempts are in flight, refuses without evaluating the password.
  type Judged = { ok: true; user: User } | { ok: false; reason: 'invalid' | 'disabled' | 'unknown' };
  const g = await guard(
    deps,
    signInCounter(key, user?.id ?? null),
    async () => {
      const valid = await verifySecret(user?.passwordHash, password);
      let value: Judged;
      if (!user) value = { ok: false, reason: 'unknown' };
      else if (!valid) value = { ok: false, reason: 'invalid' };
      else if (user.status !== 'active') value = { ok: false, reason: 'disabled' };
      else value = { ok: true, user };
      return { value, outcome: value.ok ? 'success' : 'failure' };
    },
    async (value) => [
      auditAlong(succeeded),
      ...(typeof along === 'function' ? (value.ok ? await along(value.user) : []) : along),
    ],
  );
  if (g.refused) {
    await audit('blocked', 'locked');
    return { ok: false, reason: 'locked', until: g.until ?? now };
  }
  const result = g.value;
  if (result.ok) {
    // A failure racing this success locked the account: the lock holds.
    if (g.blocked) {
      await audit('blocked', 'locked');
      return { ok: false, reason: 'locked', until: g.until ?? now };
    }
    if (user?.passwordHash && needsRehash(user.passwordHash)) {
      await setPasswordHash(deps.db, user.id, await hashSecret(password), now, false);
    }
    if (g.rode) auditRecorded(succeeded);
    else await recordAudit(deps.db, succeeded);
    return { ...result, alongWritten: g.rode };
  }
  await audit('failed', result.reason);
  if (g.blocked) {
    // Only the failure that completed the limit locked it (the others found it locked already).
    if (g.lockedNow && g.state.lockedUntil) {
      await audit(
        'blocked',
        `locked for ${Math.round((g.state.lockedUntil.getTime() - now.getTime()) / 1000)}s`,
        'signin.lockout',
      );
    }
    return { ok: false, reason: 'locked', until: g.until ?? now };
  }
  return result;
}

/** A successful reset or an administrator clears the lock (SSPR.md §4). */
export async function clearLockout(db: Tx, login: string): Promise<void> {
  await clearCounters(db, [signInKey(normalizeLogin(login))]);
}

/** An administrator's unlock: the password's and the second factor's lock, without touching the password. */
export async function clearLocks(db: Tx, user: Pick<User, 'id' | 'login'>): Promise<void> {
  await clearCounters(db, [signInKey(normalizeLogin(user.login)), secondFactorKey(user.id)]);
}

/**
 * The sign-in lockout as administrators see it: password failures since the last success, and the
 * lock of the password or of the second factor, whichever ends later.
 */
export async function lockStatus(
  deps: { db: Db; clock: Clock },
  user: User,
): Promise<{ failures: number; lockedUntil: Date | null }> {
  const cx = { db: deps.db, clock: deps.clock };
  const pwd = await counterStatus(cx, signInCounter(normalizeLogin(user.login), user.id));
  const second = await counterStatus(cx, secondFactorCounter(user.id));
  const ends = [pwd.lockedUntil, second.lockedUntil].filter((d): d is Date => !!d);
  const lockedUntil = ends.length ? new Date(Math.max(...ends.map((d) => d.getTime()))) : null;
  return { failures: pwd.failures, lockedUntil };
}

export type SecondFactorResult =
  | VerifyResult
  /** Not evaluated, or a right answer refused: the account's second factor is locked. */
  | { ok: false; locked: true; until: Date | null };

/**
 * Runs one second-factor verification at sign-in under the account's second-factor lockout: 10
 * failures in any number of interactions lock the second factor for the same doubling periods as
 * passwords (SSPR.md §4). The attempt is reserved before the method checks anything; a right answer
 * is refused while a lock set by racing failures holds. Every attempt is audited; the failure that
 * locks is audited as `signin.second_factor_lockout` and the user is emailed.
 */
export async function verifySecondFactor(
  deps: { db: Db; clock: Clock; notices: Pick<Notices, 'secondFactorLocked'> },
  user: User,
  kind: string,
  verify: () => Promise<VerifyResult>,
  meta: RequestMeta,
): Promise<SecondFactorResult> {
  const audit = (activity: Activity, result: 'succeeded' | 'failed' | 'blocked', reason: string | null) =>
    auditOwn(deps.db, deps.clock.now(), user.id, meta, {
      activity,
      result,
      reason,
      details: { kind },
    });
  const g = await guard(deps, secondFactorCounter(user.id), async () => {
    const value = await verify();
    const outcome: Outcome = value.ok ? 'success' : value.counted === false ? 'uncounted' : 'failure';
    return { value, outcome };
  });
  if (g.refused) {
    await audit('signin.second_factor', 'blocked', SECOND_FACTOR_LOCKED);
    return { ok: false, locked: true, until: g.until };
  }
  const r = g.value;
  if (r.ok && g.blocked) {
    await audit('signin.second_factor', 'blocked', SECOND_FACTOR_LOCKED);
    return { ok: false, locked: true, until: g.until };
  }
  // A new code sent on request is a step of the flow, not a failed attempt.
  if (r.ok || !r.step) {
    await audit(
      'signin.second_factor',
      r.ok ? 'succeeded' : r.exhausted ? 'blocked' : 'failed',
      r.ok ? null : r.error,
    );
  }
  if (g.lockedNow && g.state.lockedUntil) {
    const until = g.state.lockedUntil;
    const seconds = Math.round((until.getTime() - deps.clock.now().getTime()) / 1000);
    await audit('signin.second_factor_lockout', 'blocked', `locked for ${seconds}s`);
    await deps.notices.secondFactorLocked(user, until, meta);
  }
  if (!r.ok && g.blocked) return { ok: false, locked: true, until: g.until };
  return r;
}

/** The audit reason of a second-factor attempt refused by the account's lock (not evaluated). */
export const SECOND_FACTOR_LOCKED = 'second_factor_locked';

import crypto from 'node:crypto';
import { clearLockout, type RequestMeta } from '../../account/lockout.ts';
import { endEverything } from '../../account/sessions.ts';
import type { AppDeps } from '../../app/deps.ts';
import type { VerificationMethod } from '../../methods/types.ts';
import { type CounterRule, isLocked, RESET_ATTEMPT_RULE, RESET_METHOD_RULE } from '../../policy/counters.ts';
import { countedCredentials } from '../../policy/preregistered.ts';
import type { Policy } from '../../policy/settings.ts';
import {
  gatesRequired,
  inResetScope,
  isAdmin,
  offeredForReset,
  resetGatesAvailable,
} from '../../policy/sspr.ts';
import {
  type CounterSpec,
  countEvent,
  counterBlocked,
  type Guarded,
  guard,
  type Outcome,
  signInKey,
} from '../../security/counters.ts';
import { constantTimeEqual } from '../../security/secrets.ts';
import { type Activity, recordAudit } from '../../store/audit.ts';
import { clearUserCounters, readCounter } from '../../store/counters.ts';
import { type Credential, listCredentials } from '../../store/credentials.ts';
import { groupNamesOf } from '../../store/groups.ts';
import {
  changeResetSession,
  createResetSession,
  findResetSession,
  type ResetSession,
} from '../../store/reset-sessions.ts';
import { findUserById, findUserByLogin, normalizeLogin, type User } from '../../store/users.ts';
import {
  RESET_SESSION_MS,
  type ResetEvent,
  type ResetFacts,
  type ResetState,
  type ResetTransition,
  step,
} from './machine.ts';

export { RESET_SESSION_MS, type ResetState } from './machine.ts';

/** 5 reset attempts for one account within an hour lock resets of it for 24 hours. */
export const ATTEMPT_RULE: CounterRule = RESET_ATTEMPT_RULE;
/** 5 failed verifications of one method within an hour block that method for 24 hours. */
export const METHOD_RULE: CounterRule = RESET_METHOD_RULE;

export type Eligibility = 'eligible' | 'external' | 'notEnabled' | 'unverified' | 'blocked';

export const flowOf = (id: string) => `reset:${id}`;

export function attemptKey(login: string) {
  return `reset.account:${normalizeLogin(login)}`;
}
export function methodKey(userId: string, gate: string) {
  return `reset.method:${userId}:${gate}`;
}

export async function startSession(
  deps: AppDeps,
  login: string,
  userId: string | null,
  interaction: string | undefined,
): Promise<{ id: string; secret: string }> {
  const secret = crypto.randomBytes(24).toString('base64url');
  const s = await createResetSession(
    deps.db,
    {
      bind: deps.box.hmac('reset-bind', secret),
      login: login.slice(0, 256),
      userId,
      interaction: interaction ?? null,
    },
    deps.clock.now(),
    RESET_SESSION_MS,
  );
  return { id: s.id, secret };
}

/** The machine's view of a stored session. */
function stateOf(s: ResetSession): ResetState {
  return {
    bind: s.bind,
    login: s.login,
    userId: s.userId,
    gates: s.gates,
    methods: s.methods,
    startedAt: s.startedAt.getTime(),
    ...(s.interaction ? { interaction: s.interaction } : {}),
    ...(s.stage === 'finished' ? { finished: true } : {}),
    ...(s.prechecked.length ? { prechecked: s.prechecked } : {}),
    ...(s.activeMethod ? { activeMethod: s.activeMethod } : {}),
  };
}

/** Loads a live session that belongs to this browser; anything else is "start again". */
export async function loadSession(
  deps: AppDeps,
  cookie: string | undefined,
): Promise<{ id: string; state: ResetState } | undefined> {
  if (!cookie) return undefined;
  const dot = cookie.indexOf('.');
  if (dot < 0) return undefined;
  const id = cookie.slice(0, dot);
  const secret = cookie.slice(dot + 1);
  if (!/^[0-9a-f-]{36}$/.test(id) || !secret) return undefined;
  const s = await findResetSession(deps.db, id, deps.clock.now());
  if (!s) return undefined;
  const expected = deps.box.hmac('reset-bind', secret);
  if (s.stage === 'finished' || !constantTimeEqual(expected, s.bind)) return undefined;
  return { id, state: stateOf(s) };
}

/**
 * Applies one event to the session as stored now, under its row lock: parallel requests of one
 * session each see the state the previous one left (a gate passed in parallel counts once, a
 * finished session finishes once). undefined when the session expired meanwhile.
 */
export async function transition(
  deps: AppDeps,
  id: string,
  facts: ResetFacts,
  event: ResetEvent,
): Promise<ResetTransition | undefined> {
  return changeResetSession<ResetTransition>(deps.db, id, deps.clock.now(), (s) => {
    const t = step(stateOf(s), facts, event);
    if (!t.ok) return { result: t };
    const stage = t.stage === 'expired' ? s.stage : t.stage;
    const { gates, methods, prechecked = [], activeMethod = null } = t.state;
    return { result: t, change: { stage, gates, methods, prechecked, activeMethod } };
  });
}

async function subjectOf(deps: AppDeps, user: User) {
  return { roles: user.roles, groups: await groupNamesOf(deps.db, user.id) };
}

/** Methods this user may use at reset under the policy: never questions for administrators. */
export function resetOptions(
  deps: AppDeps,
  policy: Policy,
  user: User,
  creds: Credential[],
): Array<{ method: VerificationMethod; credentials: Credential[] }> {
  return deps.methods
    .usable(countedCredentials(policy, creds), 'reset')
    .filter((o) => offeredForReset(policy, o.method.kind))
    .filter((o) => !(o.method.notForAdmins && isAdmin(user)));
}

/** SSPR.md §3 step 1, in its order; the fold option makes every refusal the same page. */
export async function eligibility(
  deps: AppDeps,
  policy: Policy,
  login: string,
): Promise<{ result: Eligibility; user?: User }> {
  const user = await findUserByLogin(deps.db, login);
  const fold = (r: Eligibility): Eligibility =>
    policy.foldEligibilityMessages && r !== 'eligible' ? 'unverified' : r;
  if (user && user.passwordManaged === 'external') return { result: fold('external'), user };
  const subject = user ? await subjectOf(deps, user) : undefined;
  if (user && subject && !inResetScope(policy, subject)) return { result: fold('notEnabled'), user };
  if (!user || !subject || user.status !== 'active') return { result: 'unverified' };
  const creds = await listCredentials(deps.db, user.id);
  const kinds = resetOptions(deps, policy, user, creds).map((o) => o.method.kind);
  if (
    resetGatesAvailable(policy, subject, kinds, deps.methods.gateOf).length < gatesRequired(policy, subject)
  ) {
    return { result: 'unverified', user };
  }
  return { result: 'eligible', user };
}

const methodCounter = (deps: AppDeps, userId: string, kind: string): CounterSpec => ({
  key: methodKey(userId, deps.methods.gateOf(kind)),
  rule: METHOD_RULE,
  userId,
});

/**
 * Takes one of the account's reset attempts (5 an hour), before anything else is looked at; false
 * when resets of it are locked. The fifth attempt is taken and locks.
 */
export async function takeAttempt(deps: AppDeps, login: string, userId: string | null): Promise<boolean> {
  return (await countEvent(deps, { key: attemptKey(login), rule: ATTEMPT_RULE, userId })).ok;
}

export async function methodBlocked(deps: AppDeps, userId: string, kind: string): Promise<boolean> {
  return counterBlocked(deps, methodCounter(deps, userId, kind));
}

/**
 * Runs one verification of a reset method with its attempt reserved first (5 failures an hour block
 * the method for 24 hours); refused unevaluated when the method is blocked or its last allowed
 * attempts are in flight.
 */
export async function verifyGuarded<T>(
  deps: AppDeps,
  userId: string,
  kind: string,
  check: () => Promise<{ value: T; outcome: Outcome }>,
): Promise<Guarded<T>> {
  return guard(deps, methodCounter(deps, userId, kind), check);
}

export async function audit(
  deps: AppDeps,
  userId: string | null,
  activity: Activity,
  result: 'succeeded' | 'failed' | 'blocked' | 'cancelled' | 'abandoned' | 'contacted_admin',
  meta: RequestMeta,
  reason?: string | null,
  details?: Record<string, unknown>,
): Promise<void> {
  await recordAudit(deps.db, {
    at: deps.clock.now(),
    actorId: userId,
    subjectId: userId,
    activity,
    result,
    reason: reason ?? null,
    ip: meta.ip,
    userAgent: meta.userAgent,
    details: details ?? null,
  });
}

/**
 * The end of a reset: unlock, revoke every session, grant and token of the account, clear the
 * reset throttles, and tell the user (every registered address) and, for an administrator, the
 * other administrators.
 */
export async function completeReset(
  deps: AppDeps,
  user: User,
  state: ResetState,
  meta: RequestMeta,
): Promise<void> {
  const policy = await deps.policy();
  await clearLockout(deps.db, user.login);
  await endEverything(deps, user.id);
  await clearUserCounters(deps.db, user.id, [attemptKey(user.login)]);
  // `user` is the account as it was before this reset: without a password, this set the first one.
  const first = !user.passwordHash;
  await audit(deps, user.id, 'reset.complete', 'succeeded', meta, null, {
    methods: state.methods,
    ...(first ? { firstPassword: true } : {}),
  });
  // What the methods that passed the gates change besides the password (the email method: a proven
  // profile address is marked verified), each recorded with the reason "reset".
  const hooked = [...new Set(state.methods)]
    .flatMap((k) => deps.methods.get(k) ?? [])
    .filter((m) => m.afterReset);
  const creds = hooked.length ? await listCredentials(deps.db, user.id) : [];
  for (const m of hooked) {
    const activity = await m.afterReset?.(deps.db, user, creds, deps.clock.now());
    if (activity) await audit(deps, user.id, activity, 'succeeded', meta, 'reset');
  }
  await audit(deps, user.id, 'reset.attempt', 'succeeded', meta, null, { methods: state.methods });
  if (policy.notifyUserOnReset) await deps.notices.passwordReset(user, meta, first);
  if (policy.notifyAdminsOnAdminReset && isAdmin(user)) await deps.notices.adminPasswordReset(user, meta);
}

export async function unlockOnly(
  deps: AppDeps,
  user: User,
  state: ResetState,
  meta: RequestMeta,
): Promise<void> {
  await clearLockout(deps.db, user.login);
  await clearUserCounters(deps.db, user.id, [attemptKey(user.login)]);
  await audit(deps, user.id, 'reset.unlock', 'succeeded', meta, null, { methods: state.methods });
  await audit(deps, user.id, 'reset.attempt', 'succeeded', meta, 'unlocked', { methods: state.methods });
}

export async function isSignInLocked(deps: AppDeps, user: User): Promise<boolean> {
  return isLocked(await readCounter(deps.db, signInKey(normalizeLogin(user.login))), deps.clock.now());
}

export async function userOf(deps: AppDeps, state: ResetState): Promise<User | undefined> {
  if (!state.userId) return undefined;
  const u = await findUserById(deps.db, state.userId);
  return u && u.status === 'active' ? u : undefined;
}

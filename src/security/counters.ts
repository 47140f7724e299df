import type { Clock } from '../clock.ts';
import type { Tx } from '../db/knex.ts';
import {
  type CounterRule,
  type CounterState,
  EMPTY_COUNTER,
  isExhausted,
  isLocked,
  retryAt,
  SECOND_FACTOR_RULE,
  SIGN_IN_RULE,
  settledNow,
} from '../policy/counters.ts';
import {
  clearIfOnlyAttempt,
  dropIfEmpty,
  failed,
  readCounter,
  reserve,
  succeeded,
} from '../store/counters.ts';
import type { RideAlong } from '../store/together.ts';

/*
 * The domain API over store/counters.ts: every limited check runs inside guard(), which reserves the
 * attempt in one statement BEFORE the check (argon2, a code compare) and settles it after, re-checking
 * the counter on success. Nothing here knows HTTP.
 *
 * Counter keys (one namespace, one table):
 *   signin:<normalized login>            sign-in lockout (passwords at sign-in and at /my/password)
 *   2fa:<user id>                         second-factor lockout at sign-in, across interactions
 *   reset.account:<normalized login>      reset starts
 *   reset.method:<user id>:<gate>         failed reset verifications of one method (gate)
 *   reset.contact:<normalized login>      "contact an administrator"
 *   code:<flow>:<kind>                    wrong codes/answers/keys in one flow for one method
 *   app.enroll:<challenge id>             wrong codes while adding an authenticator app
 *   phone|email:number|address|ip:<hmac>, phone|email:account:<user id>, phone:budget,
 *   phone:budget-alert:<window end ms>    sending limits (security/rate-limits.ts)
 */

export interface CounterDeps {
  db: Tx;
  clock: Clock;
}

export interface CounterSpec {
  key: string;
  rule: CounterRule;
  /** The account the counter belongs to (a successful reset clears the account's counters). */
  userId?: string | null;
  /** A success forgets earlier failures (passwords, second factor); otherwise it only gives its reservation back. */
  clearOnSuccess?: boolean;
}

/** How a check ended: `uncounted` is no attempt at all (a malformed code), given back like a success. */
export type Outcome = 'failure' | 'success' | 'uncounted';

export type Guarded<T> =
  /** Not evaluated: the counter was locked or full when the attempt was to be reserved. */
  | { refused: true; until: Date | null }
  /**
   * Evaluated. `blocked`: the counter is locked or used up after this attempt; after a success that
   * means a failure racing it locked the counter, and the success must be refused.
   */
  | {
      refused: false;
      value: T;
      outcome: Outcome;
      blocked: boolean;
      /** This attempt's failure is the one that locked the counter (to audit and notify once). */
      lockedNow: boolean;
      state: CounterState;
      until: Date | null;
      /**
       * The writes `onClear` gave were made, in the statement that cleared the counter: a success,
       * the only attempt in flight, nothing locked. Never after a failure, nor when a racing attempt
       * or a lock kept the counter (the caller then makes them itself, as it sees fit).
       */
      rode: boolean;
    };

export const signInKey = (normalizedLogin: string) => `signin:${normalizedLogin}`;
export const secondFactorKey = (userId: string) => `2fa:${userId}`;
export const codeKey = (flow: string, kind: string) => `code:${flow}:${kind}`;

export const signInCounter = (normalizedLogin: string, userId: string | null): CounterSpec => ({
  key: signInKey(normalizedLogin),
  rule: SIGN_IN_RULE,
  userId,
  clearOnSuccess: true,
});
export const secondFactorCounter = (userId: string): CounterSpec => ({
  key: secondFactorKey(userId),
  rule: SECOND_FACTOR_RULE,
  userId,
  clearOnSuccess: true,
});

/**
 * Reserves one attempt, runs `check` only when the reservation was taken, and settles it by the
 * outcome. A check that throws gives its reservation back. `onClear`: for a success that clears the
 * counter, the writes that success makes anyway (its audit event, say), made in the same statement
 * as the clear when that is the whole settlement (`rode` says whether they were); when it throws, the
 * reservation is given back and the error goes on.
 *
 * Durability (issue 12): the reservation's commit, and a success's clear, do not wait for the WAL
 * flush; every other settlement does. Limits hold as before: a commit is visible to every session
 * and instance at once, flushed or not, and only a crash of PostgreSQL can lose an unflushed one. A
 * failure is told only after its durable settlement, which flushes the reservation before it; a
 * success clears the counter, so losing its reservation and its clear loses nothing it counted (and
 * what rides along must be covered by the flow's next durable commit: see account/lockout.ts).
 */
export async function guard<T>(
  deps: CounterDeps,
  spec: CounterSpec,
  check: () => Promise<{ value: T; outcome: Outcome }>,
  onClear?: (value: T) => RideAlong[] | Promise<RideAlong[]>,
): Promise<Guarded<T>> {
  const reserved = await reserve(deps.db, spec.key, spec.rule, deps.clock.now(), {
    settle: 'later',
    userId: spec.userId ?? null,
    relaxed: true,
  });
  if (!reserved) {
    const now = deps.clock.now();
    return { refused: true, until: retryAt(await readCounter(deps.db, spec.key), now) };
  }
  let result: { value: T; outcome: Outcome };
  try {
    result = await check();
  } catch (err) {
    await succeeded(deps.db, spec.key, deps.clock.now(), false);
    throw err;
  }
  const now = deps.clock.now();
  const clears = result.outcome === 'success' && !!spec.clearOnSuccess;
  let state: CounterState;
  let rode = false;
  let along: RideAlong[] = [];
  if (clears && onClear) {
    try {
      along = await onClear(result.value);
    } catch (err) {
      await succeeded(deps.db, spec.key, deps.clock.now(), false);
      throw err;
    }
  }
  // A success that clears leaves no row behind (most sign-ins have no failures): when it is the only
  // attempt in flight and nothing locks, the row goes in one statement, with what rides along.
  if (clears && (await clearIfOnlyAttempt(deps.db, spec.key, now, along, { relaxed: true }))) {
    state = EMPTY_COUNTER;
    rode = along.length > 0;
  } else {
    state =
      result.outcome === 'failure'
        ? await failed(deps.db, spec.key, spec.rule, now, spec.userId ?? null)
        : await succeeded(deps.db, spec.key, now, clears);
    if (clears && state.hits === 0 && state.lockCount === 0) await dropIfEmpty(deps.db, spec.key, now);
  }
  const blocked = isExhausted(spec.rule, state, now);
  // The settling failure that locks leaves exactly the reservations still in flight in `hits`; a
  // failure settling later into the lock leaves more hits than reservations.
  const lockedNow = result.outcome === 'failure' && isLocked(state, now) && state.hits === state.pending;
  return {
    ...result,
    refused: false,
    blocked,
    lockedNow,
    state,
    until: blocked ? retryAt(state, now) : null,
    rode,
  };
}

/** Counts one event (a reset start, a contact request) for good; false when the counter refused it. */
export async function countEvent(
  deps: CounterDeps,
  spec: CounterSpec,
): Promise<{ ok: true; state: CounterState } | { ok: false; until: Date | null }> {
  const state = await reserve(deps.db, spec.key, spec.rule, deps.clock.now(), {
    settle: 'event',
    userId: spec.userId ?? null,
  });
  if (state) return { ok: true, state };
  return { ok: false, until: retryAt(await readCounter(deps.db, spec.key), deps.clock.now()) };
}

/** Counts one failure that needed no reservation (it was not an expensive check); returns whether the counter is now used up. */
export async function countFailure(deps: CounterDeps, spec: CounterSpec): Promise<boolean> {
  const now = deps.clock.now();
  const r = await reserve(deps.db, spec.key, spec.rule, now, {
    settle: 'later',
    userId: spec.userId ?? null,
  });
  if (!r) return true;
  return isExhausted(spec.rule, await failed(deps.db, spec.key, spec.rule, now, spec.userId ?? null), now);
}

/** Whether the counter is used up now (locked, or its window full of failures), for pages and early refusals. */
export async function counterBlocked(deps: CounterDeps, spec: CounterSpec): Promise<boolean> {
  return isExhausted(spec.rule, await readCounter(deps.db, spec.key), deps.clock.now());
}

/** Failures that count now, and the lock, for administrators. */
export async function counterStatus(
  deps: CounterDeps,
  spec: CounterSpec,
): Promise<{ failures: number; lockedUntil: Date | null }> {
  const now = deps.clock.now();
  const s = await readCounter(deps.db, spec.key);
  const locked = !!s.lockedUntil && s.lockedUntil.getTime() > now.getTime();
  return { failures: settledNow(s, now), lockedUntil: locked ? s.lockedUntil : null };
}

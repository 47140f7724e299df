/*
 * The rules of every counter (SSPR.md §2–§4), pure: how many attempts, in what window, and how long
 * a full counter locks. The SQL in store/counters.ts applies the same rules atomically; the functions
 * here say what a stored counter means at a given moment.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface CounterRule {
  /** Attempts allowed: the limit-th failure (or event) locks, or fills the window. */
  limit: number;
  /** Fixed window from the first attempt; null: no window, attempts count until a success clears them. */
  windowMs: number | null;
  /** Lock after the limit is reached, doubling with each further lock up to maxLockMs; 0: no lock, the window just stays full. */
  firstLockMs: number;
  maxLockMs: number;
}

/** Sign-in lockout (SSPR.md §4): the tenth failed password in a row locks 1 minute, doubling to an hour. */
export const LOCKOUT_THRESHOLD = 10;
export const FIRST_LOCK_MS = MINUTE;
export const MAX_LOCK_MS = HOUR;
export const SIGN_IN_RULE: CounterRule = {
  limit: LOCKOUT_THRESHOLD,
  windowMs: null,
  firstLockMs: FIRST_LOCK_MS,
  maxLockMs: MAX_LOCK_MS,
};
/** Second factor at sign-in: 10 failures in any number of interactions, the same doubling locks as passwords. */
export const SECOND_FACTOR_RULE: CounterRule = { ...SIGN_IN_RULE };
/** 5 reset attempts for one account within an hour lock resets of it for 24 hours (SSPR.md §3). */
export const RESET_ATTEMPT_RULE: CounterRule = { limit: 5, windowMs: HOUR, firstLockMs: DAY, maxLockMs: DAY };
/** 5 failed verifications of one reset method within an hour block that method for 24 hours. */
export const RESET_METHOD_RULE: CounterRule = { limit: 5, windowMs: HOUR, firstLockMs: DAY, maxLockMs: DAY };
/** "Contact an administrator": once per account per hour. */
export const CONTACT_RULE: CounterRule = { limit: 1, windowMs: HOUR, firstLockMs: HOUR, maxLockMs: HOUR };
/** Wrong codes or answers for one flow and method: 5 within an hour, whatever the number of codes asked for. */
export const CODE_ATTEMPTS = 5;
export const CODE_WINDOW_MS = HOUR;
export const codeRule = (limit = CODE_ATTEMPTS, windowMs = CODE_WINDOW_MS): CounterRule => ({
  limit,
  windowMs,
  firstLockMs: 0,
  maxLockMs: 0,
});
/** A sending limit: `limit` sends per fixed window, no lock beyond the window. */
export const rateRule = (limit: number, windowMs: number): CounterRule => ({
  limit,
  windowMs,
  firstLockMs: 0,
  maxLockMs: 0,
});

/** A stored counter. */
export interface CounterState {
  hits: number;
  pending: number;
  windowEnds: Date | null;
  lockedUntil: Date | null;
  lockCount: number;
}

export const EMPTY_COUNTER: CounterState = {
  hits: 0,
  pending: 0,
  windowEnds: null,
  lockedUntil: null,
  lockCount: 0,
};

/** Length of the n-th lock (1-based): firstLockMs, doubling with each further lock, at most maxLockMs. */
export function lockDuration(rule: CounterRule, lockNumber: number): number {
  const doublings = Math.min(Math.max(0, lockNumber - 1), 30);
  return Math.min(rule.firstLockMs * 2 ** doublings, rule.maxLockMs);
}

export function isLocked(s: CounterState, now: Date): boolean {
  return !!s.lockedUntil && s.lockedUntil.getTime() > now.getTime();
}

/** Whether the counter's window is over, so its next attempt starts a new one. */
export function windowOver(s: CounterState, now: Date): boolean {
  return !!s.windowEnds && s.windowEnds.getTime() <= now.getTime();
}

/** Attempts that count now: none once the window is over. */
export function hitsNow(s: CounterState, now: Date): number {
  return windowOver(s, now) ? 0 : s.hits;
}

/** Settled failures (or events) that count now, reservations in flight left out. */
export function settledNow(s: CounterState, now: Date): number {
  return windowOver(s, now) ? 0 : Math.max(0, s.hits - s.pending);
}

/** Whether a new attempt would be refused now: locked, or the window holds `limit` attempts already. */
export function isFull(rule: CounterRule, s: CounterState, now: Date): boolean {
  return isLocked(s, now) || hitsNow(s, now) >= rule.limit;
}

/** Whether settled failures alone have used up the rule (a lock, or a full window of failures). */
export function isExhausted(rule: CounterRule, s: CounterState, now: Date): boolean {
  return isLocked(s, now) || settledNow(s, now) >= rule.limit;
}

/** When a refused attempt may try again: the end of the lock, else of the window; null when unknown. */
export function retryAt(s: CounterState, now: Date): Date | null {
  if (isLocked(s, now)) return s.lockedUntil;
  if (s.windowEnds && !windowOver(s, now)) return s.windowEnds;
  return null;
}

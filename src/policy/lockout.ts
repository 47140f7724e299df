/** Sign-in lockout (SSPR.md §4): pure rules over the stored counter. */
export const LOCKOUT_THRESHOLD = 10;
export const FIRST_LOCK_MS = 60_000;
export const MAX_LOCK_MS = 3600_000;

export interface ThrottleState {
  failures: number;
  lockCount: number;
  lockedUntil: Date | null;
}

export const EMPTY_THROTTLE: ThrottleState = { failures: 0, lockCount: 0, lockedUntil: null };

export function isLocked(s: ThrottleState, now: Date): boolean {
  return !!s.lockedUntil && s.lockedUntil.getTime() > now.getTime();
}

/** 1 minute for the first lock, doubling with each further lock, at most an hour. */
export function lockDuration(lockNumber: number): number {
  return Math.min(FIRST_LOCK_MS * 2 ** Math.max(0, lockNumber - 1), MAX_LOCK_MS);
}

/** One more failed password: the tenth in a row locks the login. */
export function registerFailure(s: ThrottleState, now: Date): ThrottleState {
  const failures = s.failures + 1;
  if (failures < LOCKOUT_THRESHOLD) return { ...s, failures };
  const lockCount = s.lockCount + 1;
  return { failures: 0, lockCount, lockedUntil: new Date(now.getTime() + lockDuration(lockCount)) };
}

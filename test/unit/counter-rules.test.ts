import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CONTACT_RULE,
  type CounterState,
  codeRule,
  EMPTY_COUNTER,
  hitsNow,
  isExhausted,
  isFull,
  isLocked,
  lockDuration,
  RESET_ATTEMPT_RULE,
  RESET_METHOD_RULE,
  rateRule,
  retryAt,
  SECOND_FACTOR_RULE,
  SIGN_IN_RULE,
  settledNow,
  windowOver,
} from '../../src/policy/counters.ts';

const now = new Date('2026-12-01T00:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms);
const state = (s: Partial<CounterState>): CounterState => ({ ...EMPTY_COUNTER, ...s });

describe('counter rules (pure)', () => {
  it('passwords and second factors: 10 failures, 1 minute doubling to an hour', () => {
    for (const rule of [SIGN_IN_RULE, SECOND_FACTOR_RULE]) {
      assert.equal(rule.limit, 10);
      assert.equal(rule.windowMs, null, 'failures count until a success, not for a window');
      assert.deepEqual(
        [1, 2, 3, 4, 5, 6, 7, 100].map((n) => lockDuration(rule, n) / 60_000),
        [1, 2, 4, 8, 16, 32, 60, 60],
      );
    }
  });

  it('reset attempts and method locks: 5 an hour, then 24 hours, never doubling', () => {
    for (const rule of [RESET_ATTEMPT_RULE, RESET_METHOD_RULE]) {
      assert.equal(rule.limit, 5);
      assert.equal(rule.windowMs, 3600_000);
      assert.deepEqual(
        [1, 2, 5].map((n) => lockDuration(rule, n)),
        [86_400_000, 86_400_000, 86_400_000],
      );
    }
    assert.equal(CONTACT_RULE.limit, 1);
    assert.equal(lockDuration(CONTACT_RULE, 3), 3600_000);
  });

  it('code and rate rules have no lock: a full window just stays full until it ends', () => {
    assert.equal(lockDuration(codeRule(), 1), 0);
    assert.equal(lockDuration(rateRule(3, 600_000), 1), 0);
    assert.equal(codeRule().limit, 5);
  });

  it('a lock holds until its end, exclusive', () => {
    const s = state({ lockedUntil: at(60_000) });
    assert.equal(isLocked(s, now), true);
    assert.equal(isLocked(s, at(59_999)), true);
    assert.equal(isLocked(s, at(60_000)), false);
    assert.equal(isLocked(EMPTY_COUNTER, now), false);
  });

  it('hits count only inside their window; a counter without a window never expires', () => {
    const windowed = state({ hits: 4, pending: 1, windowEnds: at(1000) });
    assert.equal(windowOver(windowed, at(999)), false);
    assert.equal(windowOver(windowed, at(1000)), true);
    assert.equal(hitsNow(windowed, now), 4);
    assert.equal(hitsNow(windowed, at(1000)), 0);
    assert.equal(settledNow(windowed, now), 3, 'reservations in flight are not settled failures');
    const open = state({ hits: 9, windowEnds: null });
    assert.equal(hitsNow(open, at(10 * 86_400_000)), 9);
  });

  it('full (refuse a reservation) counts reservations in flight; exhausted counts settled failures only', () => {
    const rule = codeRule(5);
    const inFlight = state({ hits: 5, pending: 2, windowEnds: at(1000) });
    assert.equal(isFull(rule, inFlight, now), true, 'no sixth reservation while five are taken');
    assert.equal(isExhausted(rule, inFlight, now), false, 'two of them may still succeed');
    const settled = state({ hits: 5, pending: 0, windowEnds: at(1000) });
    assert.equal(isExhausted(rule, settled, now), true);
    assert.equal(isExhausted(rule, settled, at(1000)), false, 'a new window starts afresh');
    assert.equal(isFull(rule, state({ lockedUntil: at(1) }), now), true, 'a lock is full whatever the hits');
  });

  it('retryAt: the end of the lock, else of the window', () => {
    assert.deepEqual(retryAt(state({ lockedUntil: at(5000), windowEnds: at(1000) }), now), at(5000));
    assert.deepEqual(retryAt(state({ windowEnds: at(1000) }), now), at(1000));
    assert.equal(retryAt(state({ windowEnds: at(1000) }), at(2000)), null);
    assert.equal(retryAt(EMPTY_COUNTER, now), null);
  });
});

import crypto from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/knex.ts';
import { CODE_ATTEMPTS, CODE_WINDOW_MS, codeRule } from '../policy/counters.ts';
import {
  type Challenge,
  consumeChallenge,
  createChallenge,
  findLatestChallenge,
  findLiveChallenge,
} from '../store/challenges.ts';
import { type CounterSpec, codeKey, counterBlocked, countFailure, guard } from './counters.ts';
import { constantTimeEqual, type SecretBox } from './secrets.ts';

/*
 * One-time codes sent by text, call or email (SSPR.md §3): 6 digits from the CSPRNG, kept only as an
 * HMAC, valid 10 minutes, used once, at most 5 wrong entries per flow and method whatever the number
 * of codes asked for, and good only in the flow that asked for them.
 *
 * A code lives in a `challenges` row of its flow and kind. Wrong entries are counted in the flow and
 * kind's counter (`code:<flow>:<kind>`, security/counters.ts), reserved before the compare, so asking
 * for a new code never clears them and parallel guesses cannot pass the limit.
 */

export const CODE_DIGITS = 6;
export const CODE_TTL_MS = 10 * 60_000;
export const MAX_WRONG = CODE_ATTEMPTS;
/**
 * How long wrong entries keep counting against a flow and method. Sign-in interactions and reset
 * sessions end well before this; it matters for the portal, whose flow id is per user, so that five
 * wrong codes block adding a phone for an hour rather than until the rows are swept.
 */
export const FAILURE_WINDOW_MS = CODE_WINDOW_MS;

/** What codes need: the database, the key that hashes them and the clock (a MethodContext has all three). */
export interface CodeContext {
  db: Db;
  box: SecretBox;
  clock: Clock;
}

const PURPOSE = 'otp-code';
const MAX_SUPERSEDE = 50;

/** Where a code belongs: the flow that asked for it, the user (null: a decoy for an unknown user) and the method's kind. */
export interface CodeScope {
  flow: string;
  userId: string | null;
  kind: string;
}

export type IssueResult = { ok: true; code: string; challengeId: string } | { ok: false; error: 'exhausted' };

export type CheckResult =
  | { ok: true; challengeId: string; data: Record<string, unknown> }
  | {
      ok: false;
      /** format: not 6 digits (not counted); invalid: wrong (counted); expired: no live code (expired, used or replaced). */
      error: 'format' | 'invalid' | 'expired' | 'exhausted';
      exhausted: boolean;
      /** Wrong entries left, after an 'invalid'. */
      remaining?: number;
    };

/** Keys the method data may not use: they hold the code's salt. */
const SALT_KEY = 'codeSalt';

export function newCode(): string {
  return String(crypto.randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

/** Digits only, 6 of them; spaces and hyphens are allowed for typing, and full-width digits from a Japanese IME. */
export function normalizeCode(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 64) return undefined;
  const code = v.normalize('NFKC').replace(/[\s-]+/g, '');
  return new RegExp(`^[0-9]{${CODE_DIGITS}}$`).test(code) ? code : undefined;
}

function hashCode(cx: CodeContext, scope: CodeScope, salt: string, code: string): string {
  return cx.box.hmac(PURPOSE, ['v1', scope.flow, scope.kind, scope.userId ?? '-', salt, code].join('\n'));
}

const counterOf = (scope: Omit<CodeScope, 'userId'> & { userId?: string | null }): CounterSpec => ({
  key: codeKey(scope.flow, scope.kind),
  rule: codeRule(MAX_WRONG, FAILURE_WINDOW_MS),
  userId: scope.userId ?? null,
});

export async function isExhausted(cx: CodeContext, scope: Omit<CodeScope, 'userId'>): Promise<boolean> {
  return counterBlocked(cx, counterOf(scope));
}

/** The live code of this flow and method, with the data it was issued with; undefined when none. */
export async function liveCode(cx: CodeContext, scope: CodeScope): Promise<Challenge | undefined> {
  const live = await findLiveChallenge(cx.db, scope.flow, scope.kind, cx.clock.now());
  if (!live || live.userId !== scope.userId || !live.codeHash) return undefined;
  if (await isExhausted(cx, scope)) return undefined;
  return live;
}

/**
 * Makes a new code for the flow and method and returns it (to be sent, never stored). Earlier live
 * codes of the same flow and method stop working; the wrong-entry count goes on.
 */
export async function issueCode(
  cx: CodeContext,
  scope: CodeScope & { data?: Record<string, unknown> },
): Promise<IssueResult> {
  const now = cx.clock.now();
  if (await isExhausted(cx, scope)) return { ok: false, error: 'exhausted' };
  const latest = await findLatestChallenge(cx.db, scope.flow, scope.kind);
  await withdrawLive(cx, scope);
  // Rows of one flow and kind are told apart by creation time: keep it strictly increasing, even
  // when the clock has not moved (a fast second request, a test clock).
  const at =
    latest && latest.createdAt.getTime() >= now.getTime() ? new Date(latest.createdAt.getTime() + 1) : now;
  const salt = crypto.randomBytes(16).toString('base64url');
  const code = newCode();
  const ch = await createChallenge(
    cx.db,
    {
      flow: scope.flow,
      userId: scope.userId,
      kind: scope.kind,
      codeHash: hashCode(cx, scope, salt, code),
      data: { ...scope.data, [SALT_KEY]: salt },
    },
    at,
    CODE_TTL_MS,
  );
  return { ok: true, code, challengeId: ch.id };
}

/** Ends every live code of the flow and method (a send that failed, "use a different number"). */
export async function withdrawLive(cx: CodeContext, scope: Omit<CodeScope, 'userId'>): Promise<void> {
  const now = cx.clock.now();
  for (let i = 0; i < MAX_SUPERSEDE; i++) {
    const c = await findLiveChallenge(cx.db, scope.flow, scope.kind, now);
    if (!c) return;
    await consumeChallenge(cx.db, c.id, now);
  }
}

/**
 * Counts one wrong entry that was not a code (a typed phone number that does not match) against the
 * flow and method. Returns whether the method is now exhausted for the flow.
 */
export async function recordWrongEntry(cx: CodeContext, scope: CodeScope): Promise<boolean> {
  const exhausted = await countFailure(cx, counterOf(scope));
  if (exhausted) await withdrawLive(cx, scope);
  return exhausted;
}

/**
 * Checks a typed code against the flow's live code: constant time, single use, and counted: the
 * attempt is reserved in the flow and method's counter before the compare, so parallel guesses get
 * no more than the limit evaluated, and a right code is refused when wrong ones racing it used up
 * the limit.
 */
export async function checkCode(cx: CodeContext, scope: CodeScope, input: unknown): Promise<CheckResult> {
  const code = normalizeCode(input);
  if (!code) return { ok: false, error: 'format', exhausted: false };
  const exhausted = { ok: false, error: 'exhausted', exhausted: true } as const;
  const g = await guard(cx, counterOf(scope), async () => {
    const live = await findLiveChallenge(cx.db, scope.flow, scope.kind, cx.clock.now());
    if (!live || live.userId !== scope.userId || !live.codeHash) {
      return { value: undefined, outcome: 'uncounted' as const };
    }
    const salt = typeof live.data[SALT_KEY] === 'string' ? (live.data[SALT_KEY] as string) : '';
    const right = constantTimeEqual(hashCode(cx, scope, salt, code), live.codeHash);
    return { value: { live, right }, outcome: right ? ('success' as const) : ('failure' as const) };
  });
  if (g.refused) return exhausted;
  if (!g.value) return { ok: false, error: 'expired', exhausted: false };
  const { live, right } = g.value;
  const now = cx.clock.now();
  if (!right) {
    if (g.blocked) {
      await withdrawLive(cx, scope);
      return exhausted;
    }
    return {
      ok: false,
      error: 'invalid',
      exhausted: false,
      remaining: Math.max(1, MAX_WRONG - (g.state.hits - g.state.pending)),
    };
  }
  // Wrong entries made at the same moment in other requests still count.
  if (g.blocked) return exhausted;
  if (!(await consumeChallenge(cx.db, live.id, now)))
    return { ok: false, error: 'expired', exhausted: false };
  const { [SALT_KEY]: _salt, ...data } = live.data;
  return { ok: true, challengeId: live.id, data };
}

import crypto from 'node:crypto';
import type { MethodContext } from '../methods/types.ts';
import {
  type Challenge,
  consumeChallenge,
  createChallenge,
  findLatestChallenge,
  findLiveChallenge,
  incrementAttempts,
} from '../store/challenges.ts';
import { constantTimeEqual } from './secrets.ts';

/*
 * One-time codes sent by text, call or email (SSPR.md §3): 6 digits from the CSPRNG, kept only as an
 * HMAC, valid 10 minutes, used once, at most 5 wrong entries per flow and method whatever the number
 * of codes asked for, and good only in the flow that asked for them.
 *
 * A code lives in a `challenges` row of its flow and kind. Each new code carries the wrong-entry count
 * of the newest row of the same flow and kind, so asking again never clears it.
 */

export const CODE_DIGITS = 6;
export const CODE_TTL_MS = 10 * 60_000;
export const MAX_WRONG = 5;
/**
 * How long wrong entries keep counting against a flow and method. Sign-in interactions and reset
 * sessions end well before this; it matters for the portal, whose flow id is per user, so that five
 * wrong codes block adding a phone for an hour rather than until the rows are swept.
 */
export const FAILURE_WINDOW_MS = 60 * 60_000;

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

function hashCode(cx: MethodContext, scope: CodeScope, salt: string, code: string): string {
  return cx.box.hmac(PURPOSE, ['v1', scope.flow, scope.kind, scope.userId ?? '-', salt, code].join('\n'));
}

/** Wrong entries counted so far for this flow and method (within the failure window). */
function carried(latest: Challenge | undefined, now: Date): number {
  if (!latest || latest.createdAt.getTime() <= now.getTime() - FAILURE_WINDOW_MS) return 0;
  return latest.attempts;
}

export async function isExhausted(cx: MethodContext, scope: Omit<CodeScope, 'userId'>): Promise<boolean> {
  return carried(await findLatestChallenge(cx.db, scope.flow, scope.kind), cx.clock.now()) >= MAX_WRONG;
}

/** The live code of this flow and method, with the data it was issued with; undefined when none. */
export async function liveCode(cx: MethodContext, scope: CodeScope): Promise<Challenge | undefined> {
  const live = await findLiveChallenge(cx.db, scope.flow, scope.kind, cx.clock.now());
  if (!live || live.userId !== scope.userId || !live.codeHash) return undefined;
  if (live.attempts >= MAX_WRONG) return undefined;
  return live;
}

/**
 * Makes a new code for the flow and method and returns it (to be sent, never stored). Earlier live
 * codes of the same flow and method stop working; the wrong-entry count goes on.
 */
export async function issueCode(
  cx: MethodContext,
  scope: CodeScope & { data?: Record<string, unknown> },
): Promise<IssueResult> {
  const now = cx.clock.now();
  const latest = await findLatestChallenge(cx.db, scope.flow, scope.kind);
  const attempts = carried(latest, now);
  if (attempts >= MAX_WRONG) return { ok: false, error: 'exhausted' };
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
      attempts,
    },
    at,
    CODE_TTL_MS,
  );
  return { ok: true, code, challengeId: ch.id };
}

/** Ends every live code of the flow and method (a send that failed, "use a different number"). */
export async function withdrawLive(cx: MethodContext, scope: Omit<CodeScope, 'userId'>): Promise<void> {
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
export async function recordWrongEntry(cx: MethodContext, scope: CodeScope): Promise<boolean> {
  const now = cx.clock.now();
  const latest = await findLatestChallenge(cx.db, scope.flow, scope.kind);
  if (latest && latest.createdAt.getTime() > now.getTime() - FAILURE_WINDOW_MS) {
    const n = await incrementAttempts(cx.db, latest.id);
    if (n >= MAX_WRONG) await consumeChallenge(cx.db, latest.id, now);
    return n >= MAX_WRONG;
  }
  // A counter with no code: consumed at once, so it is never taken for a live code.
  const c = await createChallenge(
    cx.db,
    { flow: scope.flow, userId: scope.userId, kind: scope.kind, attempts: 1 },
    now,
    CODE_TTL_MS,
  );
  await consumeChallenge(cx.db, c.id, now);
  return 1 >= MAX_WRONG;
}

/** Checks a typed code against the flow's live code: constant time, counted, single use. */
export async function checkCode(cx: MethodContext, scope: CodeScope, input: unknown): Promise<CheckResult> {
  const code = normalizeCode(input);
  if (!code) return { ok: false, error: 'format', exhausted: false };
  const now = cx.clock.now();
  if (await isExhausted(cx, scope)) return { ok: false, error: 'exhausted', exhausted: true };

  const live = await findLiveChallenge(cx.db, scope.flow, scope.kind, now);
  if (!live || live.userId !== scope.userId || !live.codeHash) {
    return { ok: false, error: 'expired', exhausted: false };
  }
  const salt = typeof live.data[SALT_KEY] === 'string' ? (live.data[SALT_KEY] as string) : '';
  if (!constantTimeEqual(hashCode(cx, scope, salt, code), live.codeHash)) {
    const n = await incrementAttempts(cx.db, live.id);
    if (n >= MAX_WRONG) {
      await consumeChallenge(cx.db, live.id, now);
      return { ok: false, error: 'exhausted', exhausted: true };
    }
    return { ok: false, error: 'invalid', exhausted: false, remaining: MAX_WRONG - n };
  }
  // Wrong entries made at the same moment in other requests still count.
  if (await isExhausted(cx, scope)) return { ok: false, error: 'exhausted', exhausted: true };
  if (!(await consumeChallenge(cx.db, live.id, now)))
    return { ok: false, error: 'expired', exhausted: false };
  const { [SALT_KEY]: _salt, ...data } = live.data;
  return { ok: true, challengeId: live.id, data };
}

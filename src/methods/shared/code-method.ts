import { DeliveryError, type Message } from '../../delivery/types.ts';
import type { MessageKey } from '../../i18n/index.ts';
import {
  type CheckResult,
  type CodeScope,
  checkCode,
  isExhausted,
  issueCode,
  liveCode,
  withdrawLive,
} from '../../security/codes.ts';
import { allowCodeSend, type LimitResult } from '../../security/rate-limits.ts';
import { type Credential, touchCredential } from '../../store/credentials.ts';
import { type Fail, fail } from '../results.ts';
import type { FlowId, MethodContext, VerifyResult } from '../types.ts';

/*
 * What the methods that send a one-time code (email, text, call) do alike: send it past the limits,
 * check it, and answer with their own messages. The codes themselves are security/codes.ts.
 */

/** The messages one code-sending method answers with. */
export interface CodeMessages {
  /** The entry is not a code at all (not counted). */
  format: MessageKey;
  /** No code is waiting: expired, used or replaced (not counted). */
  expired: MessageKey;
  /** Too many wrong entries or sends in this flow. */
  tooMany: MessageKey;
  /** A wrong code, with `{remaining}`. */
  invalid: MessageKey;
  /** A sending limit holds, with `{minutes}`: from this network, for this account, to this address or number. */
  limitIp: MessageKey;
  limitAccount: MessageKey;
  limitTarget: MessageKey;
  /** The hourly budget of the channel is used up (texts and calls). */
  paused?: MessageKey;
  /** The channel refused the message; the code was withdrawn. */
  sendFailed: MessageKey;
  /** A code was sent / sent again (a step, not a failure). */
  sent: MessageKey;
  resent: MessageKey;
  /** Enrolment: no code of this enrolment is waiting, and too many wrong codes. */
  enrollExpired: MessageKey;
  tooManyEnroll: MessageKey;
}

/** A verification's refusal (or a step: a code was sent). */
type Refusal = Extract<VerifyResult, { ok: false }>;

/** An answer that was no guess at all (a blank or malformed field, a stale form, a send): flows do not count it. */
export const notAttempt = (f: Fail): Refusal => ({ ...f, counted: false });
/** A new code was sent on request: not an attempt, and not a failure either. */
export const codeSentStep = (f: Fail): Refusal => ({ ...f, counted: false, step: true });

/** A refusal's message alone (what enrolment and other non-verification steps answer). */
export const asFail = (r: Refusal): Fail => fail(r.error, r.params);

function limitRefusal(r: Exclude<LimitResult, { ok: true }>, m: CodeMessages): Fail {
  if (r.reason === 'budget' && m.paused) return fail(m.paused);
  const minutes = Math.max(1, Math.ceil(r.retryAfterMs / 60_000));
  if (r.reason === 'ip') return fail(m.limitIp, { minutes });
  if (r.reason === 'account') return fail(m.limitAccount, { minutes });
  return fail(m.limitTarget, { minutes });
}

/** The refusal of a "send again" pressed before the wait is over. */
export const waitFail = (retryAfterMs: number): Fail =>
  fail('code.resendWait', { seconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) });

export function codeError(r: Exclude<CheckResult, { ok: true }>, m: CodeMessages): Refusal {
  switch (r.error) {
    case 'format':
      return notAttempt(fail(m.format));
    case 'expired':
      return notAttempt(fail(m.expired));
    case 'exhausted':
      return { ok: false, error: m.tooMany, exhausted: true };
    default:
      return fail(m.invalid, { remaining: r.remaining ?? 0 });
  }
}

/**
 * Checks the sending limits, makes a code and hands the message holding it to delivery; nothing
 * leaves when a limit refuses, and a code whose message the channel refused is withdrawn (it never
 * arrived: it must not be waiting to be guessed).
 */
export async function deliverCode(
  cx: MethodContext,
  scope: CodeScope,
  o: {
    messages: CodeMessages;
    /** The method's sending limits. */
    allow: () => Promise<LimitResult>;
    data: Record<string, unknown>;
    message: (code: string) => Message;
  },
): Promise<{ ok: true } | Fail> {
  if (await isExhausted(cx, scope)) return fail(o.messages.tooMany);
  const limits = await o.allow();
  if (!limits.ok) return limitRefusal(limits, o.messages);
  const issued = await issueCode(cx, { ...scope, data: o.data });
  if (!issued.ok) return fail(o.messages.tooMany);
  const message = o.message(issued.code);
  try {
    await cx.delivery.send(message);
  } catch (err) {
    if (!(err instanceof DeliveryError)) throw err;
    await withdrawLive(cx, scope);
    return fail(o.messages.sendFailed);
  }
  return { ok: true };
}

/**
 * Before a verification code is sent: used up says so first; then "send again" waits RESEND_WAIT_MS
 * after the last code of this flow, before any other limit is counted. Undefined: go ahead.
 */
export async function sendRefusal(
  cx: MethodContext,
  flow: FlowId,
  kind: string,
  m: CodeMessages,
): Promise<Fail | undefined> {
  if (await isExhausted(cx, { flow, kind })) return fail(m.tooMany);
  const wait = await allowCodeSend(cx, flow, kind);
  return wait.ok ? undefined : waitFail(wait.retryAfterMs);
}

/** The credential the live code of this scope went to, if one is waiting. */
export async function waitingFor(
  cx: MethodContext,
  scope: CodeScope,
  credentials: Credential[],
): Promise<Credential | undefined> {
  const live = await liveCode(cx, scope);
  return live ? credentials.find((c) => c.id === live.data.credentialId) : undefined;
}

/** A code sent on request ("Send code" or "send again"): a step saying where it went, or why not. */
export async function sendOnRequest(
  cx: MethodContext,
  scope: CodeScope,
  m: CodeMessages,
  send: () => Promise<{ ok: true } | Fail>,
  params: Record<string, string>,
): Promise<VerifyResult> {
  const first = !(await liveCode(cx, scope));
  const sent = await send();
  if (!sent.ok) return sent.error === m.tooMany ? { ...sent, exhausted: true } : notAttempt(sent);
  return codeSentStep(fail(first ? m.sent : m.resent, params));
}

/** Checks a typed verification code against the one sent to one of `credentials`, and uses that credential. */
export async function verifySentCode(
  cx: MethodContext,
  scope: CodeScope,
  code: unknown,
  credentials: Credential[],
  m: CodeMessages,
  amr: readonly string[],
): Promise<VerifyResult> {
  const r = await checkCode(cx, scope, code);
  if (!r.ok) return codeError(r, m);
  const cred = credentials.find((c) => c.id === r.data.credentialId);
  if (!cred) return notAttempt(fail(m.expired));
  await touchCredential(cx.db, cred.id, cx.clock.now());
  return { ok: true, credentialId: cred.id, amr: [...amr] };
}

/** "Start again": the enrolment's code is withdrawn and the first step asked for again (`ask`). */
export async function restartEnroll(cx: MethodContext, scope: CodeScope, ask: MessageKey): Promise<Fail> {
  await withdrawLive(cx, scope);
  return fail(ask);
}

/** Checks the code of an enrolment (`live`: whether one is waiting); its data when right. */
export async function checkEnrollCode(
  cx: MethodContext,
  scope: CodeScope,
  live: unknown,
  code: unknown,
  m: CodeMessages,
): Promise<{ ok: true; data: Record<string, unknown> } | Fail> {
  if (!live) return fail(m.enrollExpired);
  const r = await checkCode(cx, scope, code);
  if (r.ok) return r;
  return r.error === 'exhausted' ? fail(m.tooManyEnroll) : asFail(codeError(r, m));
}

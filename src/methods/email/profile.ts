import { checkCode, isExhausted, liveCode } from '../../security/codes.ts';
import type { Credential } from '../../store/credentials.ts';
import { markEmailVerified, type User } from '../../store/users.ts';
import { type Fail, fail } from '../results.ts';
import { asFail, codeError } from '../shared/code-method.ts';
import type { FlowId, MethodContext } from '../types.ts';
import { EMAIL_CODES, maskAddress, normalizeAddress, sendCode } from './index.ts';

/*
 * Verifying the profile email (the `email` claim): a one-time code sent to that address and typed
 * back. The codes are the email method's (security/codes.ts: single use, 10 minutes, 5 wrong entries
 * per flow reserved before the compare) under their own kind, in a flow of the user's; the sending
 * limits are the email method's. The code remembers the address it went to: if the profile email
 * changed since, the code proves nothing and the mark is not set.
 */

const KIND = 'email.profile';

export type ProfileVerifyView =
  | { state: 'none' }
  | { state: 'verified'; address: string }
  | { state: 'send'; address: string; problem?: Fail }
  | { state: 'code'; address: string; problem?: Fail };

const scopeOf = (user: User, flow: FlowId) => ({ flow, userId: user.id, kind: KIND });

/** Where the user stands: no email, already verified, a code waiting, or nothing sent yet. */
export async function profileVerifyView(
  cx: MethodContext,
  user: User,
  flow: FlowId,
): Promise<ProfileVerifyView> {
  if (!user.email) return { state: 'none' };
  const address = maskAddress(user.email);
  if (user.emailVerifiedAt) return { state: 'verified', address };
  const scope = scopeOf(user, flow);
  const live = await liveCode(cx, scope);
  if (live && live.data.address === user.email) return { state: 'code', address };
  if (await isExhausted(cx, scope)) return { state: 'send', address, problem: fail('emailMethod.tooMany') };
  return { state: 'send', address };
}

/** Sends a code to the profile email (a new code replaces the one before). */
export async function sendProfileCode(
  cx: MethodContext,
  user: User,
  flow: FlowId,
): Promise<{ ok: true } | Fail> {
  if (!user.email) return fail('emailVerify.noEmail');
  if (user.emailVerifiedAt) return fail('emailVerify.already');
  return sendCode(cx, {
    ...scopeOf(user, flow),
    address: user.email,
    data: { address: user.email },
    purpose: 'verify',
  });
}

/**
 * Checks the typed code; on success marks the profile email verified, only if it is still the
 * address the code went to. `counted` false: the answer was no guess (blank, expired).
 */
export async function confirmProfileCode(
  cx: MethodContext,
  user: User,
  flow: FlowId,
  code: unknown,
): Promise<{ ok: true } | Fail> {
  if (!user.email) return fail('emailVerify.noEmail');
  const r = await checkCode(cx, scopeOf(user, flow), code);
  if (!r.ok) return asFail(codeError(r, EMAIL_CODES));
  if (r.data.address !== user.email) return fail('emailVerify.changed');
  if (!(await markEmailVerified(cx.db, user.id, user.email, cx.clock.now())))
    return fail('emailVerify.changed');
  return { ok: true };
}

/**
 * After a reset that passed the email gate: the code went to the user's alternate address (the
 * email method), which proves the profile email only when it is the same mailbox. Enrolment refuses
 * the profile address, so this happens only when an administrator later set the profile email to
 * the alternate one. Returns whether the mark was set.
 */
export async function markVerifiedByReset(
  db: MethodContext['db'],
  user: User,
  credentials: Credential[],
  now: Date,
): Promise<boolean> {
  if (!user.email || user.emailVerifiedAt) return false;
  const profile = normalizeAddress(user.email);
  if (!profile.ok) return false;
  const proven = credentials.some((c) => {
    if (c.kind !== 'email' || c.userId !== user.id) return false;
    const a = normalizeAddress(c.data.address);
    return a.ok && a.address === profile.address;
  });
  return proven && markEmailVerified(db, user.id, user.email, now);
}

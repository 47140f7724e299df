import { domainToASCII } from 'node:url';
import { renderEmail } from '../../delivery/templates.ts';
import { CODE_TTL_MS, isExhausted, liveCode } from '../../security/codes.ts';
import { allowEmailSend, codeSendWaitMs } from '../../security/rate-limits.ts';
import { type Credential, countCredentialsByKind } from '../../store/credentials.ts';
import type { User } from '../../store/users.ts';
import { type Fail, fail, stepTo } from '../results.ts';
import * as codeMethod from '../shared/code-method.ts';
import type { FlowId, MethodContext, MethodView, VerificationMethod } from '../types.ts';
import { markVerifiedByReset } from './profile.ts';

/*
 * Email: a code to an alternate address, for password reset only (SSPR.md §1). The address must not
 * be the one the user signs in with or their profile email (losing that mailbox is often why they
 * reset). It is private: shown masked, never logged, never released as a claim.
 */

const KIND = 'email';
const ENROLL_KIND = 'email.enroll';
const CODE_KIND = 'email.code';
const MAX_PER_USER = 1;
const MAX_LENGTH = 254;
const MAX_LOCAL = 64;
/**
 * Not an RFC 8176 value names email; 'otp' (a one-time code) describes it. Email is a reset method
 * only, so this never reaches an ID token: it is recorded with the reset's verification.
 */
const AMR = ['otp'];

export type AddressError = 'missing' | 'tooLong' | 'invalid';

/**
 * Checks an address the user typed and returns it as stored: the local part as typed, the domain in
 * lower-case ASCII (IDNA). Refused: more than 254 characters, anything but exactly one '@', control
 * characters (CR/LF header injection), spaces, commas and the other characters that separate or
 * quote addresses, so that one field can only ever name one mailbox.
 */
export function normalizeAddress(
  v: unknown,
): { ok: true; address: string } | { ok: false; error: AddressError } {
  if (typeof v !== 'string') return { ok: false, error: 'missing' };
  // Spaces around the address are a typing slip; anything inside it is not.
  const s = v.replace(/^[ \t]+|[ \t]+$/g, '');
  if (!s) return { ok: false, error: 'missing' };
  if ([...s].length > MAX_LENGTH) return { ok: false, error: 'tooLong' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s,;:<>()[\]\\"]/.test(s))
    return { ok: false, error: 'invalid' };
  const parts = s.split('@');
  if (parts.length !== 2) return { ok: false, error: 'invalid' };
  const [local, domainTyped] = parts;
  if (!local || local.length > MAX_LOCAL || !/^[\x21-\x7e]+$/.test(local))
    return { ok: false, error: 'invalid' };
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..'))
    return { ok: false, error: 'invalid' };
  const domain = domainToASCII(domainTyped.normalize('NFKC').toLowerCase());
  if (!domain || domain.length > 253) return { ok: false, error: 'invalid' };
  const labels = domain.split('.');
  if (
    labels.length < 2 ||
    !labels.every((l) => /^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(l)) ||
    /^\d+$/.test(labels.at(-1)!)
  ) {
    return { ok: false, error: 'invalid' };
  }
  const address = `${local}@${domain}`;
  if (address.length > MAX_LENGTH) return { ok: false, error: 'tooLong' };
  return { ok: true, address };
}

/** a•••@example.com: the first character of the mailbox name and the domain. */
export function maskAddress(address: unknown): string {
  if (typeof address !== 'string') return '•••';
  const at = address.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${[...address.slice(0, at)][0]}•••${address.slice(at)}`;
}

const same = (a: string | null | undefined, b: string) =>
  !!a && a.trim().normalize('NFKC').toLowerCase() === b.normalize('NFKC').toLowerCase();

function addressOf(c: Credential): string | undefined {
  return typeof c.data.address === 'string' ? c.data.address : undefined;
}

/** The email method's messages (also those of the profile email's verification, email/profile.ts). */
export const EMAIL_CODES: codeMethod.CodeMessages = {
  format: 'emailMethod.codeFormat',
  expired: 'emailMethod.codeExpired',
  tooMany: 'emailMethod.tooMany',
  invalid: 'emailMethod.codeInvalid',
  limitIp: 'emailMethod.limitIp',
  limitAccount: 'emailMethod.limitAccount',
  limitTarget: 'emailMethod.limitAddress',
  sendFailed: 'emailMethod.sendFailed',
  sent: 'emailMethod.codeSent',
  resent: 'emailMethod.codeResent',
  enrollExpired: 'emailMethod.enrollExpired',
  tooManyEnroll: 'emailMethod.tooManyEnroll',
};

/** Checks the limits, makes a code and emails it in the request's language; nothing leaves when a limit refuses. */
export async function sendCode(
  cx: MethodContext,
  o: {
    flow: FlowId;
    userId: string;
    kind: string;
    address: string;
    data: Record<string, unknown>;
    purpose: 'enroll' | 'reset' | 'verify';
  },
): Promise<{ ok: true } | Fail> {
  const locale = cx.request.locale;
  const message = (code: string) => {
    const email = renderEmail(cx.emails, locale, 'code', {
      subjectKey: 'emailMethod.mail.subject',
      org: cx.organizationName,
      // The code email carries the brand like every notice (logo and accent colour from the policy).
      logoUrl: cx.policy.logoUrl,
      accentColor: cx.policy.accentColor,
      leadKey:
        o.purpose === 'enroll'
          ? 'emailMethod.mail.leadEnroll'
          : o.purpose === 'verify'
            ? 'emailMethod.mail.leadVerify'
            : 'emailMethod.mail.leadReset',
      code,
      minutes: CODE_TTL_MS / 60_000,
    });
    return {
      channel: 'email' as const,
      to: o.address,
      locale,
      subject: email.subject,
      text: email.text,
      html: email.html,
      purpose:
        o.purpose === 'enroll'
          ? 'email.enroll_code'
          : o.purpose === 'verify'
            ? 'email.verify_code'
            : 'email.code',
    };
  };
  return codeMethod.deliverCode(
    cx,
    { flow: o.flow, userId: o.userId, kind: o.kind },
    {
      messages: EMAIL_CODES,
      allow: () => allowEmailSend(cx, { userId: o.userId, address: o.address }),
      data: o.data,
      message,
    },
  );
}

// ---- enrolment ------------------------------------------------------------------------------------

const enroll: VerificationMethod['enroll'] = {
  async begin(cx, user, flow) {
    const scope = { flow, userId: user.id, kind: ENROLL_KIND };
    const live = await liveCode(cx, scope);
    if (live && typeof live.data.address === 'string') {
      return { partial: 'email/enroll', data: { step: 'code', sentTo: maskAddress(live.data.address) } };
    }
    const exhausted = await isExhausted(cx, scope);
    return {
      partial: 'email/enroll',
      data: { step: 'address', problem: exhausted ? 'emailMethod.tooMany' : undefined },
    };
  },

  async finish(cx, user, flow, input) {
    const scope = { flow, userId: user.id, kind: ENROLL_KIND };
    if (input.restart) return codeMethod.restartEnroll(cx, scope, 'emailMethod.enterAddress');
    const live = await liveCode(cx, scope);
    if (input.resend) {
      if (!live || typeof live.data.address !== 'string') return fail('emailMethod.enrollExpired');
      const sent = await sendCode(cx, {
        ...scope,
        address: live.data.address,
        data: live.data,
        purpose: 'enroll',
      });
      return sent.ok ? stepTo('emailMethod.codeResent', { address: maskAddress(live.data.address) }) : sent;
    }
    if (input.address === undefined && input.code !== undefined) {
      const r = await codeMethod.checkEnrollCode(cx, scope, live, input.code, EMAIL_CODES);
      if (!r.ok) return r;
      if ((await countCredentialsByKind(cx.db, user.id, KIND)) >= MAX_PER_USER)
        return fail('emailMethod.limitReached');
      return { ok: true, credential: { kind: KIND, label: '', data: { address: String(r.data.address) } } };
    }

    const n = normalizeAddress(input.address);
    if (!n.ok) {
      return fail(
        n.error === 'tooLong'
          ? 'emailMethod.tooLong'
          : n.error === 'missing'
            ? 'emailMethod.addressMissing'
            : 'emailMethod.addressInvalid',
        {
          max: MAX_LENGTH,
        },
      );
    }
    if (same(user.login, n.address)) return fail('emailMethod.isSignInAddress');
    if (same(user.email, n.address)) return fail('emailMethod.isProfileAddress');
    if ((await countCredentialsByKind(cx.db, user.id, KIND)) >= MAX_PER_USER)
      return fail('emailMethod.limitReached');
    const sent = await sendCode(cx, {
      ...scope,
      address: n.address,
      data: { address: n.address },
      purpose: 'enroll',
    });
    return sent.ok ? stepTo('emailMethod.codeSent', { address: maskAddress(n.address) }) : sent;
  },
};

// ---- verification ---------------------------------------------------------------------------------

const mine = (user: User, credentials: Credential[]) =>
  credentials.filter((c) => c.kind === KIND && c.userId === user.id && addressOf(c));

function verifyView(sentTo?: Credential, problem?: Fail, waitMs = 0): MethodView {
  return {
    partial: 'email/verify',
    data: {
      sentTo: sentTo ? maskAddress(addressOf(sentTo)) : undefined,
      canEnter: !!sentTo,
      // No code waiting and nothing in the way: the page offers "Send code" (never sent on load).
      canSend: !sentTo && !problem,
      waitSeconds: Math.ceil(waitMs / 1000),
      problem: problem?.error,
      problemParams: problem?.params,
    },
  };
}

async function sendTo(cx: MethodContext, user: User, flow: FlowId, target: Credential) {
  const refusal = await codeMethod.sendRefusal(cx, flow, CODE_KIND, EMAIL_CODES);
  if (refusal) return refusal;
  return sendCode(cx, {
    flow,
    userId: user.id,
    kind: CODE_KIND,
    address: addressOf(target)!,
    data: { credentialId: target.id },
    purpose: 'reset',
  });
}

export const emailMethod: VerificationMethod = {
  kind: KIND,
  channel: 'email',
  usableFor: { signIn: false, reset: true },
  maxPerUser: MAX_PER_USER,

  /** A reset passed by a code to the alternate address proves the profile address when it is the same mailbox. */
  async afterReset(db, user, credentials, now) {
    return (await markVerifiedByReset(db, user, credentials, now)) ? 'user.email_verify' : undefined;
  },

  enroll,

  /** The code form when a code sent in this flow is waiting; else "Send code" (nothing is sent on load). */
  async challenge(cx, user, credentials, flow) {
    const list = mine(user, credentials);
    if (!list.length) return verifyView(undefined, fail('emailMethod.noAddress'));
    const scope = { flow, userId: user.id, kind: CODE_KIND };
    if (await isExhausted(cx, scope)) return verifyView(undefined, fail('emailMethod.tooMany'));
    return verifyView(
      await codeMethod.waitingFor(cx, scope, list),
      undefined,
      await codeSendWaitMs(cx, flow, CODE_KIND),
    );
  },

  async verify(cx, user, credentials, flow, input) {
    const list = mine(user, credentials);
    const scope = { flow, userId: user.id, kind: CODE_KIND };
    if (input.resend !== undefined) {
      if (!list.length) return codeMethod.notAttempt(fail('emailMethod.noAddress'));
      const address = maskAddress(addressOf(list[0]));
      return codeMethod.sendOnRequest(cx, scope, EMAIL_CODES, () => sendTo(cx, user, flow, list[0]), {
        address,
      });
    }
    return codeMethod.verifySentCode(cx, scope, input.code, list, EMAIL_CODES, AMR);
  },

  describe: (credential) => maskAddress(addressOf(credential)),
};

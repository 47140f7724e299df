import type { Message } from '../../delivery/types.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { translator } from '../../i18n/index.ts';
import { isExhausted, liveCode, recordWrongEntry, withdrawLive } from '../../security/codes.ts';
import { allowPhoneSend, codeSendWaitMs } from '../../security/rate-limits.ts';
import { constantTimeEqual } from '../../security/secrets.ts';
import { createChallenge, findLiveChallenge } from '../../store/challenges.ts';
import { type Credential, listCredentials } from '../../store/credentials.ts';
import type { User } from '../../store/users.ts';
import { type Fail, fail, stepTo } from '../results.ts';
import * as codeMethod from '../shared/code-method.ts';
import type {
  EnrollFinish,
  FlowId,
  MethodContext,
  MethodInput,
  MethodView,
  VerificationMethod,
  VerifyResult,
} from '../types.ts';
import {
  allowedCountries,
  countryOf,
  countryOptions,
  defaultCountry,
  maskPhone,
  type ParseError,
  PHONE_TYPES,
  type PhoneType,
  parsePhone,
} from './numbers.ts';

export { maskPhone, parsePhone } from './numbers.ts';

/*
 * Text message ('sms') and phone call ('voice'): two methods over one kind of stored credential, the
 * user's phones ('phone', at most a mobile and an alternate). A text needs the mobile; a call can go
 * to either. The number is private: it is shown masked, never logged and never released as a claim.
 *
 * Codes come from security/codes.ts (hashed, 10 minutes, single use, 5 wrong entries per flow and
 * method) and every send passes security/rate-limits.ts (per number, account and IP, and the global
 * hourly budget for phone channels) before anything leaves.
 */

type Via = 'sms' | 'voice';
const CREDENTIAL_KIND = 'phone';
const ENROLL_KIND = 'phone.enroll';
const MAX_PER_USER = 2;
/** How long a matched number lets the reset flow send codes without typing it again. */
const CONFIRMED_TTL_MS = 15 * 60_000;
const AMR: Record<Via, string[]> = { sms: ['sms'], voice: ['tel'] };

const codeKind = (via: Via) => `${via}.code`;
const confirmedKind = (via: Via) => `${via}.numberConfirmed`;
const isReset = (flow: FlowId) => flow.startsWith('reset:');

export interface PhoneData {
  e164: string;
  country: string;
  type: PhoneType;
}

function phoneData(c: Credential): PhoneData | undefined {
  const d = c.data as Partial<PhoneData>;
  if (typeof d.e164 !== 'string' || !/^\+[1-9]\d{6,14}$/.test(d.e164)) return undefined;
  return {
    e164: d.e164,
    country: String(d.country ?? ''),
    type: d.type === 'mobile' ? 'mobile' : 'alternate',
  };
}

const PARSE_ERRORS: Record<ParseError, MessageKey> = {
  missing: 'phone.numberMissing',
  invalid: 'phone.numberInvalid',
  extension: 'phone.extension',
  country: 'phone.countryMissing',
  notAccepted: 'phone.numberNotAccepted',
};

/** The messages of texts and calls: alike but for a wrong code and a failed send. */
const CODES: Record<Via, codeMethod.CodeMessages> = {
  sms: phoneCodes('phone.codeInvalidSms', 'phone.smsFailed'),
  voice: phoneCodes('phone.codeInvalidVoice', 'phone.callFailed'),
};

function phoneCodes(invalid: MessageKey, sendFailed: MessageKey): codeMethod.CodeMessages {
  return {
    format: 'phone.codeFormat',
    expired: 'phone.codeExpired',
    tooMany: 'phone.tooMany',
    invalid,
    limitIp: 'phone.limitIp',
    limitAccount: 'phone.limitAccount',
    limitTarget: 'phone.limitNumber',
    paused: 'phone.paused',
    sendFailed,
    sent: 'phone.codeSent',
    resent: 'phone.codeResent',
    enrollExpired: 'phone.enrollExpired',
    tooManyEnroll: 'phone.tooManyEnroll',
  };
}

// ---- sending --------------------------------------------------------------------------------------

/** The message with a code: a text that holds it, or a call whose lead-in is read before the code. */
function codeMessage(cx: MethodContext, via: Via, to: string, code: string, purpose: string): Message {
  const t = translator(cx.request.locale);
  const org = cx.organizationName;
  if (via === 'sms') {
    return {
      channel: 'sms',
      to,
      locale: cx.request.locale,
      text: t('phone.sms.text', { code, org, minutes: 10 }),
      purpose,
    };
  }
  // Built with a cast so this compiles whether or not Message declares `code` yet.
  return {
    channel: 'voice',
    to,
    locale: cx.request.locale,
    text: t('phone.voice.text', { org }),
    code,
    purpose,
  } as Message;
}

/** Checks the limits, makes a code and sends it; nothing leaves when a limit refuses. */
async function sendCode(
  cx: MethodContext,
  o: {
    flow: FlowId;
    userId: string;
    kind: string;
    via: Via;
    e164: string;
    data: Record<string, unknown>;
    purpose: string;
  },
): Promise<{ ok: true } | Fail> {
  // The policy's destinations hold at every send, not only at enrolment: a country removed since the
  // number was registered receives nothing (and nothing is counted).
  if (!allowedCountries(cx.policy, cx.config).includes(countryOf(o.e164) ?? ''))
    return fail('phone.countryNotAllowed');
  return codeMethod.deliverCode(
    cx,
    { flow: o.flow, userId: o.userId, kind: o.kind },
    {
      messages: CODES[o.via],
      allow: () => allowPhoneSend(cx, { userId: o.userId, e164: o.e164 }),
      data: { ...o.data, via: o.via },
      message: (code) => codeMessage(cx, o.via, o.e164, code, o.purpose),
    },
  );
}

// ---- enrolment ------------------------------------------------------------------------------------

const phonesOf = (user: User, creds: readonly Credential[]) =>
  creds.filter((c) => c.kind === CREDENTIAL_KIND && c.userId === user.id);

async function listPhones(cx: MethodContext, user: User): Promise<Credential[]> {
  return phonesOf(user, await listCredentials(cx.db, user.id));
}

function numberStep(cx: MethodContext, via: Via, taken: PhoneType[], problem?: Fail): MethodView {
  const types = PHONE_TYPES.filter((x) => !taken.includes(x));
  return {
    partial: 'phone/enroll',
    data: {
      step: 'number',
      countries: countryOptions(cx.policy, cx.config, cx.request.locale),
      country: defaultCountry(cx.policy, cx.config),
      types,
      type: types[0] ?? 'mobile',
      via,
      problem: problem?.error,
      problemParams: problem?.params,
    },
  };
}

async function enrollBegin(cx: MethodContext, user: User, flow: FlowId, via: Via): Promise<MethodView> {
  const phones = await listPhones(cx, user);
  const taken = phones.map((c) => phoneData(c)?.type).filter((x): x is PhoneType => !!x);
  const scope = { flow, userId: user.id, kind: ENROLL_KIND };
  const live = await liveCode(cx, scope);
  if (live && typeof live.data.e164 === 'string') {
    const sentVia: Via = live.data.via === 'voice' ? 'voice' : 'sms';
    return {
      partial: 'phone/enroll',
      data: {
        step: 'code',
        sentTo: maskPhone(live.data.e164),
        via: sentVia,
        // Either channel can send again; a text only to a number that can receive one.
        canText: live.data.textable === true,
      },
    };
  }
  if (await isExhausted(cx, scope)) return numberStep(cx, via, taken, fail('phone.tooMany'));
  return numberStep(cx, via, taken);
}

async function enrollFinish(
  cx: MethodContext,
  user: User,
  flow: FlowId,
  input: MethodInput,
  defaultVia: Via,
): Promise<EnrollFinish> {
  const scope = { flow, userId: user.id, kind: ENROLL_KIND };
  const viaOf = (v: unknown, fallback: Via): Via => (v === 'sms' || v === 'voice' ? v : fallback);

  if (input.restart) return codeMethod.restartEnroll(cx, scope, 'phone.enterNumber');

  const live = await liveCode(cx, scope);
  if (input.resend) {
    if (!live || typeof live.data.e164 !== 'string') return fail('phone.enrollExpired');
    // The button pressed names the channel: resend=sms or resend=voice.
    const via = viaOf(input.resend, viaOf(input.via, live.data.via === 'voice' ? 'voice' : 'sms'));
    if (via === 'sms' && live.data.textable !== true) return fail('phone.smsNeedsMobile');
    const { via: _v, ...data } = live.data;
    const sent = await sendCode(cx, {
      ...scope,
      via,
      e164: live.data.e164,
      data,
      purpose: 'phone.enroll_code',
    });
    return sent.ok ? stepTo('phone.codeResent', { number: maskPhone(live.data.e164) }) : sent;
  }

  // Step 2: the code that was sent.
  if (input.number === undefined && input.code !== undefined) {
    const sentVia: Via = live?.data.via === 'voice' ? 'voice' : 'sms';
    const r = await codeMethod.checkEnrollCode(cx, scope, live, input.code, CODES[sentVia]);
    if (!r.ok) return r;
    const e164 = String(r.data.e164);
    const phones = await listPhones(cx, user);
    const type: PhoneType = r.data.type === 'mobile' ? 'mobile' : 'alternate';
    if (phones.length >= MAX_PER_USER) return fail('phone.limitReached', { max: MAX_PER_USER });
    if (phones.some((c) => phoneData(c)?.type === type))
      return fail(type === 'mobile' ? 'phone.mobileTaken' : 'phone.alternateTaken');
    if (phones.some((c) => phoneData(c)?.e164 === e164)) return fail('phone.duplicate');
    const data: PhoneData = { e164, country: String(r.data.country), type };
    return { ok: true, credential: { kind: CREDENTIAL_KIND, label: '', data: { ...data } } };
  }

  // Step 1: the number, its type and how to send the code.
  const phones = await listPhones(cx, user);
  if (phones.length >= MAX_PER_USER) return fail('phone.limitReached', { max: MAX_PER_USER });
  const type = input.type === undefined || input.type === '' ? 'mobile' : input.type;
  if (type !== 'mobile' && type !== 'alternate') return fail('phone.typeInvalid');
  if (phones.some((c) => phoneData(c)?.type === type))
    return fail(type === 'mobile' ? 'phone.mobileTaken' : 'phone.alternateTaken');
  const via = viaOf(input.via, type === 'mobile' ? defaultVia : 'voice');
  const parsed = parsePhone(input.number, input.country);
  if (!parsed.ok) return fail(PARSE_ERRORS[parsed.error]);
  const phone = parsed.phone;
  if (type === 'mobile' && !phone.textable) return fail('phone.notMobile');
  if (via === 'sms' && !phone.textable) return fail('phone.smsNeedsMobile');
  if (phones.some((c) => phoneData(c)?.e164 === phone.e164)) return fail('phone.duplicate');
  // Refused before anything is counted or sent.
  if (!allowedCountries(cx.policy, cx.config).includes(phone.country)) return fail('phone.countryNotAllowed');

  const sent = await sendCode(cx, {
    ...scope,
    via,
    e164: phone.e164,
    data: { e164: phone.e164, country: phone.country, type, textable: phone.textable },
    purpose: 'phone.enroll_code',
  });
  return sent.ok ? stepTo('phone.codeSent', { number: maskPhone(phone.e164) }) : sent;
}

// ---- verification ---------------------------------------------------------------------------------

/** The phone a code goes to when the user has not picked one: the default, then the mobile, then the first. */
function pickPhone(creds: Credential[]): Credential | undefined {
  return creds.find((c) => c.isDefault) ?? creds.find((c) => phoneData(c)?.type === 'mobile') ?? creds[0];
}

function usablePhones(user: User, credentials: Credential[], via: Via): Credential[] {
  return phonesOf(user, credentials).filter((c) => {
    const d = phoneData(c);
    return !!d && (via === 'voice' || d.type === 'mobile');
  });
}

function verifyView(
  via: Via,
  phones: Credential[],
  sentTo?: Credential,
  problem?: Fail,
  waitMs = 0,
): MethodView {
  return {
    partial: 'phone/verify',
    data: {
      via,
      sentTo: sentTo ? maskPhone(phoneData(sentTo)?.e164) : undefined,
      sentToId: sentTo?.id,
      phones: phones.map((c) => ({ id: c.id, label: maskPhone(phoneData(c)?.e164) })),
      canEnter: !!sentTo,
      // No code waiting and nothing in the way: the page offers "Send code" (never sent on load).
      canSend: !sentTo && !problem && phones.length > 0,
      waitSeconds: Math.ceil(waitMs / 1000),
      problem: problem?.error,
      problemParams: problem?.params,
    },
  };
}

function confirmView(cx: MethodContext, via: Via, phones: Credential[], problem?: Fail): MethodView {
  return {
    partial: 'phone/confirm',
    data: {
      via,
      hints: phones.map((c) => maskPhone(phoneData(c)?.e164)),
      countries: countryOptions(cx.policy, cx.config, cx.request.locale),
      country: defaultCountry(cx.policy, cx.config),
      problem: problem?.error,
      problemParams: problem?.params,
    },
  };
}

async function numberConfirmed(cx: MethodContext, user: User, flow: FlowId, via: Via): Promise<boolean> {
  const c = await findLiveChallenge(cx.db, flow, confirmedKind(via), cx.clock.now());
  return !!c && c.userId === user.id;
}

async function challengeFor(
  cx: MethodContext,
  via: Via,
  user: User,
  credentials: Credential[],
  flow: FlowId,
): Promise<MethodView> {
  const phones = usablePhones(user, credentials, via);
  const scope = { flow, userId: user.id, kind: codeKind(via) };
  if (!phones.length) return verifyView(via, phones, undefined, fail('phone.noPhone'));
  if (await isExhausted(cx, scope)) return verifyView(via, phones, undefined, fail('phone.tooMany'));
  // Reset: the whole number must be typed and match before any code is sent (SSPR.md §3).
  if (isReset(flow) && !(await numberConfirmed(cx, user, flow, via))) return confirmView(cx, via, phones);
  const waiting = await codeMethod.waitingFor(cx, scope, phones);
  const waitMs = await codeSendWaitMs(cx, flow, codeKind(via));
  // Nothing is sent on load (a reload or Back would use up the sending limits): the user asks.
  return verifyView(via, phones, waiting, undefined, waitMs);
}

async function sendTo(
  cx: MethodContext,
  via: Via,
  userId: string,
  flow: FlowId,
  target: Credential,
): Promise<{ ok: true } | Fail> {
  const d = phoneData(target)!;
  const refusal = await codeMethod.sendRefusal(cx, flow, codeKind(via), CODES[via]);
  if (refusal) return refusal;
  return sendCode(cx, {
    flow,
    userId,
    kind: codeKind(via),
    via,
    e164: d.e164,
    data: { credentialId: target.id },
    purpose: isReset(flow) ? 'reset.code' : 'signin.code',
  });
}

/** Compares a typed number with the registered ones: normalized, in constant time, every one of them. */
function matchesRegistered(phones: Credential[], typed: unknown, country: unknown): Credential | undefined {
  const parsed = parsePhone(typed, country);
  const candidate = parsed.ok ? parsed.phone.e164 : '+000000000000000';
  let found: Credential | undefined;
  for (const c of phones) {
    const e164 = phoneData(c)?.e164 ?? '';
    // Padded to one length, so that the comparison's time does not depend on the number's.
    if (constantTimeEqual(e164.padEnd(16, '#'), candidate.padEnd(16, '#')) && !found) found = c;
  }
  return found;
}

/** A registered phone a decoy is compared with, when the account is unknown. */
const DECOY: Credential[] = [
  {
    id: '00000000-0000-4000-8000-000000000000',
    userId: '',
    kind: CREDENTIAL_KIND,
    label: '',
    data: { e164: '+10000000000', country: 'US', type: 'mobile' },
    lookup: null,
    isDefault: false,
    createdAt: new Date(0),
    confirmedAt: null,
    lastUsedAt: null,
  },
];

async function precheck(
  cx: MethodContext,
  via: Via,
  user: User | null,
  credentials: Credential[],
  flow: FlowId,
  input: MethodInput,
): Promise<{ ok: true; target: Credential } | Fail> {
  const phones = user ? usablePhones(user, credentials, via) : DECOY;
  const scope = { flow, userId: user?.id ?? null, kind: codeKind(via) };
  if (await isExhausted(cx, scope)) return fail('phone.tooMany');
  const target = matchesRegistered(phones, input.number, input.country);
  if (!target || !user) {
    // Counted for an unknown account too (under no user), so that both take the same path.
    await recordWrongEntry(cx, scope);
    return fail('phone.numberMismatch');
  }
  await createChallenge(
    cx.db,
    { flow, userId: user.id, kind: confirmedKind(via) },
    cx.clock.now(),
    CONFIRMED_TTL_MS,
  );
  return { ok: true, target };
}

/**
 * The reset flow's phone step in one call (SSPR.md §3): the typed number (in the chosen country) must
 * be one of the user's registered phones, compared in constant time; only then a code is sent to it,
 * by text or call. With `user` null (an unknown account) the same checks run and nothing is sent, and
 * the answer is the one a mismatch gives.
 */
export async function confirmNumberAndSend(
  cx: MethodContext,
  user: User | null,
  credentials: Credential[],
  flow: FlowId,
  typedNumber: unknown,
  country: unknown,
  via: Via = 'sms',
): Promise<{ ok: true; sentTo: string; view: MethodView } | (Fail & { view: MethodView })> {
  const phones = user ? usablePhones(user, credentials, via) : [];
  const r = await precheck(cx, via, user, credentials, flow, { number: typedNumber, country });
  if (!r.ok) return { ...r, view: confirmView(cx, via, phones) };
  const u = user!;
  await withdrawLive(cx, { flow, kind: codeKind(via) });
  const sent = await sendTo(cx, via, u.id, flow, r.target);
  if (!sent.ok) return { ...sent, view: verifyView(via, phones, undefined, sent) };
  return { ok: true, sentTo: maskPhone(phoneData(r.target)?.e164), view: verifyView(via, phones, r.target) };
}

async function verifyFor(
  cx: MethodContext,
  via: Via,
  user: User,
  credentials: Credential[],
  flow: FlowId,
  input: MethodInput,
): Promise<VerifyResult> {
  const phones = usablePhones(user, credentials, via);
  const scope = { flow, userId: user.id, kind: codeKind(via) };

  // The number typed in a reset, when the host has no separate step for it.
  if (isReset(flow) && input.number !== undefined) {
    const r = await confirmNumberAndSend(cx, user, credentials, flow, input.number, input.country, via);
    if (r.ok) return codeMethod.codeSentStep(fail('phone.codeSent', { number: r.sentTo }));
    if (r.error === 'phone.tooMany') return { ...fail(r.error), exhausted: true };
    // A number that does not match is a wrong entry; a limit or a failed send is not.
    return r.error === 'phone.numberMismatch'
      ? fail(r.error)
      : codeMethod.notAttempt(fail(r.error, r.params));
  }
  if (input.resend !== undefined) {
    if (isReset(flow) && !(await numberConfirmed(cx, user, flow, via)))
      return codeMethod.notAttempt(fail('phone.numberMismatch'));
    const target =
      phones.find((c) => c.id === input.phone) ??
      (await codeMethod.waitingFor(cx, scope, phones)) ??
      pickPhone(phones);
    if (!target) return codeMethod.notAttempt(fail('phone.noPhone'));
    const number = maskPhone(phoneData(target)?.e164);
    return codeMethod.sendOnRequest(cx, scope, CODES[via], () => sendTo(cx, via, user.id, flow, target), {
      number,
    });
  }
  return codeMethod.verifySentCode(cx, scope, input.code, phones, CODES[via], AMR[via]);
}

function makeMethod(via: Via): VerificationMethod {
  return {
    kind: via,
    channel: via,
    usableFor: { signIn: true, reset: true },
    maxPerUser: MAX_PER_USER,
    credentialKind: CREDENTIAL_KIND,
    accepts: (c) => via === 'voice' || phoneData(c)?.type === 'mobile',
    enroll: {
      begin: (cx, user, flow) => enrollBegin(cx, user, flow, via),
      finish: (cx, user, flow, input) => enrollFinish(cx, user, flow, input, via),
    },
    challenge: (cx, user, credentials, flow) => challengeFor(cx, via, user, credentials, flow),
    verify: (cx, user, credentials, flow, input) => verifyFor(cx, via, user, credentials, flow, input),
    describe: (credential) => maskPhone(phoneData(credential)?.e164),
    resetPrecheck: {
      view: (cx, user, credentials) => confirmView(cx, via, usablePhones(user, credentials, via)),
      async submit(cx, user, credentials, flow, input) {
        const r = await precheck(cx, via, user, credentials, flow, input);
        return r.ok ? { ok: true } : r;
      },
    },
  };
}

/** A text message with a code, to the user's mobile phone. */
export const smsMethod: VerificationMethod = makeMethod('sms');
/** A phone call that reads a code, to the user's mobile or alternate phone. */
export const voiceMethod: VerificationMethod = makeMethod('voice');

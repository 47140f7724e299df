import crypto from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  RegistrationResponseJSON,
  verifyAuthenticationResponse,
} from '@simplewebauthn/server';
import { isLocale, type MessageKey, translator } from '../../i18n/index.ts';
import { codeRule } from '../../policy/counters.ts';
import { type CounterSpec, codeKey, countEvent, counterBlocked, guard } from '../../security/counters.ts';
import {
  type Challenge,
  consumeChallenge,
  createChallenge,
  findLiveChallenge,
} from '../../store/challenges.ts';
import {
  type Credential,
  countCredentialsByKind,
  findCredential,
  findCredentialByLookup,
  listCredentials,
  renameCredential,
  touchCredential,
  updateCredentialData,
} from '../../store/credentials.ts';
import type { User } from '../../store/users.ts';
import type { FlowId, MethodContext, MethodInput, MethodView, VerificationMethod } from '../types.ts';

// The WebAuthn library (about 5 MB of heap with its ASN.1 and CBOR parsers) loads on the first
// security-key or passkey request, not with the server: most sign-ins never need it (issue 12).
let webauthnLibrary: Promise<typeof import('@simplewebauthn/server')> | undefined;
function webauthn(): Promise<typeof import('@simplewebauthn/server')> {
  if (!webauthnLibrary) {
    webauthnLibrary = import('@simplewebauthn/server');
    // A failed load is tried again on the next request, not remembered.
    webauthnLibrary.catch(() => {
      webauthnLibrary = undefined;
    });
  }
  return webauthnLibrary;
}

const KIND = 'securityKey';
const MAX_PER_USER = 10;
const MAX_FAILURES = 5;
const TTL_MS = 5 * 60_000;
/** COSE algorithm ids: ES256 and RS256 cover every authenticator in circulation. */
const ALGORITHMS = [-7, -257];
/** Upper bound on the JSON a browser may send back; real responses are a few kilobytes. */
const MAX_RESPONSE_CHARS = 64 * 1024;
const NAME_MAX = 64;

const CH_ENROLL = 'securityKey.enroll';
const CH_VERIFY = 'securityKey.verify';
/** Keeps the challenge of the options handed to the browser, for this flow and user, for TTL_MS. */
function rememberChallenge(
  cx: MethodContext,
  flow: FlowId,
  user: User,
  kind: string,
  options: { challenge: string },
) {
  const data = { challenge: options.challenge };
  return createChallenge(cx.db, { flow, userId: user.id, kind, data }, cx.clock.now(), TTL_MS);
}

/** Failed assertions in one flow, reserved before each assertion is checked. */
const keyCounter = (flow: string, user: User): CounterSpec => ({
  key: codeKey(flow, 'securityKey'),
  rule: codeRule(MAX_FAILURES),
  userId: user.id,
});

/** What is kept in `credentials.data` for one key. Nothing here is secret: the public key is public. */
export interface SecurityKeyData {
  publicKey: string;
  counter: number;
  transports: string[];
  /** The credential may be synced to other devices (a passkey in a password manager): `swk`, not `hwk`. */
  backupEligible: boolean;
  backedUp: boolean;
  /** Whether the authenticator reported a discoverable (resident) credential; null when it did not say. */
  discoverable: boolean | null;
  userVerified: boolean;
  aaguid: string;
}

type Failure = { ok: false; error: MessageKey; exhausted?: boolean };

/**
 * Serializes WebAuthn options for a `<script type="application/json">` block: the escapes keep the
 * text from closing the element or being read as markup, and JSON.parse gives the same value back.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The WebAuthn user handle: the 16 bytes of the user's uuid, never anything personal. */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

function parseResponse<T>(raw: unknown): T | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_RESPONSE_CHARS) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || typeof o.rawId !== 'string') return undefined;
  if (!o.response || typeof o.response !== 'object') return undefined;
  return v as T;
}

function keyData(c: Credential): SecurityKeyData {
  const d = c.data as Partial<SecurityKeyData>;
  return {
    publicKey: String(d.publicKey ?? ''),
    counter: Number(d.counter ?? 0),
    transports: Array.isArray(d.transports) ? d.transports.map(String) : [],
    backupEligible: d.backupEligible === true,
    backedUp: d.backedUp === true,
    discoverable: typeof d.discoverable === 'boolean' ? d.discoverable : null,
    userVerified: d.userVerified === true,
    aaguid: String(d.aaguid ?? ''),
  };
}

const amrOf = (d: SecurityKeyData) => [d.backupEligible ? 'swk' : 'hwk'];

/** The user's own language if they chose one, else the language of the page they are on. */
function defaultName(cx: MethodContext, user: User): string {
  const locale = isLocale(user.locale) ? user.locale : (cx.request?.locale ?? cx.config.defaultLocale);
  return translator(locale)('securityKey.defaultName');
}

/** A key's display name: trimmed, 1–64 characters (code points), no control characters. */
export function validateKeyName(raw: unknown): { ok: true; name: string } | { ok: false; error: MessageKey } {
  if (typeof raw !== 'string') return { ok: false, error: 'securityKey.nameInvalid' };
  const name = raw.normalize('NFC').trim();
  const length = [...name].length;
  if (length < 1 || length > NAME_MAX || /\p{Cc}/u.test(name))
    return { ok: false, error: 'securityKey.nameInvalid' };
  return { ok: true, name };
}

async function verifyAssertion(
  cx: MethodContext,
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
  cred: Credential,
  requireUserVerification: boolean,
) {
  const d = keyData(cred);
  const { verifyAuthenticationResponse } = await webauthn();
  let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'];
  try {
    const r = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: cx.rp.origin,
      expectedRPID: cx.rp.id,
      credential: {
        id: cred.lookup ?? '',
        publicKey: new Uint8Array(Buffer.from(d.publicKey, 'base64url')),
        counter: d.counter,
        transports: d.transports,
      },
      requireUserVerification,
    });
    if (!r.verified) return undefined;
    info = r.authenticationInfo;
  } catch {
    // The library throws on every malformed or mismatched field; all of them mean "not verified".
    return undefined;
  }
  const updated: SecurityKeyData = { ...d, counter: info.newCounter, backedUp: info.credentialBackedUp };
  await updateCredentialData(cx.db, cred.id, { ...cred.data, ...updated });
  await touchCredential(cx.db, cred.id, cx.clock.now());
  return updated;
}

async function verifyRegistration(
  cx: MethodContext,
  response: RegistrationResponseJSON,
  challenge: Challenge,
) {
  const { verifyRegistrationResponse } = await webauthn();
  try {
    const r = await verifyRegistrationResponse({
      response,
      expectedChallenge: String(challenge.data.challenge ?? ''),
      expectedOrigin: cx.rp.origin,
      expectedRPID: cx.rp.id,
      // Registration asks for verification as 'preferred': a key without a PIN is still a second factor.
      requireUserVerification: false,
      supportedAlgorithmIDs: ALGORITHMS,
    });
    return r.verified ? r.registrationInfo : undefined;
  } catch {
    // The library throws on every malformed or mismatched field; all of them mean "not verified".
    return undefined;
  }
}

/** Renames one of the user's keys; false when the name is invalid or the key is not theirs. */
export async function renameSecurityKey(
  cx: MethodContext,
  userId: string,
  credentialId: string,
  name: unknown,
): Promise<{ ok: true } | { ok: false; error: MessageKey }> {
  const v = validateKeyName(name);
  if (!v.ok) return v;
  const mine = await findCredential(cx.db, userId, credentialId);
  if (!mine || mine.kind !== KIND || !(await renameCredential(cx.db, userId, credentialId, v.name))) {
    return { ok: false, error: 'securityKey.notRegistered' };
  }
  return { ok: true };
}

/*
 * The passkey challenge of a sign-in page is stateless, so that showing the sign-in page writes
 * nothing (issue 12: a password sign-in leaves no challenge row): 8 bytes of issue time, 16 random
 * bytes and an HMAC under the instance's key over the flow, the time and the random bytes. It is
 * accepted only for its own flow, for TTL_MS, and once: the first assertion that carries it takes its
 * single use in the counters table (key `passkey:<flow>:<random>`, kept for TTL_MS).
 */
const PASSKEY_MAC = 'webauthn.passkey';
const passkeyMac = (cx: MethodContext, flow: FlowId, head: Buffer) =>
  Buffer.from(cx.box.hmac(PASSKEY_MAC, `${flow}.${head.toString('base64url')}`), 'base64url');
const passkeyUse = (flow: FlowId, random: Buffer): CounterSpec => ({
  key: `passkey:${flow}:${random.toString('base64url')}`,
  rule: { limit: 1, windowMs: TTL_MS, firstLockMs: 0, maxLockMs: 0 },
});

function newPasskeyChallenge(cx: MethodContext, flow: FlowId): Uint8Array<ArrayBuffer> {
  const head = Buffer.alloc(24);
  head.writeBigUInt64BE(BigInt(cx.clock.now().getTime()), 0);
  crypto.randomFillSync(head, 8, 16);
  const out = new Uint8Array(56);
  out.set(head, 0);
  out.set(passkeyMac(cx, flow, head), 24);
  return out;
}

/**
 * The challenge an assertion answers (from its client data), when this instance issued it for this
 * flow: `expired` when it is older than TTL_MS, `forged` when it is not ours or another flow's.
 */
function passkeyChallengeOf(
  cx: MethodContext,
  flow: FlowId,
  response: AuthenticationResponseJSON,
): { ok: true; challenge: string; random: Buffer } | { ok: false; why: 'expired' | 'forged' } {
  let challenge: unknown;
  try {
    const clientData = Buffer.from(String(response.response?.clientDataJSON ?? ''), 'base64url');
    challenge = (JSON.parse(clientData.toString('utf8')) as { challenge?: unknown }).challenge;
  } catch {
    return { ok: false, why: 'forged' };
  }
  if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{75}$/.test(challenge)) {
    return { ok: false, why: 'forged' };
  }
  const raw = Buffer.from(challenge, 'base64url');
  const head = raw.subarray(0, 24);
  if (raw.length !== 56 || !crypto.timingSafeEqual(raw.subarray(24), passkeyMac(cx, flow, head))) {
    return { ok: false, why: 'forged' };
  }
  const age = cx.clock.now().getTime() - Number(head.readBigUInt64BE(0));
  if (age < 0 || age > TTL_MS) return { ok: false, why: 'expired' };
  return { ok: true, challenge, random: head.subarray(8) };
}

/**
 * Options for "Sign in with a passkey": no allowCredentials, so the browser offers the passkeys it
 * holds for this site; the authenticator must verify the user, since there is no password.
 */
export async function passkeyOptions(cx: MethodContext, flow: FlowId): Promise<MethodView> {
  const options = await (await webauthn()).generateAuthenticationOptions({
    rpID: cx.rp.id,
    userVerification: 'required',
    timeout: TTL_MS,
    challenge: newPasskeyChallenge(cx, flow),
  });
  return { partial: 'security-key/passkey', data: { passkeyOptionsJson: embedJson(options) } };
}

export type PasskeyResult =
  | { ok: true; userId: string; credentialId: string; amr: string[] }
  | { ok: false; error: MessageKey };

/**
 * Checks a passkey assertion against the challenge of this flow (once) and returns whose key it is.
 * The caller still checks that the account may sign in (status, lockout).
 */
export async function verifyPasskey(
  cx: MethodContext,
  flow: FlowId,
  input: MethodInput,
): Promise<PasskeyResult> {
  const response = parseResponse<AuthenticationResponseJSON>(input.response);
  if (!response) return { ok: false, error: 'securityKey.badResponse' };
  const issued = passkeyChallengeOf(cx, flow, response);
  if (!issued.ok) {
    return { ok: false, error: issued.why === 'expired' ? 'securityKey.expired' : 'securityKey.failed' };
  }
  // Used once: the first assertion that carries it takes it, whatever its outcome.
  if (!(await countEvent(cx, passkeyUse(flow, issued.random))).ok) {
    return { ok: false, error: 'securityKey.expired' };
  }
  const cred = await findCredentialByLookup(cx.db, KIND, response.id);
  if (!cred) return { ok: false, error: 'securityKey.unknownPasskey' };
  const handle = response.response?.userHandle;
  if (handle && handle !== Buffer.from(userHandleOf(cred.userId)).toString('base64url')) {
    return { ok: false, error: 'securityKey.failed' };
  }
  const d = await verifyAssertion(cx, response, issued.challenge, cred, true);
  if (!d) return { ok: false, error: 'securityKey.failed' };
  // The passkey verified the user (PIN or biometrics), so the caller may count it as multi-factor.
  return { ok: true, userId: cred.userId, credentialId: cred.id, amr: amrOf(d) };
}

export const securityKeyMethod: VerificationMethod = {
  renamable: true,
  kind: KIND,
  usableFor: { signIn: true, reset: true },
  maxPerUser: MAX_PER_USER,
  passwordless: true,

  enroll: {
    async begin(cx, user, flow) {
      const existing = (await listCredentials(cx.db, user.id)).filter((c) => c.kind === KIND && c.lookup);
      const options = await (await webauthn()).generateRegistrationOptions({
        rpName: cx.rp.name,
        rpID: cx.rp.id,
        userName: user.login,
        userDisplayName: user.displayName || user.login,
        userID: userHandleOf(user.id),
        timeout: TTL_MS,
        attestationType: 'none',
        excludeCredentials: existing.map((c) => ({
          id: c.lookup as string,
          transports: keyData(c).transports,
        })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
        supportedAlgorithmIDs: ALGORITHMS,
      });
      await rememberChallenge(cx, flow, user, CH_ENROLL, options);
      return {
        partial: 'security-key/enroll',
        data: { optionsJson: embedJson(options), defaultName: defaultName(cx, user) },
      };
    },

    async finish(cx, user, flow, input) {
      let label = defaultName(cx, user);
      if (typeof input.name === 'string' && input.name.trim() !== '') {
        const v = validateKeyName(input.name);
        if (!v.ok) return v;
        label = v.name;
      } else if (input.name !== undefined && typeof input.name !== 'string') {
        return { ok: false, error: 'securityKey.nameInvalid' };
      }
      const response = parseResponse<RegistrationResponseJSON>(input.response);
      if (!response) return { ok: false, error: 'securityKey.badResponse' };

      const now = cx.clock.now();
      const challenge = await findLiveChallenge(cx.db, flow, CH_ENROLL, now);
      if (!challenge || challenge.userId !== user.id || !(await consumeChallenge(cx.db, challenge.id, now))) {
        return { ok: false, error: 'securityKey.expired' };
      }
      if ((await countCredentialsByKind(cx.db, user.id, KIND)) >= MAX_PER_USER) {
        return { ok: false, error: 'securityKey.limit', params: { max: MAX_PER_USER } };
      }

      const info = await verifyRegistration(cx, response, challenge);
      if (!info) return { ok: false, error: 'securityKey.failed' };
      const credentialId = info.credential.id;
      if (credentialId !== response.id) return { ok: false, error: 'securityKey.failed' };
      if (await findCredentialByLookup(cx.db, KIND, credentialId))
        return { ok: false, error: 'securityKey.alreadyRegistered' };

      const rk = response.clientExtensionResults?.credProps?.rk;
      const data: SecurityKeyData = {
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: (info.credential.transports ?? []).map(String),
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
        discoverable: typeof rk === 'boolean' ? rk : null,
        userVerified: info.userVerified,
        aaguid: info.aaguid,
      };
      return { ok: true, credential: { kind: KIND, label, lookup: credentialId, data: { ...data } } };
    },
  },

  async challenge(cx, user, credentials, flow) {
    const keys = credentials.filter((c) => c.kind === KIND && c.userId === user.id && c.lookup);
    const options = await (await webauthn()).generateAuthenticationOptions({
      rpID: cx.rp.id,
      allowCredentials: keys.map((c) => ({ id: c.lookup as string, transports: keyData(c).transports })),
      userVerification: 'preferred',
      timeout: TTL_MS,
    });
    // Failures belong to the flow, not to one set of options (the counter `code:<flow>:securityKey`).
    const blocked = await counterBlocked(cx, keyCounter(flow, user));
    await rememberChallenge(cx, flow, user, CH_VERIFY, options);
    return {
      partial: 'security-key/verify',
      data: { optionsJson: embedJson(options), exhausted: blocked },
    };
  },

  async verify(cx, user, credentials, flow, input) {
    const now = cx.clock.now();
    const exhausted: Failure = { ok: false, error: 'securityKey.exhausted', exhausted: true };
    const response = parseResponse<AuthenticationResponseJSON>(input.response);
    if (!response) return { ok: false, error: 'securityKey.badResponse' };

    const challenge = await findLiveChallenge(cx.db, flow, CH_VERIFY, now);
    if (!challenge || challenge.userId !== user.id) {
      if (await counterBlocked(cx, keyCounter(flow, user))) return exhausted;
      return { ok: false, error: 'securityKey.expired' };
    }
    type Checked = { error: MessageKey } | { credentialId: string; amr: string[] };
    const g = await guard(cx, keyCounter(flow, user), async () => {
      if (!(await consumeChallenge(cx.db, challenge.id, now))) {
        return { value: { error: 'securityKey.expired' } as Checked, outcome: 'uncounted' as const };
      }
      // Only this user's keys count: an assertion from someone else's key is refused like a wrong one.
      const cred = credentials.find(
        (c) => c.kind === KIND && c.userId === user.id && c.lookup === response.id,
      );
      if (!cred)
        return { value: { error: 'securityKey.notRegistered' } as Checked, outcome: 'failure' as const };
      const d = await verifyAssertion(cx, response, String(challenge.data.challenge ?? ''), cred, false);
      if (!d) return { value: { error: 'securityKey.failed' } as Checked, outcome: 'failure' as const };
      return { value: { credentialId: cred.id, amr: amrOf(d) } as Checked, outcome: 'success' as const };
    });
    // Refused unevaluated: not an attempt of its own (it counts nowhere else).
    if (g.refused) return { ...exhausted, counted: false };
    if (g.blocked) return exhausted;
    const v = g.value;
    if ('error' in v) return { ok: false, error: v.error };
    return { ok: true, credentialId: v.credentialId, amr: v.amr };
  },

  describe(credential, t) {
    return credential.label.trim() || t('securityKey.defaultName');
  },
};

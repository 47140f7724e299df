import { generateSecret, generateSync, ScureBase32Plugin } from 'otplib';
import QRCode from 'qrcode';
import { en } from '../../i18n/en/index.ts';
import { codeRule } from '../../policy/counters.ts';
import { type CounterSpec, codeKey, counterBlocked, guard } from '../../security/counters.ts';
import { constantTimeEqual } from '../../security/secrets.ts';
import {
  consumeChallenge,
  createChallenge,
  findLiveChallenge,
  updateChallengeData,
} from '../../store/challenges.ts';
import {
  type Credential,
  claimTotpStep,
  countCredentialsByKind,
  touchCredential,
} from '../../store/credentials.ts';
import type { User } from '../../store/users.ts';
import { fail } from '../results.ts';
import type { EnrollFinish, MethodContext, MethodView, VerificationMethod, VerifyResult } from '../types.ts';

/*
 * Authenticator app: TOTP (RFC 6238) with the parameters every common app supports and most apps
 * silently assume (HMAC-SHA1, 6 digits, 30 s steps), computed by otplib at the injected clock's time.
 */

const PURPOSE = 'totp-secret';
const ENROLL_KIND = 'app.enroll';
const SECRET_BYTES = 20;
const DIGITS = 6;
const PERIOD_S = 30;
/** Steps accepted either side of the current one, for phone clocks that drift and slow typists. */
const WINDOW = 1;
/** Wrong entries allowed for one enrolment or one flow (SSPR.md §3). */
const MAX_WRONG = 5;
const MAX_PER_USER = 5;
const NAME_MAX = 64;
/** RFC 8176 value this method adds on success (the interface carries it in VerifyResult). */
export const AMR: readonly string[] = ['otp'];
const ENROLL_TTL_MS = 10 * 60_000;
/** Wrong codes are counted per flow for an hour: longer than any sign-in interaction or reset session. */
const VERIFY_WINDOW_MS = 60 * 60_000;

/** Stored as the label when the user gives no name; shown localized by describe(). */
const DEFAULT_LABEL: string = en['app.default_label'];

// ---- TOTP primitives -------------------------------------------------------------------------------

/*
 * otplib computes the codes (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps from the Unix epoch) and encodes
 * the secrets (RFC 4648 base32, 20 random bytes: 32 characters, no padding), exactly as enrolments
 * made before it were. The time is always passed in from the injected clock, never read from the wall.
 */
const base32 = new ScureBase32Plugin();

/** A new secret: 20 bytes from the CSPRNG, base32. */
export function newSecret(): string {
  return generateSecret({ length: SECRET_BYTES, base32 });
}

/** The code of one time step. */
function codeAt(key: Uint8Array, step: number): string {
  return generateSync({
    strategy: 'totp',
    secret: key,
    epoch: step * PERIOD_S,
    period: PERIOD_S,
    digits: DIGITS,
    algorithm: 'sha1',
    base32,
  });
}

export function timeStep(at: Date): number {
  return Math.floor(at.getTime() / (PERIOD_S * 1000));
}

/** The TOTP code of a base32 secret at a moment. */
export function totpAt(secretBase32: string, at: Date): string {
  return codeAt(base32.decode(secretBase32), timeStep(at));
}

/**
 * The time steps within the window whose code equals `code`. Every candidate is compared, in
 * constant time, whether or not an earlier one matched.
 */
function matchingSteps(key: Uint8Array, code: string, now: Date): number[] {
  const current = timeStep(now);
  const found: number[] = [];
  for (let step = current - WINDOW; step <= current + WINDOW; step++) {
    if (constantTimeEqual(codeAt(key, step), code)) found.push(step);
  }
  return found;
}

/** otpauth:// URI (Key Uri Format) with the parameters spelled out, for apps that do not assume them. */
export function otpauthUri(issuer: string, account: string, secretBase32: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const q = new URLSearchParams({
    secret: secretBase32,
    issuer,
    algorithm: 'SHA1',
    digits: String(DIGITS),
    period: String(PERIOD_S),
  });
  // URLSearchParams writes spaces as '+', which the Key Uri Format does not define.
  return `otpauth://totp/${label}?${q.toString().replace(/\+/g, '%20')}`;
}

// ---- input ------------------------------------------------------------------------------------------

/** Digits only, 6 of them; spaces are allowed for typing, and full-width digits from a Japanese IME. */
function normalizeCode(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 64) return undefined;
  const code = v.normalize('NFKC').replace(/\s+/g, '');
  return /^[0-9]{6}$/.test(code) ? code : undefined;
}

/** The display name the user gave: '' when none, undefined when too long. */
function normalizeName(v: unknown): string | undefined {
  if (typeof v !== 'string') return '';
  const name = v
    .normalize('NFC')
    .replace(/\p{Cc}/gu, ' ')
    // Bidirectional overrides could make one name look like another.
    .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return [...name].length > NAME_MAX ? undefined : name;
}

function groupSecret(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}

// ---- views ------------------------------------------------------------------------------------------

/** The QR code as the library's SVG alone: it is inserted unescaped, so anything else is refused. */
async function qrSvg(uri: string): Promise<string> {
  const svg = (
    await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 200 })
  ).trim();
  if (!/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^<>]*>(?:<path [^<>]*\/>)+<\/svg>$/.test(svg)) {
    throw new Error('unexpected QR code output');
  }
  return svg;
}

async function enrollView(
  cx: MethodContext,
  user: User,
  challengeId: string,
  secret: string,
): Promise<MethodView> {
  return {
    partial: 'app/enroll',
    data: {
      challengeId,
      qrSvg: await qrSvg(otpauthUri(cx.organizationName, user.login, secret)),
      secretText: groupSecret(secret),
      issuer: cx.organizationName,
      accountName: user.login,
    },
  };
}

// ---- failure counting -------------------------------------------------------------------------------

const exhausted = () => ({ ok: false, error: 'app.too_many', exhausted: true }) as const;

/** Wrong codes in one flow (`code:<flow>:app`), reserved before the codes are computed. */
const verifyCounter = (flow: string, user: User): CounterSpec => ({
  key: codeKey(flow, 'app'),
  rule: codeRule(MAX_WRONG, VERIFY_WINDOW_MS),
  userId: user.id,
});
/** Wrong codes for one enrolment (one secret): a new secret starts afresh. */
const enrollCounter = (challengeId: string, user: User): CounterSpec => ({
  key: `app.enroll:${challengeId}`,
  rule: codeRule(MAX_WRONG, ENROLL_TTL_MS),
  userId: user.id,
});

function openSecret(cx: MethodContext, sealed: unknown): Uint8Array | undefined {
  if (typeof sealed !== 'string') return undefined;
  try {
    return base32.decode(cx.box.decryptString(PURPOSE, sealed));
  } catch {
    return undefined;
  }
}

// ---- the method -------------------------------------------------------------------------------------

export const appMethod: VerificationMethod = {
  renamable: true,
  kind: 'app',
  usableFor: { signIn: true, reset: true },
  maxPerUser: MAX_PER_USER,

  enroll: {
    /**
     * Shows this flow's live enrolment again while it lasts (a form re-shown after a wrong code, a
     * reload or a second tab keeps the secret the user may already have scanned); a new secret when
     * there is none, when it is exhausted, or when `input.restart` is set ("start again").
     */
    async begin(cx, user, flow, input) {
      const now = cx.clock.now();
      const live = await findLiveChallenge(cx.db, flow, ENROLL_KIND, now);
      if (
        live &&
        !input.restart &&
        live.userId === user.id &&
        !(await counterBlocked(cx, enrollCounter(live.id, user)))
      ) {
        const key = openSecret(cx, live.data.secret);
        if (key) return enrollView(cx, user, live.id, base32.encode(key));
      }
      // One enrolment at a time per flow: a replaced one is no longer accepted.
      for (
        let i = 0, c = live;
        c && i < 50;
        i++, c = await findLiveChallenge(cx.db, flow, ENROLL_KIND, now)
      ) {
        await consumeChallenge(cx.db, c.id, now);
      }
      const secret = newSecret();
      const ch = await createChallenge(
        cx.db,
        { flow, userId: user.id, kind: ENROLL_KIND, data: { secret: cx.box.encrypt(PURPOSE, secret) } },
        now,
        ENROLL_TTL_MS,
      );
      return enrollView(cx, user, ch.id, secret);
    },

    async finish(cx, user, flow, input): Promise<EnrollFinish> {
      const now = cx.clock.now();
      const ch = await findLiveChallenge(cx.db, flow, ENROLL_KIND, now);
      if (!ch || ch.userId !== user.id) return fail('app.enroll_expired');
      if (typeof input.challengeId === 'string' && input.challengeId !== '' && input.challengeId !== ch.id) {
        return fail('app.enroll_expired');
      }
      if (await counterBlocked(cx, enrollCounter(ch.id, user))) return fail('app.enroll_exhausted');

      const name = normalizeName(input.name);
      if (name === undefined) return fail('app.name_too_long', { max: NAME_MAX });
      const code = normalizeCode(input.code);
      if (!code) return fail('app.code_format');
      if ((await countCredentialsByKind(cx.db, user.id, 'app')) >= MAX_PER_USER) {
        return fail('app.limit_reached', { max: MAX_PER_USER });
      }
      const key = openSecret(cx, ch.data.secret);
      if (!key) return fail('app.enroll_expired');

      const g = await guard(cx, enrollCounter(ch.id, user), async () => {
        const steps = matchingSteps(key, code, now);
        return { value: steps, outcome: steps.length ? 'success' : 'failure' };
      });
      if (g.refused) return fail('app.enroll_exhausted');
      const steps = g.value;
      if (!steps.length) return fail(g.blocked ? 'app.enroll_exhausted' : 'app.code_invalid');
      // Wrong entries made at the same moment in other requests still count.
      if (g.blocked) return fail('app.enroll_exhausted');
      if (!(await consumeChallenge(cx.db, ch.id, now))) return fail('app.enroll_expired');
      const lastStep = Math.max(...steps);
      await updateChallengeData(cx.db, ch.id, {}); // the sealed secret now lives only in the credential
      return {
        ok: true,
        credential: {
          kind: 'app',
          label: name || DEFAULT_LABEL,
          data: { secret: ch.data.secret as string, lastStep },
        },
      };
    },
  },

  async challenge(): Promise<MethodView> {
    return { partial: 'app/verify', data: {} };
  },

  async verify(cx, user, credentials, flow, input): Promise<VerifyResult> {
    const code = normalizeCode(input.code);
    // A malformed code is a typing slip, not a guess: it counts nowhere.
    if (!code) return { ...fail('app.code_format'), counted: false };
    const now = cx.clock.now();
    type Match = { credentialId: string; step: number };
    const g = await guard(cx, verifyCounter(flow, user), async () => {
      const matches: Match[] = [];
      for (const c of credentials as Credential[]) {
        if (c.kind !== 'app' || c.userId !== user.id) continue;
        const key = openSecret(cx, c.data.secret);
        if (!key) continue;
        for (const step of matchingSteps(key, code, now)) matches.push({ credentialId: c.id, step });
      }
      // A code whose step was already used with this app (a replay, or an older code after a newer
      // one) is a failure too.
      let claimed: Match | undefined;
      for (const m of matches) {
        if (await claimTotpStep(cx.db, m.credentialId, m.step)) {
          claimed = m;
          break;
        }
      }
      const value = { claimed, matched: matches.length > 0 };
      return { value, outcome: claimed ? 'success' : 'failure' };
    });
    // Refused unevaluated: not an attempt of its own (it counts nowhere else).
    if (g.refused) return { ...exhausted(), counted: false };
    const { claimed, matched } = g.value;
    // Wrong entries made at the same moment in other requests used up the limit: refused.
    if (g.blocked) return exhausted();
    if (!claimed) return fail(matched ? 'app.code_used' : 'app.code_invalid');
    await touchCredential(cx.db, claimed.credentialId, now);
    return { ok: true, credentialId: claimed.credentialId, amr: [...AMR] };
  },

  describe(credential, t) {
    const label = credential.label.trim();
    return !label || label === DEFAULT_LABEL ? t('app.default_label') : label;
  },
};

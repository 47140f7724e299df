/**
 * The password policy of SSPR.md §2, as a pure function of the candidate password and its context:
 * 8–256 code points (minimum from the policy), no composition rules, refused when common or guessable
 * (judged offline by zxcvbn and its dictionaries), when it contains the login, name or organization name,
 * when it contains an administrator's banned term, or when it equals one of the last N passwords.
 *
 * Every failing rule is reported, each as a stable code the UI translates; nothing here does I/O or hashing:
 * the password history is consulted through a callback that the caller implements with argon2.
 */

import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

export const MAX_PASSWORD_LENGTH = 256;
export const DEFAULT_MIN_PASSWORD_LENGTH = 8;
/** Login parts, name words, organization names and banned terms shorter than this are not looked for. */
export const MIN_TERM_LENGTH = 3;
/** zxcvbn score (0–4) a password built from recognisable patterns must reach; 3 = "safely unguessable". */
export const MIN_STRENGTH_SCORE = 3;
/**
 * zxcvbn's cost grows steeply with length and with l33t-able symbols (a random 256-character password took
 * 4–9 s of blocking CPU with its defaults), so only this many leading code points are estimated. Cutting
 * errs towards refusing, never accepting: a longer string only adds guesses, and a password whose first 64
 * characters zxcvbn finds guessable is a repetition rather than a passphrase.
 */
export const STRENGTH_CHECK_LENGTH = 64;

export const PASSWORD_REASON_CODES = [
  'password.too_short',
  'password.too_long',
  'password.common',
  'password.guessable',
  'password.contains_login',
  'password.contains_name',
  'password.contains_organization',
  'password.contains_banned_term',
  'password.reused',
] as const;

export type PasswordReasonCode = (typeof PASSWORD_REASON_CODES)[number];

export type PasswordReason =
  | { code: 'password.too_short'; params: { min: number } }
  | { code: 'password.too_long'; params: { max: number } }
  | { code: Exclude<PasswordReasonCode, 'password.too_short' | 'password.too_long'> };

export type PasswordVerdict =
  | { ok: true; reasons: [] }
  | { ok: false; reasons: [PasswordReason, ...PasswordReason[]] };

export interface PasswordContext {
  /** The policy's minimum length in code points, 8–256; default 8. */
  minLength?: number;
  /** The account's login; when it is an email address its local part is looked for as well. */
  login?: string;
  displayName?: string;
  organizationName?: string;
  bannedTerms?: readonly string[];
  /**
   * True when the password equals one of the account's last N passwords (the caller verifies it against
   * the stored hashes). Not called for a password over the maximum length: none could have been stored.
   */
  isInHistory?: (password: string) => Promise<boolean>;
}

/** Length as the policy counts it: Unicode code points, so an emoji or a kanji is one character. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point; a lone surrogate still counts as one.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * Compatibility normalisation then case folding, so that "ＡＬＩＣＥ", "Alice" and "alice" compare equal.
 * Upper-casing before lower-casing folds more than lower-casing alone (ß → ss, final sigma → sigma).
 */
function fold(s: string): string {
  return s.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

function words(folded: string): string[] {
  return folded.split(/[^\p{L}\p{N}\p{M}]+/u).filter((w) => w.length > 0);
}

/** The folded phrase, the same without its separators ("Acme Corp" → "acmecorp"), and optionally its words. */
function termsOf(phrase: string | undefined, withWords: boolean): string[] {
  if (!phrase) return [];
  const folded = fold(phrase).trim();
  const parts = words(folded);
  const terms = [folded, parts.join('')];
  if (withWords) terms.push(...parts);
  return terms.filter((t) => codePointLength(t) >= MIN_TERM_LENGTH);
}

function loginTerms(login: string | undefined): string[] {
  if (!login) return [];
  const at = login.lastIndexOf('@');
  const local = at > 0 ? login.slice(0, at) : login;
  // "alice.smith@example.com" also refuses "alice" and "smith" alone, like the words of a display name.
  return [...new Set([...termsOf(login, false), ...termsOf(local, true)])];
}

function containsAny(foldedPassword: string, terms: readonly string[]): boolean {
  return terms.some((t) => foldedPassword.includes(t));
}

interface StrengthChecker {
  zxcvbn: ZxcvbnFactory;
  /** The common-password list, folded, for an exact match whatever zxcvbn's estimate. */
  commonPasswords: ReadonlySet<string>;
}

let checker: Promise<StrengthChecker> | undefined;

/**
 * Loads the dictionaries and builds zxcvbn's ranked dictionaries once (a few hundred milliseconds).
 * Called on the first check; call it at boot to keep that cost off the first request.
 */
export function preloadPasswordChecker(): Promise<void> {
  return loadChecker().then(() => undefined);
}

function loadChecker(): Promise<StrengthChecker> {
  if (!checker) {
    checker = buildChecker();
    checker.catch(() => {
      checker = undefined;
    });
  }
  return checker;
}

async function buildChecker(): Promise<StrengthChecker> {
  const [core, common, en, ja] = await Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
    import('@zxcvbn-ts/language-ja'),
  ]);
  // language-ja exists only in the 3.x series, whose dictionary names carry no language suffix; the data
  // (romanised words and names) is the same shape core 4 takes, so it is renamed to match the others.
  const jaDictionary = Object.fromEntries(
    Object.entries(ja.dictionary).map(([name, list]) => [`${name}-ja`, list]),
  );
  const zxcvbn = new core.ZxcvbnFactory({
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary, ...jaDictionary },
    // the default of 100 costs up to 200 ms on 32 symbols; l33t spellings of real words substitute a few
    l33tMaxSubstitutions: 10,
  });
  const commonPasswords = new Set(common.dictionary['passwords-common'].map((p) => fold(String(p))));
  return { zxcvbn, commonPasswords };
}

/**
 * 'password.common' when the password is on the common-password list; 'password.guessable' when zxcvbn
 * explains it with dictionary words, names, dates, keyboard walks, sequences or repeats and still rates it
 * below MIN_STRENGTH_SCORE. A password in which zxcvbn finds no pattern is not judged here: zxcvbn rates
 * any such string of 8 characters at exactly 10^8 guesses (score 2), so a plain score threshold would refuse
 * every password of the minimum length and turn the length policy into a hidden composition rule.
 */
async function strengthReason(password: string): Promise<PasswordReason | undefined> {
  const { zxcvbn, commonPasswords } = await loadChecker();
  if (commonPasswords.has(fold(password))) return { code: 'password.common' };
  const prefix = Array.from(password.normalize('NFKC')).slice(0, STRENGTH_CHECK_LENGTH).join('');
  const result = zxcvbn.check(prefix);
  const patterned = result.sequence.some((m) => m.pattern !== 'bruteforce');
  if (result.score < MIN_STRENGTH_SCORE && patterned) return { code: 'password.guessable' };
  return undefined;
}

function checkMinLength(minLength: number): void {
  if (
    !Number.isInteger(minLength) ||
    minLength < DEFAULT_MIN_PASSWORD_LENGTH ||
    minLength > MAX_PASSWORD_LENGTH
  ) {
    throw new RangeError(
      `minLength must be an integer from ${DEFAULT_MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}`,
    );
  }
}

/** Judges a new password against every rule and returns all the reasons it is refused, in a stable order. */
export async function checkPassword(password: string, ctx: PasswordContext = {}): Promise<PasswordVerdict> {
  const min = ctx.minLength ?? DEFAULT_MIN_PASSWORD_LENGTH;
  checkMinLength(min);
  const reasons: PasswordReason[] = [];
  const length = codePointLength(password);
  const tooLong = length > MAX_PASSWORD_LENGTH;

  if (length < min) reasons.push({ code: 'password.too_short', params: { min } });
  if (tooLong) reasons.push({ code: 'password.too_long', params: { max: MAX_PASSWORD_LENGTH } });

  // an over-long password is refused already; estimating it would only spend CPU
  if (!tooLong && length > 0) {
    const strength = await strengthReason(password);
    if (strength) reasons.push(strength);
  }

  const folded = fold(password);
  if (containsAny(folded, loginTerms(ctx.login))) reasons.push({ code: 'password.contains_login' });
  if (containsAny(folded, termsOf(ctx.displayName, true))) reasons.push({ code: 'password.contains_name' });
  if (containsAny(folded, termsOf(ctx.organizationName, false))) {
    reasons.push({ code: 'password.contains_organization' });
  }
  const banned = (ctx.bannedTerms ?? []).map(fold).filter((t) => codePointLength(t) >= MIN_TERM_LENGTH);
  if (containsAny(folded, banned)) reasons.push({ code: 'password.contains_banned_term' });

  if (ctx.isInHistory && !tooLong && length > 0 && (await ctx.isInHistory(password))) {
    reasons.push({ code: 'password.reused' });
  }

  const [first, ...rest] = reasons;
  return first ? { ok: false, reasons: [first, ...rest] } : { ok: true, reasons: [] };
}

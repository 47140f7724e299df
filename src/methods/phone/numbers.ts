import {
  type CountryCode,
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
  type NumberType,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';
import type { Config } from '../../config.ts';
import type { Policy } from '../../policy/settings.ts';

/*
 * Phone numbers as the user types them, in the country they choose, to E.164. The full metadata
 * ('max') is loaded so that the number's type is known: texts need a mobile number, and numbers that
 * cost the caller extra (premium rate, shared cost) are never called.
 */

export type PhoneType = 'mobile' | 'alternate';
export const PHONE_TYPES: readonly PhoneType[] = ['mobile', 'alternate'];

export interface ParsedPhone {
  /** +819012345678 */
  e164: string;
  /** The country the number belongs to (ISO 3166-1 alpha-2), which may differ from the one chosen. */
  country: string;
  callingCode: string;
  /** Whether texts can reach it: a mobile number, or one the numbering plan cannot tell from a mobile. */
  textable: boolean;
}

export type ParseError = 'missing' | 'invalid' | 'extension' | 'country' | 'notAccepted';

const MAX_TYPED = 40;
/** Ways people write an extension or a dialling pause: refused, a code call cannot dial them. */
const EXTENSION = /(?:ext|x|#|;|,|内線|p\b|w\b)/i;
/** What a typed number may contain besides digits. */
const ALLOWED = /^[+0-9\s().\-/]*$/;
/** Numbers that cost the caller extra or reach no person: never texted or called. */
const REFUSED_TYPES: ReadonlySet<NumberType> = new Set<NumberType>([
  'PREMIUM_RATE',
  'SHARED_COST',
  'UAN',
  'VOICEMAIL',
  'PAGER',
]);

export function isCountry(v: unknown): v is CountryCode {
  return typeof v === 'string' && /^[A-Z]{2}$/.test(v) && isSupportedCountry(v);
}

/** Normalizes a typed number in the chosen country to E.164; full-width digits (Japanese IME) are accepted. */
export function parsePhone(
  typed: unknown,
  country: unknown,
): { ok: true; phone: ParsedPhone } | { ok: false; error: ParseError } {
  if (typeof typed !== 'string') return { ok: false, error: 'missing' };
  const raw = typed.normalize('NFKC').trim();
  if (!raw) return { ok: false, error: 'missing' };
  if (raw.length > MAX_TYPED) return { ok: false, error: 'invalid' };
  if (EXTENSION.test(raw)) return { ok: false, error: 'extension' };
  if (
    !ALLOWED.test(raw) ||
    (raw.match(/\+/g)?.length ?? 0) > 1 ||
    (raw.includes('+') && !raw.startsWith('+'))
  ) {
    return { ok: false, error: 'invalid' };
  }
  if (!raw.startsWith('+') && !isCountry(country)) return { ok: false, error: 'country' };
  const p = parsePhoneNumberFromString(raw, isCountry(country) ? { defaultCountry: country } : undefined);
  if (!p?.isValid() || !p.country) return { ok: false, error: 'invalid' };
  if (p.ext) return { ok: false, error: 'extension' };
  const type = p.getType();
  if (type && REFUSED_TYPES.has(type)) return { ok: false, error: 'notAccepted' };
  return {
    ok: true,
    phone: {
      e164: p.number,
      country: p.country,
      callingCode: p.countryCallingCode,
      textable: type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE',
    },
  };
}

/** The country a stored E.164 number belongs to, by the numbering plan (not by what was chosen at enrolment). */
export function countryOf(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}

/** Destination countries codes may be sent to: the policy's list, or the organization's own country. */
export function allowedCountries(policy: Policy, config: Config): string[] {
  const list = policy.allowedPhoneCountries.length
    ? policy.allowedPhoneCountries
    : [config.organizationCountry];
  return [...new Set(list.map((c) => c.toUpperCase()))].filter(isCountry);
}

/** The country chooser: the allowed countries, named in the reader's language, with their calling codes. */
export function countryOptions(
  policy: Policy,
  config: Config,
  locale: string,
): Array<{ code: string; label: string }> {
  let names: Intl.DisplayNames | undefined;
  try {
    names = new Intl.DisplayNames([locale, 'en'], { type: 'region' });
  } catch {
    names = undefined;
  }
  const allowed = allowedCountries(policy, config);
  const codes = allowed.length ? allowed : (getCountries() as string[]);
  return codes
    .map((code) => ({
      code,
      label: `${names?.of(code) ?? code} (+${getCountryCallingCode(code as CountryCode)})`,
    }))
    .sort((a, b) => a.label.localeCompare(b.label, locale));
}

export function defaultCountry(policy: Policy, config: Config): string {
  const allowed = allowedCountries(policy, config);
  return allowed.includes(config.organizationCountry)
    ? config.organizationCountry
    : (allowed[0] ?? config.organizationCountry);
}

/**
 * A number as lists and messages may show it: the country code and the last two digits, in a shape
 * that does not tell the length: +81 ••• •••• 34.
 */
export function maskPhone(e164: unknown): string {
  if (typeof e164 !== 'string' || !/^\+[1-9]\d{6,14}$/.test(e164)) return '••• •••• ••';
  const p = parsePhoneNumberFromString(e164);
  const cc = p?.countryCallingCode ?? e164.slice(1, 3);
  return `+${cc} ••• •••• ${e164.slice(-2)}`;
}

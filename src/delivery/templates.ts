import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Locale } from '../config.ts';
import { type MessageKey, type Params, translator } from '../i18n/index.ts';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** What an email template gets, besides `t`, `locale`, `org` and `subject`, which renderEmail adds. */
export interface EmailData {
  /** The subject line's message key; its parameters may name the organization as {org}. */
  subjectKey: MessageKey;
  subjectParams?: Params;
  /** The organization name shown in the footer (the policy's organizationName). */
  org?: string;
  [key: string]: unknown;
}

/** The views directory; email templates are views/emails/*.eta and name each other from its root. */
const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

/**
 * Delivery's own template engines, made once by the composition root and passed to whoever renders
 * mail (the notice worker, the email method): the HTML one escapes every value, the plain-text one does
 * not, since a name like "Tom & Jerry" must stay readable there.
 */
export interface EmailViews {
  html: Eta;
  text: Eta;
}

/** The engines for email; `production` caches compiled templates. */
export function createEmailViews(production: boolean): EmailViews {
  const config = { views: VIEWS_DIR, cache: production, autoTrim: false as const };
  return { html: new Eta({ ...config, autoEscape: true }), text: new Eta({ ...config, autoEscape: false }) };
}

/**
 * Renders `views/emails/<template>.html.eta` and `.text.eta` in one language. Templates take their
 * wording from src/i18n (`email.*`, `notice.*`); in the HTML part every value is escaped.
 */
export function renderEmail(
  views: EmailViews,
  locale: Locale,
  template: string,
  data: EmailData,
): RenderedEmail {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(template)) throw new Error(`bad email template name: ${template}`);
  const t = translator(locale);
  const org = data.org ?? 'Tobira';
  const subject = oneLine(t(data.subjectKey, { org, ...data.subjectParams }));
  const it = { ...data, t, locale, org, subject };
  const html = views.html.render(`emails/${template}.html.eta`, it);
  const text = `${views.text.render(`emails/${template}.text.eta`, it).trim()}\n`;
  return { subject, text, html };
}

/** A value safe to put on one line of a message: no control characters, bounded length. */
export function oneLine(value: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const s = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const LOCALE_TAGS: Record<Locale, string> = { en: 'en-US', ja: 'ja-JP' };

/**
 * A date and time for a message in the reader's language, with its UTC offset, so the reader can
 * place it whatever zone they are in: "Thursday, January 1, 2026 at 9:00 AM (UTC+09:00)",
 * "2026年1月1日木曜日 9:00 (UTC+09:00)".
 */
/**
 * Formatters made once per language and zone: an Intl.DateTimeFormat costs most of a millisecond
 * and tens of kilobytes outside the JavaScript heap (ICU), which a 100,000-row CSV import (one
 * notice per added phone) turned into 1.5 minutes and half a gigabyte of RSS.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tag: string, options: Intl.DateTimeFormatOptions & { timeZone: string }) {
  const key = `${tag}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(tag, options);
    formatters.set(key, f);
  }
  return f;
}

export function formatDateTime(at: Date, locale: Locale, timeZone = 'UTC'): string {
  const tag = LOCALE_TAGS[locale] ?? locale;
  const when = formatter(tag, { timeZone, dateStyle: 'full', timeStyle: 'short' }).format(at);
  const gmt =
    formatter('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const offset = gmt === 'GMT' ? '+00:00' : gmt.slice(3);
  return `${when} (UTC${offset})`;
}

/**
 * The zone messages show times in: the organization country's, when it has exactly one (JP gives
 * Asia/Tokyo), else UTC. The offset is always printed, so either reads unambiguously.
 */
export function timeZoneOf(country: string): string {
  try {
    const loc = new Intl.Locale(`und-${country}`) as Intl.Locale & {
      getTimeZones?(): string[];
      timeZones?: string[];
    };
    const zones = loc.getTimeZones?.() ?? loc.timeZones;
    return zones?.length === 1 ? zones[0] : 'UTC';
  } catch {
    return 'UTC';
  }
}

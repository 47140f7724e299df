import { LOCALES, type Locale } from '../config.ts';
import { en, type MessageKey } from './en/index.ts';
import { ja } from './ja/index.ts';
import { EN_ONE } from './plurals.ts';

export type { MessageKey };
export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

const catalogues: Record<Locale, Record<MessageKey, string>> = { en, ja };

/**
 * Messages added to the catalogue when the app starts (a method kept outside src/ brings its own),
 * by language; Japanese falls back to English key by key. They never replace a catalogue message.
 */
export interface ExtraMessages {
  en: Record<string, string>;
  ja: Partial<Record<string, string>>;
}

export function translator(locale: Locale, extra?: ExtraMessages): Translate {
  const cat = catalogues[locale];
  const own = extra?.[locale] as Record<string, string | undefined> | undefined;
  return (key, params) => {
    const one = locale === 'en' && params ? EN_ONE[key] : undefined;
    const s =
      one && Number(params?.[one.param]) === 1 && typeof params?.[one.param] !== 'undefined'
        ? one.text
        : (cat[key] ?? own?.[key] ?? en[key] ?? extra?.en[key] ?? key);
    return params ? s.replace(/\{(\w+)\}/g, (m, p) => (p in params ? String(params[p]) : m)) : s;
  };
}

export function isMessageKey(k: string): k is MessageKey {
  return k in en;
}

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

/** First supported language of a space-separated list (OIDC ui_locales) or an Accept-Language header. */
export function pickLocale(list: string | undefined | null): Locale | undefined {
  if (!list) return undefined;
  const ranked = list
    .split(/[\s,]+/)
    .map((part, i) => {
      const [tag, ...ps] = part.trim().split(';');
      const q = ps.find((p) => p.trim().startsWith('q='));
      return { tag: tag.toLowerCase(), q: q ? Number(q.trim().slice(2)) : 1, i };
    })
    .filter((x) => x.tag && !Number.isNaN(x.q) && x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranked) {
    const base = tag.split('-')[0];
    if (isLocale(base)) return base;
  }
  return undefined;
}

/** OIDC ui_locales, then the cookie, then Accept-Language, then the configured default. */
export function negotiateLocale(
  opts: { uiLocales?: string | null; cookie?: string | null; acceptLanguage?: string | null },
  fallback: Locale,
): Locale {
  return (
    pickLocale(opts.uiLocales) ??
    (isLocale(opts.cookie) ? opts.cookie : undefined) ??
    pickLocale(opts.acceptLanguage) ??
    fallback
  );
}

export { LOCALES };

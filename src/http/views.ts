import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Context } from 'koa';
import { LOCALES, pickLocale, translator } from '../i18n/index.ts';

export const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

/**
 * The page templates. `methodViews` maps a method kind to the directory of its own partials (a
 * method kept outside src/): `/methods/<kind>/<name>` is then read from `<dir>/<name>.eta`.
 */
export function createViews(production: boolean, methodViews: Record<string, string> = {}) {
  const eta = new Eta({ views: VIEWS_DIR, cache: production, autoEscape: true, autoTrim: false });
  const resolve = eta.resolvePath;
  if (!resolve || !Object.keys(methodViews).length) return eta;
  const methodsDir = path.join(VIEWS_DIR, 'methods');
  eta.resolvePath = function (template, options) {
    const file = resolve.call(this, template, options);
    const [kind, ...rest] = path.relative(methodsDir, file).split(path.sep);
    const dir = Object.hasOwn(methodViews, kind) ? methodViews[kind] : undefined;
    return dir && rest.length ? path.join(dir, ...rest) : file;
  };
  return eta;
}

export type Views = ReturnType<typeof createViews>;

/** Renders one of our pages with the shared layout data; marks it for the strict CSP. */
export function render(
  ctx: Context,
  views: Views,
  template: string,
  data: Record<string, unknown> = {},
  status = 200,
) {
  ctx.state.ownPage = true;
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  // The language switcher returns here; after a POST it returns to the page's GET address if given.
  const here =
    (data.here as string | undefined) ??
    (ctx.method === 'GET' && ctx.originalUrl.startsWith('/') ? ctx.originalUrl : '/');
  ctx.body = views.render(template, {
    t: ctx.state.t,
    locale: ctx.state.locale,
    locales: LOCALES,
    csrf: ctx.state.csrf,
    org: ctx.state.org ?? 'Tobira',
    brandCss: ctx.state.brandCss,
    dev: ctx.state.dev,
    status,
    back: backLink(ctx),
    time: (at: Date | string | null | undefined, kind?: 'date') =>
      timeHtml(at, ctx.state.locale, (ctx.state.timeZone as string | undefined) ?? 'UTC', kind),
    ...data,
    here,
  });
}

/** The page the browser came from on this site (its path only), for a "go back" link; else undefined. */
export function backLink(ctx: Context): string | undefined {
  const ref = ctx.get('referer');
  if (!ref) return undefined;
  try {
    const u = new URL(ref);
    if (u.host !== ctx.host) return undefined;
    const p = `${u.pathname}${u.search}`;
    return p.startsWith('/') && !p.startsWith('//') ? p : undefined;
  } catch {
    return undefined;
  }
}

const TAGS: Record<string, string> = { en: 'en-US', ja: 'ja-JP' };

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * A date or time as `<time>` in the reader's language with its zone shown ("Nov 30, 2026, 09:15 PM UTC",
 * "2026年11月30日 21:15 UTC"); /assets/local-time.js rewrites it in the browser's own zone. Output is
 * HTML (include it with `<%~ %>`): every part is escaped here. Nothing for a missing date.
 */
export function timeHtml(
  at: Date | string | null | undefined,
  locale: string,
  timeZone = 'UTC',
  kind?: 'date',
): string {
  if (at === null || at === undefined || at === '') return '';
  const d = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(d.getTime())) return '';
  const opts: Intl.DateTimeFormatOptions =
    kind === 'date'
      ? { timeZone, year: 'numeric', month: 'short', day: 'numeric' }
      : {
          timeZone,
          year: 'numeric',
          month: 'short',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
          timeZoneName: 'short',
        };
  const text = new Intl.DateTimeFormat(TAGS[locale] ?? locale, opts).format(d);
  return `<time datetime="${escapeHtml(d.toISOString())}" data-local="${kind === 'date' ? 'date' : 'time'}">${escapeHtml(text)}</time>`;
}

/** An OIDC request's ui_locales outranks the cookie and Accept-Language for the pages of that request. */
export function applyUiLocales(ctx: Context, uiLocales: unknown): void {
  const picked = typeof uiLocales === 'string' ? pickLocale(uiLocales) : undefined;
  if (picked && picked !== ctx.state.locale) {
    ctx.state.locale = picked;
    ctx.state.t = translator(picked, ctx.state.extraMessages);
    // Notices the interaction causes speak its language too.
    if (ctx.state.meta) ctx.state.meta = { ...ctx.state.meta, locale: picked };
  }
}

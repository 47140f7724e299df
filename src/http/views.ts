import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Context } from 'koa';
import { LOCALES, pickLocale, translator } from '../i18n/index.ts';

export const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

export function createViews(production: boolean) {
  return new Eta({ views: VIEWS_DIR, cache: production, autoEscape: true, autoTrim: false });
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
    ...data,
    here,
  });
}

/** An OIDC request's ui_locales outranks the cookie and Accept-Language for the pages of that request. */
export function applyUiLocales(ctx: Context, uiLocales: unknown): void {
  const picked = typeof uiLocales === 'string' ? pickLocale(uiLocales) : undefined;
  if (picked && picked !== ctx.state.locale) {
    ctx.state.locale = picked;
    ctx.state.t = translator(picked);
  }
}

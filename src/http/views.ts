import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Context } from 'koa';
import { LOCALES } from '../i18n/index.ts';

export const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

export function createViews(production: boolean) {
  return new Eta({ views: VIEWS_DIR, cache: production, autoEscape: true, autoTrim: false });
}

export type Views = ReturnType<typeof createViews>;

/** Renders one of our pages with the shared layout data; marks it for the strict CSP. */
export function render(ctx: Context, views: Views, template: string, data: Record<string, unknown> = {}, status = 200) {
  ctx.state.ownPage = true;
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  const here = ctx.originalUrl.startsWith('/') ? ctx.originalUrl : '/';
  ctx.body = views.render(template, {
    t: ctx.state.t,
    locale: ctx.state.locale,
    locales: LOCALES,
    csrf: ctx.state.csrf,
    org: ctx.state.org ?? 'Tobira',
    here,
    dev: ctx.state.dev,
    ...data,
  });
}

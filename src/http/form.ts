import type { Context, Next } from 'koa';
import { type FormOptions, readForm } from './body.ts';
import { verifyCsrf } from './csrf.ts';

/** Reads a posted form and checks its CSRF token (and Origin, when sent) before anything else uses it. */
export async function readPosted(
  ctx: Context,
  issuerOrigin: string,
  opts?: FormOptions,
): Promise<Record<string, string>> {
  const form = await readForm(ctx, undefined, opts);
  verifyCsrf(ctx, form, issuerOrigin);
  return form;
}

/**
 * The middleware in front of every form POST: reads and checks the form (readPosted) before anything
 * else looks at the request, and leaves it in `ctx.state.form`.
 */
export function posted(issuerOrigin: string, opts?: FormOptions) {
  return async (ctx: Context, next: Next) => {
    ctx.state.form = await readPosted(ctx, issuerOrigin, opts);
    await next();
  };
}

import type { Context } from 'koa';
import { constantTimeEqual } from '../security/secrets.ts';
import { AppError } from './errors.ts';

export const CSRF_COOKIE = 'tobira.csrf';
export const CSRF_FIELD = '_csrf';

/**
 * Synchronizer tokens bound to a per-browser random cookie (made lazily in app.ts): the form carries
 * HMAC(cookie), which a page on another origin can neither read nor compute.
 */
/** Checks a submitted form: call after reading the body. The Origin header, when sent, must be ours. */
export function verifyCsrf(ctx: Context, form: Record<string, string>, issuerOrigin: string): void {
  const origin = ctx.get('origin');
  if (origin && origin !== issuerOrigin) throw new AppError('csrf.origin', 403, 'error.csrf');
  const expected: string | undefined = ctx.state.csrf;
  const got = form[CSRF_FIELD];
  if (!expected || typeof got !== 'string' || !constantTimeEqual(got, expected)) {
    throw new AppError('csrf.token', 403, 'error.csrf');
  }
}

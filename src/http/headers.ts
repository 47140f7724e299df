import type { Context, Next } from 'koa';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * Strict headers on every response, the CSP included: set before the request is handled, because the
 * provider writes its own pages (errors, 404, logout, form_post) past Koa. The provider adds the
 * sha256 of its one inline script (form_post) to script-src itself; nothing else inline is allowed.
 */
export function securityHeaders(https: boolean) {
  return async (ctx: Context, next: Next) => {
    // Set before the request is handled: the provider writes its own responses directly.
    ctx.set('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" on our own form posts.
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    ctx.set('Content-Security-Policy', CSP);
    await next();
    if (ctx.state.ownPage) {
      // A configured logo (branding) may live on another origin: allow images from there only.
      const img =
        typeof ctx.state.imgOrigin === 'string' && /^https?:\/\/[^\s;,'"]+$/.test(ctx.state.imgOrigin)
          ? ` ${ctx.state.imgOrigin}`
          : '';
      // Front-channel logout frames the apps that signed out: frames from their origins only.
      const frames = Array.isArray(ctx.state.frameSrc)
        ? (ctx.state.frameSrc as unknown[]).filter(
            (o): o is string => typeof o === 'string' && /^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(o),
          )
        : [];
      const csp = img ? CSP.replace("img-src 'self' data:", `img-src 'self' data:${img}`) : CSP;
      ctx.set('Content-Security-Policy', frames.length ? `${csp}; frame-src ${frames.join(' ')}` : csp);
      ctx.set('Cache-Control', 'no-store');
    }
  };
}

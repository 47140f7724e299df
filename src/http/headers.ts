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

/** The CSP, with a configured logo's origin (branding) allowed for images, and nothing else. */
export function contentSecurityPolicy(imgOrigin?: unknown): string {
  const img =
    typeof imgOrigin === 'string' && /^https?:\/\/[^\s;,'"]+$/.test(imgOrigin) ? ` ${imgOrigin}` : '';
  return img ? CSP.replace("img-src 'self' data:", `img-src 'self' data:${img}`) : CSP;
}

/** The headers every response carries, whatever writes it (securityHeaders, and app/http.ts's direct path). */
export function securityHeaderList(https: boolean): ReadonlyArray<readonly [string, string]> {
  return [
    ['X-Content-Type-Options', 'nosniff'],
    // same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" on our own form posts.
    ['Referrer-Policy', 'same-origin'],
    ['X-Frame-Options', 'DENY'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
    ...(https ? [['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] as const] : []),
    ['Content-Security-Policy', CSP],
  ];
}

/**
 * Strict headers on every response, the CSP included: set before the request is handled, because the
 * provider writes its own pages (errors, 404, logout, form_post) past Koa. The provider adds the
 * sha256 of its one inline script (form_post) to script-src itself; nothing else inline is allowed.
 */
export function securityHeaders(https: boolean) {
  const fixed = securityHeaderList(https);
  return async (ctx: Context, next: Next) => {
    // Set before the request is handled: the provider writes its own responses directly.
    for (const [name, value] of fixed) ctx.set(name, value);
    await next();
    if (ctx.state.ownPage) {
      // Front-channel logout frames the apps that signed out: frames from their origins only.
      const frames = Array.isArray(ctx.state.frameSrc)
        ? (ctx.state.frameSrc as unknown[]).filter(
            (o): o is string => typeof o === 'string' && /^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(o),
          )
        : [];
      const csp = contentSecurityPolicy(ctx.state.imgOrigin);
      ctx.set('Content-Security-Policy', frames.length ? `${csp}; frame-src ${frames.join(' ')}` : csp);
      ctx.set('Cache-Control', 'no-store');
    }
  };
}

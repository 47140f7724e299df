import type { RequestMeta } from '../account/types.ts';
import type { Locale } from '../config.ts';
import type { ExtraMessages, Translate } from '../i18n/index.ts';

/*
 * What `ctx.state` holds, typed by module augmentation instead of casts at every use. The fields set
 * for every request come from the middleware in src/app/http.ts and src/http/; a flow adds the fields
 * its own middleware sets next to that middleware (`declare module 'koa'` in its routes file).
 */
declare module 'koa' {
  interface DefaultState {
    /** The request id (X-Request-Id, or a new UUID) and the W3C trace id, for logs. */
    requestId: string;
    traceId: string | undefined;
    locale: Locale;
    t: Translate;
    /** Messages the registered methods bring along (for `t` in another language). */
    extraMessages?: ExtraMessages;
    /** Development mode: pages show the development helpers. */
    dev: boolean;
    /** Where the request came from, for audit events and notices. */
    meta: RequestMeta;
    /** The CSRF token for forms (made on first read). */
    csrf: string;
    /** A posted form, read and CSRF-checked by the `posted` middleware (src/http/form.ts). */
    form: Record<string, string>;
    /** Branding for the page layout (src/http/branding.ts). */
    org?: string;
    brandCss?: string;
    /** The logo's origin, allowed by the page's CSP. */
    imgOrigin?: string;
    /** The response is one of our pages: the strict CSP applies. */
    ownPage?: boolean;
  }
}

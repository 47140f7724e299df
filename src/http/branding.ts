import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { type Brand, brandCss, brandCssHref, cssVersion } from '../policy/brand.ts';
import type { Policy } from '../policy/settings.ts';

/**
 * Branding (organization name, logo, accent colour) on every page: the name through the layout's
 * `org`, the logo and colour through a small stylesheet made from the settings (/assets/brand.css),
 * since the CSP allows no inline styles. Settings are cached for a second per instance, and dropped
 * at once when this instance changes them. The container makes one per app (`AppDeps.branding`),
 * shared by the page middleware, the admin API and the console.
 */

export { accentForeground, type Brand, brandCss, brandCssHref } from '../policy/brand.ts';

export class Branding {
  readonly #policy: () => Promise<Policy>;

  /** Reads the brand from the policy, which the policy cache keeps current on every instance. */
  constructor(policy: () => Promise<Policy>) {
    this.#policy = policy;
  }

  async get(): Promise<Brand> {
    const p = await this.#policy();
    return { org: p.organizationName, logoUrl: p.logoUrl, accentColor: p.accentColor };
  }

  /** The configured logo's origin, for a CSP that lets the page show it; undefined without a logo. */
  async imgOrigin(): Promise<string | undefined> {
    try {
      const { logoUrl } = await this.#policy();
      return logoUrl ? new URL(logoUrl).origin : undefined;
    } catch {
      // Branding must never take a page down; the defaults show instead.
      return undefined;
    }
  }

  /**
   * Sets the organization name and the brand stylesheet's address for the page layout and, when a
   * logo is configured, the logo's origin for the page's CSP (`ctx.state.imgOrigin`). Skips requests
   * that render no page of ours.
   */
  middleware() {
    return async (ctx: Context, next: Next) => {
      if (!/^\/(api|assets)\//.test(ctx.path) && ctx.method !== 'OPTIONS') {
        try {
          const b = await this.get();
          ctx.state.org = b.org;
          // The layout links the stylesheet by the hash of its content, so a change shows at once.
          ctx.state.brandCss = brandCssHref(b);
          if (b.logoUrl) ctx.state.imgOrigin = new URL(b.logoUrl).origin;
        } catch {
          // Branding must never take a page down; the defaults show instead.
        }
      }
      await next();
    };
  }

  routes(): Router {
    const router = new Router();
    router.get('/assets/brand.css', async (ctx) => {
      const css = brandCss(await this.get());
      const etag = `"${cssVersion(css)}"`;
      ctx.set('ETag', etag);
      ctx.set('Cache-Control', 'no-cache');
      ctx.type = 'text/css; charset=utf-8';
      if (ctx.get('if-none-match') === etag) {
        ctx.status = 304;
        return;
      }
      ctx.body = css;
    });
    return router;
  }
}

import crypto from 'node:crypto';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Db } from '../../db/knex.ts';
import { policyFromSettings } from '../../policy/settings.ts';
import { readSettings } from '../../store/settings.ts';
import { ADMIN_CSS } from './assets.ts';

/**
 * Branding (organization name, logo, accent colour) on every page: the name through the layout's
 * `org`, the logo and colour through a small stylesheet made from the settings (/assets/brand.css),
 * since the CSP allows no inline styles. Settings are cached for a second per instance, and dropped
 * at once when this instance changes them.
 */

export interface Brand {
  org: string;
  logoUrl: string;
  accentColor: string;
}

const TTL_MS = 1000;

/** Relative luminance (WCAG 2) of #rrggbb. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Text on the accent colour: white when it reads well enough (4.5:1), else near-black. */
export function accentForeground(hex: string): string {
  const l = luminance(hex);
  return 1.05 / (l + 0.05) >= 4.5 ? '#ffffff' : '#1b1f24';
}

/** A string inside a CSS double-quoted string: quotes, backslashes and line breaks escaped. */
function cssString(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return s.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `);
}

export function brandCss(b: Brand): string {
  const accent = /^#[0-9a-fA-F]{6}$/.test(b.accentColor) ? b.accentColor.toLowerCase() : '#2b5fd9';
  const fg = accentForeground(accent);
  const lines = [
    `:root { --accent: ${accent}; --accent-fg: ${fg}; }`,
    `button, .button { color: ${fg}; }`,
    'button.secondary, button.link { color: var(--fg); }',
    'button.link { color: var(--accent); }',
  ];
  if (b.logoUrl) {
    lines.push(
      '.brand-mark { display: none; }',
      `.brand::before { content: ""; display: inline-block; width: 2rem; height: 2rem; margin-right: .5rem; vertical-align: middle; background: url("${cssString(b.logoUrl)}") center / contain no-repeat; }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const cssVersion = (css: string) => crypto.createHash('sha256').update(css).digest('base64url').slice(0, 12);

/** The address of the brand stylesheet for these settings (versioned by its content). */
export function brandCssHref(b: Brand): string {
  return `/assets/brand.css?v=${cssVersion(brandCss(b))}`;
}

export class Branding {
  readonly #db: Db;
  #cached: { at: number; value: Brand } | undefined;
  #pending: Promise<Brand> | undefined;

  constructor(db: Db) {
    this.#db = db;
  }

  async get(): Promise<Brand> {
    if (this.#cached && Date.now() - this.#cached.at < TTL_MS) return this.#cached.value;
    this.#pending ??= (async () => {
      try {
        const p = policyFromSettings(await readSettings(this.#db));
        const value = { org: p.organizationName, logoUrl: p.logoUrl, accentColor: p.accentColor };
        this.#cached = { at: Date.now(), value };
        return value;
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }

  invalidate(): void {
    this.#cached = undefined;
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
    router.get('/assets/admin.css', (ctx) => {
      ctx.type = 'text/css; charset=utf-8';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = ADMIN_CSS;
    });
    return router;
  }
}

const instances = new WeakMap<object, Branding>();

/** One branding cache per app (keyed by its database handle), shared by the API and the console. */
export function brandingFor(deps: { db: Db }): Branding {
  let b = instances.get(deps.db);
  if (!b) {
    b = new Branding(deps.db);
    instances.set(deps.db, b);
  }
  return b;
}

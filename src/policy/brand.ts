import crypto from 'node:crypto';

/**
 * The brand's stylesheet, made from the policy's organization name, logo and accent colour: pure
 * functions, shared by Tobira's pages (http/branding.ts) and the provider's own pages (oidc/).
 */

export interface Brand {
  org: string;
  logoUrl: string;
  accentColor: string;
}

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

/** A short content hash, to version the stylesheet's address. */
export const cssVersion = (css: string) =>
  crypto.createHash('sha256').update(css).digest('base64url').slice(0, 12);

/** The address of the brand stylesheet for these settings (versioned by its content). */
export function brandCssHref(b: Brand): string {
  // Every page asks; the brand changes rarely: the last answer is kept for the same settings.
  if (
    lastHref &&
    lastHref.org === b.org &&
    lastHref.logoUrl === b.logoUrl &&
    lastHref.accentColor === b.accentColor
  )
    return lastHref.href;
  const href = `/assets/brand.css?v=${cssVersion(brandCss(b))}`;
  lastHref = { org: b.org, logoUrl: b.logoUrl, accentColor: b.accentColor, href };
  return href;
}
let lastHref: (Brand & { href: string }) | undefined;

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Next } from 'koa';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const asset = (type: string) => (file: string) => ({ file, type });
const js = asset('text/javascript; charset=utf-8');
const css = asset('text/css; charset=utf-8');
const svg = asset('image/svg+xml');

/** An allow-list of files served under /assets/ (no directory walking, no bundler). */
const FILES: Record<string, { file: string; type: string }> = {
  '/assets/tobira.css': css('public/tobira.css'),
  '/assets/vendor/simplewebauthn-browser.js': js(
    'node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js',
  ),
  '/assets/webauthn.js': js('public/webauthn.js'),
  // ALTCHA's "external" build: styles and workers as separate files, so the strict CSP holds
  // (no inline styles, no blob: workers). views/partials/pow.eta loads them.
  '/assets/vendor/altcha.js': js('node_modules/altcha/dist/external/altcha.min.js'),
  '/assets/vendor/altcha.css': css('node_modules/altcha/dist/external/altcha.css'),
  '/assets/vendor/altcha-ja.js': js('node_modules/altcha/dist/i18n/ja.js'),
  '/assets/vendor/altcha-worker-pbkdf2.js': js('node_modules/altcha/dist/workers/pbkdf2.js'),
  '/assets/pow.js': js('public/pow.js'),
  '/assets/frontchannel.js': js('public/frontchannel.js'),
  '/assets/local-time.js': js('public/local-time.js'),
  '/assets/countdown.js': js('public/countdown.js'),
  '/assets/favicon.svg': svg('public/favicon.svg'),
  '/favicon.svg': svg('public/favicon.svg'),
  '/favicon.ico': svg('public/favicon.svg'),
};

export function serveAssets() {
  const cache = new Map<string, Buffer>();
  return async (ctx: Context, next: Next) => {
    const entry = ctx.method === 'GET' || ctx.method === 'HEAD' ? FILES[ctx.path] : undefined;
    if (!entry) return next();
    let body = cache.get(ctx.path);
    if (!body) {
      body = fs.readFileSync(path.join(ROOT, entry.file));
      cache.set(ctx.path, body);
    }
    ctx.type = entry.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = body;
  };
}

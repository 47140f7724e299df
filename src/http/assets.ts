import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Next } from 'koa';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** An allow-list of files served under /assets/ (no directory walking, no bundler). */
const FILES: Record<string, { file: string; type: string }> = {
  '/assets/tobira.css': { file: 'public/tobira.css', type: 'text/css; charset=utf-8' },
  '/assets/vendor/simplewebauthn-browser.js': {
    file: 'node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js',
    type: 'text/javascript; charset=utf-8',
  },
  '/assets/webauthn.js': { file: 'public/webauthn.js', type: 'text/javascript; charset=utf-8' },
  // ALTCHA's "external" build: styles and workers as separate files, so the strict CSP holds
  // (no inline styles, no blob: workers). views/partials/pow.eta loads them.
  '/assets/vendor/altcha.js': {
    file: 'node_modules/altcha/dist/external/altcha.min.js',
    type: 'text/javascript; charset=utf-8',
  },
  '/assets/vendor/altcha.css': {
    file: 'node_modules/altcha/dist/external/altcha.css',
    type: 'text/css; charset=utf-8',
  },
  '/assets/vendor/altcha-ja.js': {
    file: 'node_modules/altcha/dist/i18n/ja.js',
    type: 'text/javascript; charset=utf-8',
  },
  '/assets/vendor/altcha-worker-pbkdf2.js': {
    file: 'node_modules/altcha/dist/workers/pbkdf2.js',
    type: 'text/javascript; charset=utf-8',
  },
  '/assets/pow.js': { file: 'public/pow.js', type: 'text/javascript; charset=utf-8' },
  '/assets/frontchannel.js': { file: 'public/frontchannel.js', type: 'text/javascript; charset=utf-8' },
  '/assets/local-time.js': { file: 'public/local-time.js', type: 'text/javascript; charset=utf-8' },
  '/assets/countdown.js': { file: 'public/countdown.js', type: 'text/javascript; charset=utf-8' },
  '/assets/favicon.svg': { file: 'public/favicon.svg', type: 'image/svg+xml' },
  '/favicon.svg': { file: 'public/favicon.svg', type: 'image/svg+xml' },
  '/favicon.ico': { file: 'public/favicon.svg', type: 'image/svg+xml' },
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

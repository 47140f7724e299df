/**
 * Screenshots for the README: sign-in, the reset steps, the portal and the admin console, at desktop
 * width (1280 px) and phone width (375 px), in English (and the portal in Japanese). It starts its
 * own server on an in-memory database with sample users, drives Debian's Chromium through the same
 * tour the look tests use (test/helpers/tour.ts), and writes PNG files to docs/screenshots/.
 *
 *   npm run screenshots          (needs chromium and oathtool: apt-get install chromium oathtool)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/chromium.ts';
import { startTour, tourAdmin, tourPortal, tourReset } from '../test/helpers/tour.ts';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/screenshots');

/** The stops photographed, by the tour's names; the rest of the tour is walked but not kept. */
const WANTED = new Set([
  'signin',
  'signin-error',
  'signin-second-step',
  'reset-identify',
  'reset-methods',
  'reset-app',
  'reset-password',
  'portal',
  'portal-add-app',
  'portal-activity',
  'admin-dashboard',
  'admin-users',
  'admin-user',
  'admin-policy',
  'admin-audit',
  'admin-reports',
]);
const JAPANESE = new Set(['signin', 'portal', 'portal-activity', 'reset-methods', 'admin-audit']);

async function shoot(page: Page, file: string, width: number) {
  await page.setViewportSize({ width, height: width < 500 ? 812 : 860 });
  // Let layout settle after the resize: two animation frames, not a timer.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: path.join(OUT, file), fullPage: width < 500, animations: 'disabled' });
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const tour = await startTour();
  const browser = await launchChromium();
  const written: string[] = [];
  try {
    for (const locale of ['en', 'ja'] as const) {
      const stop = async (page: Page, name: string) => {
        if (!WANTED.has(name) || (locale === 'ja' && !JAPANESE.has(name))) return;
        const base = locale === 'en' ? name : `${name}-ja`;
        await shoot(page, `${base}-desktop.png`, 1280);
        await shoot(page, `${base}-375.png`, 375);
        await page.setViewportSize({ width: 1280, height: 900 });
        written.push(base);
      };
      await tourPortal(tour, browser, locale, stop);
      await tourReset(tour, browser, locale, stop);
      await tourAdmin(tour, browser, locale, stop);
    }
  } finally {
    await browser.close();
    await tour.stop();
  }
  process.stdout.write(`wrote ${written.length * 2} screenshots to ${path.relative(process.cwd(), OUT)}: ${written.join(', ')}\n`);
}

await main();

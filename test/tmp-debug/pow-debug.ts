import { ManualClock } from '../../src/clock.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';

const tdb = await createTestDatabase();
const srv = await startTestServer({ db: tdb.db, clock: new ManualClock(Date.now()) });
const browser = await launchChromium();
const ctx = await browser.newContext({ locale: 'en-US' });
const mode = process.argv[2] ?? 'fill';
const tally: Record<string, number> = {};
if (process.argv[3] === 'patched') {
  await ctx.route('**/reset', async (route) => {
    const r = await route.fetch();
    const body = (await r.text()).replace('<script type="module" src="/assets/vendor/altcha.js"></script>', '');
    await route.fulfill({ response: r, body });
  });
}
for (let i = 0; i < 40; i++) {
  const page = await ctx.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.type() + ' ' + m.text())); page.on('pageerror', (e) => logs.push('pageerror ' + e.message)); page.on('worker', (w) => logs.push('worker ' + w.url()));
  await page.goto(`${srv.issuer}/reset`);
  const active0 = await page.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName);
  const reg0 = await page.evaluate(() => !!(globalThis as any).$altcha?.algorithms?.has('PBKDF2/SHA-256'));
  if (mode === 'fill') await page.fill('#username', 'erin');
  await page.waitForFunction(() => (globalThis as any).$altcha?.algorithms?.has('PBKDF2/SHA-256'));
  if (mode === 'fill-then-focus') { await page.fill('#username', 'erin'); await page.locator('form[action="/reset"] button[type="submit"]').focus(); }
  let state = '';
  try {
    await page.locator('altcha-widget [data-state="verified"]').waitFor({ timeout: 5000 });
    state = 'verified';
  } catch {
    state = (await page.locator('altcha-widget [data-state]').first().getAttribute('data-state')) ?? '?';
    const err = await page.locator('altcha-widget').textContent();
    state += ` | ${err?.replace(/\s+/g, ' ').slice(0, 200)}`;
  }
  const key = `active=${active0} reg-at-load=${reg0} -> ${state}`;
  tally[key] = (tally[key] ?? 0) + 1;
  await page.close();
}
console.log(mode, tally);
await browser.close();
await srv.stop();
await tdb.drop();

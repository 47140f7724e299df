import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { ManualClock } from '../../src/clock.ts';
import type { Locale } from '../../src/config.ts';
import { insertApi, upsertGrant } from '../../src/store/apis.ts';
import { formAction, Browser as HttpBrowser, hiddenInputs } from './browser.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { registerAppInPortal } from './reset.ts';
import { addUserViaCli, setPolicy } from './rp.ts';
import { startTestServer, type TestServer } from './server.ts';
import { oathtoolCode } from './tools.ts';

/*
 * A tour of every kind of page a person or an administrator sees: the start page, sign-in (with an
 * error, and the second step), the portal (security info, each "add a method" page, password,
 * activity), the reset steps (user ID, method choice, a code, the new password) and every section
 * of the admin console. The look tests check each stop (overflow at 375 px, axe-core); the
 * screenshot script photographs them. Each stop waits for its page's load, never for a time.
 */

export const PASSWORD = 'correct horse battery staple';
export const BROWSER_LOCALE: Record<Locale, string> = { en: 'en-US', ja: 'ja-JP' };
const ANSWERS = ['Blue Harbor Street', 'Grandmother Keiko', 'Mount Tarumae'];

export interface Tour {
  srv: TestServer;
  tdb: TestDatabase;
  clock: ManualClock;
  ids: Record<string, string>;
  secrets: Record<string, string>;
  stop(): Promise<void>;
}

/** A server with an administrator (root) and a person (mia) who has an authenticator app and security questions. */
export async function startTour(env: Record<string, string> = {}): Promise<Tour> {
  const clock = new ManualClock(Date.now());
  const tdb = await createTestDatabase();
  const srv = await startTestServer({ db: tdb.db, clock, env });
  await setPolicy(srv, 'registrationRequired', false);
  await setPolicy(srv, 'mfa', 'whenRegistered');
  await setPolicy(srv, 'resetMethods', ['app', 'sms', 'voice', 'email', 'securityKey', 'questions']);
  const ids: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [login, extra] of [
    ['root', ['--admin', '--email', 'root@example.com', '--name', 'Rei Tanaka']],
    ['mia', ['--email', 'mia@example.com', '--name', 'Mia Sato']],
    ['noah', ['--name', 'Noah Kim']],
  ] as const) {
    ids[login] = (await addUserViaCli(srv, login, PASSWORD, [...extra])).id;
  }
  // An API with a grant, so its page shows the table and every form.
  const now = new Date(clock.now());
  await insertApi(
    srv.db,
    {
      identifier: 'https://orders.example.com/api/v1/a-long-identifier-for-narrow-screens',
      name: 'Orders',
      scopes: ['orders.read', 'orders.write'],
      tokenFormat: 'jwt',
      tokenTtlSeconds: 600,
      signingAlg: 'ES256',
      introspectionClientId: null,
    },
    now,
  );
  await upsertGrant(
    srv.db,
    'tobira-demo',
    'https://orders.example.com/api/v1/a-long-identifier-for-narrow-screens',
    ['orders.read'],
    now,
  );
  try {
    // Questions first: once the app is registered, signing in to the portal asks for its code.
    await registerQuestions(srv, 'mia');
    secrets.root = await registerAppInPortal(srv.issuer, 'root', PASSWORD, clock);
    secrets.mia = await registerAppInPortal(srv.issuer, 'mia', PASSWORD, clock);
  } catch (err) {
    await srv.stop();
    await tdb.drop();
    throw err;
  }
  return {
    srv,
    tdb,
    clock,
    ids,
    secrets,
    stop: async () => {
      await srv.stop();
      await tdb.drop();
    },
  };
}

async function registerQuestions(srv: TestServer, login: string) {
  const br = new HttpBrowser();
  let r = await br.follow(await br.get('/my/security-info/add/questions', srv.issuer));
  r = await br.follow(
    await br.post(
      formAction(r.text),
      { ...hiddenInputs(r.text), username: login, password: PASSWORD },
      r.url,
    ),
  );
  const slots = new Set([...r.text.matchAll(/<select[^>]* name="question(\d+)"/g)].map((m) => m[1])).size;
  const qids = [...new Set([...r.text.matchAll(/<option value="(q\.[a-z_]+)"/g)].map((m) => m[1]))].slice(
    0,
    slots,
  );
  const form: Record<string, string> = { ...hiddenInputs(r.text) };
  qids.forEach((id, i) => {
    form[`question${i + 1}`] = id;
    form[`answer${i + 1}`] = ANSWERS[i];
  });
  r = await br.post('/my/security-info/add/questions', form, srv.issuer);
  assert.equal(r.status, 302, `questions registered for ${login}`);
}

export type Stop = (page: Page, name: string) => Promise<void>;

/** Runs an action that loads a page and waits for the document it ends on (after redirects) and its load. */
export async function go(page: Page, action: () => Promise<unknown>): Promise<Response> {
  const isDocument = (r: Response) =>
    r.request().isNavigationRequest() &&
    r.frame() === page.mainFrame() &&
    (r.status() < 300 || r.status() >= 400);
  const landed = page.waitForResponse(isDocument);
  const loaded = page.waitForEvent('load');
  await action();
  const [r] = await Promise.all([landed, loaded]);
  return r;
}

async function submit(page: Page, form: string) {
  return go(page, () => page.locator(`${form} button[type="submit"]`).first().click());
}

/** The sign-in form, then the authenticator app's code when a second step is asked. */
async function signIn(tour: Tour, page: Page, login: string, stop?: Stop) {
  await page.locator('#username').fill(login);
  await page.locator('#password').fill(PASSWORD);
  await submit(page, 'form[action$="/login"]');
  if (
    new URL(page.url()).pathname.startsWith('/interaction/') &&
    (await page.locator('input[name="code"]').count())
  ) {
    if (stop) await stop(page, 'signin-second-step');
    await page.locator('input[name="code"]').fill(oathtoolCode(tour.secrets[login], tour.clock.now()));
    await submit(page, 'form:has(input[name="code"])');
    tour.clock.advance(30_000);
  }
}

export async function newTab(
  browser: Browser,
  locale: Locale,
  width = 1280,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    locale: BROWSER_LOCALE[locale],
    viewport: { width, height: 900 },
    timezoneId: locale === 'ja' ? 'Asia/Tokyo' : 'America/New_York',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.setDefaultNavigationTimeout(30_000);
  return { context, page };
}

/** Start page, sign-in (with a wrong password first, then the second step) and the portal's pages. */
export async function tourPortal(tour: Tour, browser: Browser, locale: Locale, stop: Stop): Promise<void> {
  const at = (p: string) => `${tour.srv.issuer}${p}`;
  const { context, page } = await newTab(browser, locale);
  try {
    await go(page, () => page.goto(at('/')));
    await stop(page, 'home');
    await go(page, () => page.goto(at('/my/security-info')));
    assert.match(new URL(page.url()).pathname, /^\/interaction\//, 'the portal asks to sign in');
    await stop(page, 'signin');
    await page.locator('#username').fill('mia');
    await page.locator('#password').fill('not the password');
    await submit(page, 'form[action$="/login"]');
    await page.locator('[role="alert"]').first().waitFor();
    await stop(page, 'signin-error');
    await signIn(tour, page, 'mia', stop);
    assert.equal(new URL(page.url()).pathname, '/my/security-info', 'signed in to the portal');
    await stop(page, 'portal');
    for (const kind of ['app', 'email', 'phone', 'questions', 'securityKey']) {
      const r = await go(page, () => page.goto(at(`/my/security-info/add/${kind}`)));
      if (r.status() === 404) continue;
      await stop(page, `portal-add-${kind}`);
    }
    await go(page, () => page.goto(at('/my/password')));
    await stop(page, 'portal-password');
    await go(page, () => page.goto(at('/my/activity')));
    await stop(page, 'portal-activity');
    await go(page, () => page.goto(at('/lang/xx?return=/')));
    await stop(page, 'error-404');
  } finally {
    await context.close();
  }
}

/** Lets the proof-of-work widget finish, ticking it as a person would when it has not started. */
export async function powDone(page: Page) {
  const widget = page.locator('altcha-widget');
  await page.waitForFunction(() => (globalThis as any).$altcha?.algorithms?.has('PBKDF2/SHA-256'));
  const stateEl = widget.locator('[data-state]').first();
  await stateEl.waitFor({ state: 'attached' });
  const state = await stateEl.getAttribute('data-state');
  if (state === 'unverified' || state === 'error') {
    const box = await widget.locator('input[type="checkbox"]').boundingBox();
    if (box) await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  }
  await widget.locator('[data-state="verified"]').waitFor({ timeout: 60_000 });
}

/** The reset: user ID, the method choice, the authenticator app's code, the new password. */
export async function tourReset(tour: Tour, browser: Browser, locale: Locale, stop: Stop): Promise<void> {
  const at = (p: string) => `${tour.srv.issuer}${p}`;
  const { context, page } = await newTab(browser, locale);
  try {
    await go(page, () => page.goto(at('/reset')));
    await stop(page, 'reset-identify');
    await page.locator('#username').fill('mia');
    await powDone(page);
    await submit(page, 'form[action="/reset"]');
    assert.equal(new URL(page.url()).pathname, '/reset/verify', 'the method choice');
    await stop(page, 'reset-methods');
    await go(page, () => page.locator('main a[href="/reset/verify/app"]').click());
    await stop(page, 'reset-app');
    await page.locator('input[name="code"]').fill(oathtoolCode(tour.secrets.mia, tour.clock.now()));
    await submit(page, 'form:has(input[name="code"])');
    tour.clock.advance(30_000);
    if (new URL(page.url()).pathname === '/reset/verify') {
      await stop(page, 'reset-methods-second');
      await go(page, () => page.locator('main a[href="/reset/verify/questions"]').click());
      await stop(page, 'reset-questions');
      return;
    }
    assert.equal(new URL(page.url()).pathname, '/reset/password', 'the new password step');
    await stop(page, 'reset-password');
  } finally {
    await context.close();
  }
}

export const ADMIN_PAGES = [
  '/admin/',
  '/admin/users',
  '/admin/users/new',
  '/admin/groups',
  '/admin/clients',
  '/admin/apis',
  '/admin/policy',
  '/admin/audit',
  '/admin/reports',
  '/admin/notices',
  '/admin/contacts',
];

/** Every section of the admin console, and one user's page. */
export async function tourAdmin(tour: Tour, browser: Browser, locale: Locale, stop: Stop): Promise<void> {
  const at = (p: string) => `${tour.srv.issuer}${p}`;
  const { context, page } = await newTab(browser, locale);
  try {
    await go(page, () => page.goto(at('/admin/')));
    await signIn(tour, page, 'root');
    assert.equal(new URL(page.url()).pathname, '/admin/', 'signed in to the console');
    for (const p of [...ADMIN_PAGES, `/admin/users/${tour.ids.mia}`, '/admin/clients/tobira-demo']) {
      const r = await go(page, () => page.goto(at(p)));
      if (r.status() === 404) continue;
      assert.ok(r.status() < 400, `${p}: ${r.status()}`);
      const name = `admin${p.replace('/admin', '').replace(/\/$/, '').replace(/\//g, '-') || '-dashboard'}`;
      await stop(page, p.includes(tour.ids.mia) ? 'admin-user' : name);
    }
  } finally {
    await context.close();
  }
}

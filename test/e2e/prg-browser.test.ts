import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, Page, Request } from 'playwright-core';
import { ManualClock } from '../../src/clock.ts';
import { en } from '../../src/i18n/en/index.ts';
import { chromiumSkipReason, launchRequiredChromium } from '../helpers/chromium.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { registerAppInPortal } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool } from '../helpers/tools.ts';

/*
 * Back and reload after a failed form post, in Chromium (the attack: a reload that posts the form
 * again counts a second failure, and five reloads lock the account). Each failed post answers 303
 * to a GET that shows the error once; reloading and going Back repeat GETs only: the page posts
 * nothing again, no dialog asks to resubmit, and the counters table holds exactly one failure.
 */

describe(`post/redirect/get after failed forms in Chromium (${backendName})`, {
  skip: chromiumSkipReason(),
}, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  const clock = new ManualClock(Date.now());
  const PASSWORD = 'quiet harbour lantern 42';
  let rosa: { id: string; secret?: string };

  before(async () => {
    browser = await launchRequiredChromium();
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'resetMethods', ['app', 'email']);
    await setPolicy(srv, 'resetGatesRequired', 1);
    rosa = await addUserViaCli(srv, 'rosa', PASSWORD, ['--email', 'rosa@example.com']);
  });

  after(async () => {
    await browser?.close();
    await srv?.stop();
    await tdb?.drop();
  });

  /** A fresh tab that records every form post and every dialog (a resubmission prompt would be one). */
  async function tab() {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const posts: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r: Request) => {
      if (r.method() === 'POST' && r.isNavigationRequest()) posts.push(new URL(r.url()).pathname);
    });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    return { context, page, posts, dialogs };
  }

  const hits = async (key: string) => {
    const rows = await tdb.db('counters').where({ key });
    return rows.reduce((n: number, r: { hits: number | string }) => n + Number(r.hits), 0);
  };
  /** The alerts the page shows (the passkey script keeps an empty one for its own errors). */
  const alerts = async (page: Page) =>
    (await page.locator('main p.alert').allTextContents()).map((x) => x.trim()).filter(Boolean);

  /** Submits a form and waits for the page it lands on (after the 303): its path and status. */
  async function submitAndLand(page: Page, submit: () => Promise<void>, path: RegExp | string) {
    const landed = page.waitForResponse(
      (r) =>
        r.request().isNavigationRequest() &&
        r.request().method() === 'GET' &&
        (typeof path === 'string'
          ? new URL(r.url()).pathname === path
          : path.test(new URL(r.url()).pathname)),
    );
    await submit();
    const r = await landed;
    await page.waitForLoadState('load');
    return r;
  }

  /** Reload, then Back, then Forward: every one a GET; returns the statuses. */
  async function reloadAndBack(page: Page) {
    const reloaded = await page.reload({ waitUntil: 'load' });
    const afterReload = await alerts(page);
    await page.goBack({ waitUntil: 'load' });
    await page.goForward({ waitUntil: 'load' });
    return { reloadStatus: reloaded?.status(), afterReload };
  }

  it('a wrong password: one failure counted, the error shown once, no resubmission on reload or Back', async () => {
    const { context, page, posts, dialogs } = await tab();
    await page.goto(`${srv.issuer}/my/security-info`);
    await page.waitForURL(/\/interaction\/[A-Za-z0-9_-]+$/);
    const signIn = new URL(page.url()).pathname;
    await page.locator('#username').fill('rosa');
    await page.locator('#password').fill('not the password');
    const r = await submitAndLand(page, () => page.locator('#password').press('Enter'), signIn);
    assert.equal(r.status(), 401, 'the page after the post keeps the failure status');
    assert.deepEqual(await alerts(page), [en['signin.invalid']], 'the error, once');
    assert.equal(await page.locator('#username').inputValue(), 'rosa', 'the user ID is kept');
    const { reloadStatus, afterReload } = await reloadAndBack(page);
    assert.equal(reloadStatus, 200, 'a reload is a plain GET of the sign-in page');
    assert.deepEqual(afterReload, [], 'the error is not shown again');
    assert.deepEqual(posts, [signIn.concat('/login')], 'the form was posted once');
    assert.deepEqual(dialogs, [], 'no "confirm form resubmission"');
    assert.equal(await hits('signin:rosa'), 1, 'exactly one failure counted');
    await context.close();
  });

  it('a wrong authenticator code at sign-in: one failure counted, no resubmission', async (t: TestContext) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    rosa.secret = await registerAppInPortal(srv.issuer, 'rosa', PASSWORD, clock);
    // The password test left one failure on the sign-in counter; a correct password clears it.
    const { context, page, posts, dialogs } = await tab();
    await page.goto(`${srv.issuer}/my/security-info`);
    await page.waitForURL(/\/interaction\/[A-Za-z0-9_-]+$/);
    await page.locator('#username').fill('rosa');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('#password').press('Enter');
    await page.waitForURL(/\/interaction\/[A-Za-z0-9_-]+\/mfa\/app$/);
    const mfa = new URL(page.url()).pathname;
    const wrong = oathtoolCode(rosa.secret, new Date(clock.now().getTime() - 3600_000));
    await page.locator('input[name="code"]').fill(wrong);
    const r = await submitAndLand(page, () => page.locator('input[name="code"]').press('Enter'), mfa);
    assert.equal(r.status(), 400);
    const shown = await alerts(page);
    assert.equal(shown.length, 1, `the error, once: ${JSON.stringify(shown)}`);
    const { reloadStatus, afterReload } = await reloadAndBack(page);
    assert.equal(reloadStatus, 200);
    assert.deepEqual(afterReload, []);
    assert.deepEqual(
      posts.filter((p) => p.includes('/mfa/')),
      [mfa],
      'the code form was posted once',
    );
    assert.deepEqual(dialogs, []);
    assert.equal(await hits(`2fa:${rosa.id}`), 1, 'exactly one second-factor failure counted');
    await context.close();
  });

  it('a wrong code in a reset: one failure counted, no resubmission', async (t: TestContext) => {
    if (!requireTool(t, OATHTOOL, 'oathtool') || !rosa.secret) return;
    const { context, page, posts, dialogs } = await tab();
    await page.goto(`${srv.issuer}/reset`, { waitUntil: 'domcontentloaded' });
    await page.locator('#username').fill('rosa');
    const landed = page.waitForURL(`${srv.issuer}/reset/verify`);
    await page.locator('#username').press('Enter');
    await landed;
    await page.goto(`${srv.issuer}/reset/verify/app`);
    const wrong = oathtoolCode(rosa.secret, new Date(clock.now().getTime() - 3600_000));
    await page.locator('input[name="code"]').fill(wrong);
    const r = await submitAndLand(
      page,
      () => page.locator('input[name="code"]').press('Enter'),
      '/reset/verify/app',
    );
    assert.equal(r.status(), 400);
    assert.equal((await alerts(page)).length, 1, 'the error, once');
    const { reloadStatus, afterReload } = await reloadAndBack(page);
    assert.equal(reloadStatus, 200);
    assert.deepEqual(afterReload, []);
    assert.deepEqual(
      posts.filter((p) => p.startsWith('/reset/verify')),
      ['/reset/verify/app'],
      'the code form was posted once',
    );
    assert.deepEqual(dialogs, []);
    assert.equal(await hits(`reset.method:${rosa.id}:app`), 1, 'exactly one reset failure counted');
    await context.close();
  });
});

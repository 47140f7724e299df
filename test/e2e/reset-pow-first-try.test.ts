import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Request } from 'playwright-core';
import { ManualClock } from '../../src/clock.ts';
import { en } from '../../src/i18n/en/index.ts';
import { ja } from '../../src/i18n/ja/index.ts';
import { formAction, Browser as HttpBrowser, hiddenInputs } from '../helpers/browser.ts';
import { chromiumSkipReason, launchRequiredChromium } from '../helpers/chromium.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * The attack on a person's patience (issue 13, item 1): a person opens "Can't access your account?",
 * types the user ID at once and presses Enter (or clicks Next) before the proof of work is done.
 * The page must wait for the check with a visible status and go on by itself: the person reaches
 * the method choice on the first try, every time, with no refused post on the way. The server still
 * verifies every solution: a post without one is refused.
 *
 * No sleeps: every step waits on a page state, so a loaded machine makes it slower, not red.
 */

describe(`/reset on the first try in Chromium (${backendName})`, { skip: chromiumSkipReason() }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  const clock = new ManualClock(Date.now());
  const PASSWORD = 'old meadow bicycle 31';
  const users = ['ayumi', 'bruno', 'chidi', 'dmitri', 'emeka', 'farah'];

  before(async () => {
    browser = await launchRequiredChromium();
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'off');
    await setPolicy(srv, 'resetMethods', ['questions']);
    await setPolicy(srv, 'resetGatesRequired', 1);
    for (const u of users) {
      await addUserViaCli(srv, u, PASSWORD, ['--email', `${u}@example.com`]);
      await registerQuestions(u);
    }
  });

  /** Registers security questions through the portal, so that the user can reset with them. */
  async function registerQuestions(login: string) {
    const br = new HttpBrowser();
    let r = await br.follow(await br.get('/my/security-info/add/questions', srv.issuer));
    r = await br.follow(
      await br.post(
        formAction(r.text),
        { ...hiddenInputs(r.text), username: login, password: PASSWORD },
        r.url,
      ),
    );
    assert.equal(r.status, 200);
    const ids = [...new Set([...r.text.matchAll(/<option value="(q\.[a-z_]+)"/g)].map((m) => m[1]))].slice(
      0,
      3,
    );
    const form: Record<string, string> = { ...hiddenInputs(r.text) };
    ids.forEach((id, i) => {
      form[`question${i + 1}`] = id;
      form[`answer${i + 1}`] = `answer number ${i + 1}`;
    });
    r = await br.post('/my/security-info/add/questions', form, srv.issuer);
    assert.equal(r.status, 302, `questions registered for ${login}`);
  }

  after(async () => {
    await browser?.close();
    await srv?.stop();
    await tdb?.drop();
  });

  /**
   * One person, one fresh tab: load /reset, type the ID and submit at once. Returns what the check
   * showed while the person waited, and every POST /reset the page sent with its status.
   */
  async function firstTry(login: string, how: 'enter' | 'click', locale: 'en' | 'ja' = 'en') {
    const context = await browser.newContext({ locale: locale === 'ja' ? 'ja-JP' : 'en-US' });
    {
      const page = await context.newPage();
      page.setDefaultTimeout(60_000);
      const posts: Array<{ status: number; altcha: boolean }> = [];
      page.on('requestfinished', async (req: Request) => {
        if (req.method() !== 'POST' || new URL(req.url()).pathname !== '/reset') return;
        const res = await req.response();
        posts.push({ status: res?.status() ?? 0, altcha: /(^|&)altcha=[^&]+/.test(req.postData() ?? '') });
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // As early as a person could act: the document is parsed and its (deferred) scripts have run.
      await page.goto(`${srv.issuer}/reset`, { waitUntil: 'domcontentloaded' });
      const field = page.locator('#username');
      await field.fill(login);
      const landed = page.waitForURL(`${srv.issuer}/reset/verify`);
      if (how === 'enter') await field.press('Enter');
      else await page.locator('form[action="/reset"] button[type="submit"]').click();
      // What the page says right after the submit: still on /reset it says it is checking.
      const status = await page
        .locator('.pow .pow-status')
        .textContent({ timeout: 1_000 })
        .catch(() => '(left the page)');
      await landed;
      const heading = (await page.locator('h1').textContent())?.trim();
      return { heading, status, posts, errors };
    }
  }

  async function closeAll() {
    for (const c of browser.contexts()) await c.close();
  }

  it('typing the user ID and pressing Enter at once reaches the method choice, three times in a row', async (t) => {
    for (const login of users.slice(0, 3)) {
      const r = await firstTry(login, 'enter');
      t.diagnostic(`${login}: status while waiting ${JSON.stringify(r.status)}`);
      assert.equal(r.heading, en['reset.verify.title'], `${login} reaches the method choice`);
      assert.deepEqual(
        r.posts,
        [{ status: 302, altcha: true }],
        `${login}: one post, with the check, accepted`,
      );
      assert.deepEqual(r.errors, []);
      assert.ok(
        r.status === '' ||
          r.status === en['pow.checking'] ||
          r.status === en['pow.done'] ||
          r.status === '(left the page)',
        `the status line says ${JSON.stringify(r.status)}`,
      );
      await closeAll();
    }
  });

  it('the same with a click on Next, three times in a row (one in Japanese)', async (t) => {
    for (const [i, login] of users.slice(3).entries()) {
      const locale = i === 2 ? 'ja' : 'en';
      const cat = locale === 'ja' ? ja : en;
      const r = await firstTry(login, 'click', locale);
      t.diagnostic(`${login}: status while waiting ${JSON.stringify(r.status)}`);
      assert.equal(r.heading, cat['reset.verify.title'], `${login} reaches the method choice`);
      assert.deepEqual(
        r.posts,
        [{ status: 302, altcha: true }],
        `${login}: one post, with the check, accepted`,
      );
      assert.deepEqual(r.errors, []);
      await closeAll();
    }
  });

  it('the waiting is visible: a submit before the check is done shows "checking…" and sends nothing yet', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(60_000);
      // Hold the worker script back, so the check cannot finish until the test lets it.
      let releaseWorker!: () => void;
      const workerGate = new Promise<void>((r) => {
        releaseWorker = r;
      });
      await page.route('**/assets/vendor/altcha-worker-pbkdf2.js', async (route) => {
        await workerGate;
        await route.continue();
      });
      let posted = 0;
      page.on('request', (req) => {
        if (req.method() === 'POST') posted++;
      });
      await page.goto(`${srv.issuer}/reset`, { waitUntil: 'domcontentloaded' });
      await page.locator('#username').fill(users[0]);
      await page.locator('#username').press('Enter');
      await page.locator('.pow .pow-status', { hasText: en['pow.checking'] }).waitFor();
      assert.equal(await page.locator('form[action="/reset"]').getAttribute('aria-busy'), 'true');
      assert.equal(posted, 0, 'nothing is posted while the check runs');
      assert.equal(new URL(page.url()).pathname, '/reset');
      const landed = page.waitForURL(`${srv.issuer}/reset/verify`);
      releaseWorker();
      await landed;
      assert.equal(posted, 1, 'one post once the check is done');
    } finally {
      await context.close();
    }
  });

  it('the server still checks: a post without a solution is refused with the localized message', async () => {
    const page = await (await browser.newContext({ locale: 'en-US', javaScriptEnabled: false })).newPage();
    try {
      await page.goto(`${srv.issuer}/reset`);
      await page.locator('#username').fill(users[0]);
      const res = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.locator('#username').press('Enter'),
      ]);
      // Post/redirect/get: the refused post answers 303 to the form, which then says why.
      assert.equal(res[0].status(), 303);
      assert.equal((await page.locator('#form-error').textContent())?.trim(), en['reset.identify.pow']);
    } finally {
      await page.context().close();
    }
  });
});

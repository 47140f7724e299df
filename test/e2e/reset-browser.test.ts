import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { ManualClock } from '../../src/clock.ts';
import type { Locale } from '../../src/config.ts';
import { type MessageKey, type Params, translator } from '../../src/i18n/index.ts';
import { isQuestionId, questionKey } from '../../src/methods/questions/catalogue.ts';
import { decodeEntities, formAction, Browser as HttpBrowser, hiddenInputs } from '../helpers/browser.ts';
import { chromiumSkipReason, launchRequiredChromium } from '../helpers/chromium.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { registerAppInPortal } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool, toolAvailable } from '../helpers/tools.ts';

/*
 * "Can't access your account?" end to end in Debian's Chromium, once in English and once in Japanese:
 * the demo app sends the browser to the sign-in page, whose link starts the reset; the user ID and the
 * proof-of-work widget; two gates (the authenticator app with a code from oathtool, then the security
 * questions); a new password, first one the policy refuses; the success page's link back to the same
 * sign-in request; and the sign-in with the new password that lands in the demo app with the ID
 * token's claims. Every page must speak the browser's language and trigger no CSP violation.
 *
 * The methods are registered over HTTP (the portal has browser tests of its own); only the reset and
 * the sign-in after it run in Chromium.
 */

interface Person {
  login: string;
  password: string;
  /** The password the reset sets. */
  next: string;
  /** A new password the policy refuses because it contains the user ID. */
  refused: string;
  locale: Locale;
  /** The browser context's locale, which Chromium also sends as Accept-Language. */
  browserLocale: string;
  /** Question id → the answer registered for it. */
  answers: Map<string, string>;
  secret?: string;
  id?: string;
}

/** The widget's own label (altcha's catalogues, not ours): it shows the widget speaks the page's language. */
const WIDGET_LABEL: Record<Locale, string> = { en: "I'm not a robot", ja: '私はロボットではありません' };
const WIDGET_VERIFIED: Record<Locale, string> = { en: 'Verified', ja: '確認済み' };

describe(`password reset walk-through in Chromium (${backendName})`, { skip: chromiumSkipReason() }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clock = new ManualClock(Date.now());

  const erin: Person = {
    login: 'erin',
    password: 'old meadow bicycle 31',
    next: 'lighthouse pepper canyon 5',
    refused: 'erin lighthouse pepper 7',
    locale: 'en',
    browserLocale: 'en-US',
    answers: new Map(),
  };
  const kenji: Person = {
    login: 'kenji',
    password: 'paper crane river 64',
    next: '灯台と胡椒の渓谷 lantern 8',
    refused: 'kenji 灯台と胡椒の渓谷',
    locale: 'ja',
    browserLocale: 'ja-JP',
    answers: new Map(),
  };
  const ANSWERS: Record<Locale, string[]> = {
    en: ['harbour street', 'Miss Okafor', 'paper lanterns'],
    ja: ['東京タワー', 'たまごやき', 'ドラえもん'],
  };

  before(async () => {
    browser = await launchRequiredChromium();
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'off');
    await setPolicy(srv, 'resetMethods', ['app', 'sms', 'voice', 'email', 'securityKey', 'questions']);
    await setPolicy(srv, 'resetGatesRequired', 2);
    for (const p of [erin, kenji]) {
      p.id = (await addUserViaCli(srv, p.login, p.password, ['--email', `${p.login}@example.com`])).id;
      await registerQuestions(p);
      if (toolAvailable(OATHTOOL))
        p.secret = await registerAppInPortal(srv.issuer, p.login, p.password, clock);
    }
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await srv?.stop();
    await tdb?.drop();
  });

  /** Registers three predefined security questions in the portal, in the person's language. */
  async function registerQuestions(p: Person) {
    const br = new HttpBrowser();
    br.acceptLanguage = p.locale;
    let r = await br.follow(await br.get('/my/security-info/add/questions', srv.issuer));
    r = await br.follow(
      await br.post(
        formAction(r.text),
        { ...hiddenInputs(r.text), username: p.login, password: p.password },
        r.url,
      ),
    );
    assert.equal(r.status, 200, `the questions form for ${p.login}`);
    const slots = new Set([...r.text.matchAll(/<select[^>]* name="question(\d+)"/g)].map((m) => m[1])).size;
    assert.ok(slots >= 1 && slots <= ANSWERS[p.locale].length, `${slots} questions to register`);
    const ids = [...new Set([...r.text.matchAll(/<option value="(q\.[a-z_]+)"/g)].map((m) => m[1]))].slice(
      0,
      slots,
    );
    const form: Record<string, string> = { ...hiddenInputs(r.text) };
    ids.forEach((id, i) => {
      form[`question${i + 1}`] = id;
      form[`answer${i + 1}`] = ANSWERS[p.locale][i];
      p.answers.set(id, ANSWERS[p.locale][i]);
    });
    r = await br.post('/my/security-info/add/questions', form, srv.issuer);
    assert.equal(r.status, 302, `questions registered for ${p.login}`);
  }

  /** A tab with its own cookies, in the person's language; it records CSP violations and script errors. */
  async function tab(p: Person) {
    const context = await browser.newContext({ locale: p.browserLocale });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.setDefaultNavigationTimeout(15_000);
    const csp: string[] = [];
    const errors: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) csp.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
    // Chromium reports violations in the console; the DOM event is reported there too, so that a
    // violation Chromium would not log (or logs differently) is still seen.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.warn(
          `securitypolicyviolation (Content Security Policy): ${e.effectiveDirective} ${e.blockedURI}`,
        );
      });
    });
    return { page, csp, errors };
  }

  const at = (path: string) => `${srv.issuer}${path}`;
  const SIGN_IN = /^\/interaction\/([A-Za-z0-9_-]+)$/;

  /**
   * Runs an action that loads a page, and waits for the page it ends on (after any redirects): its path
   * and status must be the expected ones; otherwise the failure says what the tab shows.
   */
  async function go(page: Page, action: () => Promise<unknown>, path: string | RegExp, status = 200) {
    const isDocument = (r: Response) =>
      r.request().isNavigationRequest() &&
      r.frame() === page.mainFrame() &&
      (r.status() < 300 || r.status() >= 400);
    const landed = page.waitForResponse(isDocument);
    const loaded = page.waitForEvent('load');
    await action();
    const [r] = await Promise.all([landed, loaded]);
    const u = new URL(r.url());
    const pathOk = typeof path === 'string' ? u.pathname === path : path.test(u.pathname);
    if (u.origin !== srv.issuer || !pathOk || r.status() !== status) {
      const h1 = await page
        .locator('h1')
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => '');
      const alerts = await page
        .locator('[role="alert"]')
        .allTextContents()
        .catch(() => []);
      assert.fail(
        `expected ${status} at ${path}; got ${r.status()} ${r.request().method()} ${u.pathname}` +
          ` (heading ${JSON.stringify(h1)}, alerts ${JSON.stringify(alerts)})`,
      );
    }
    return r;
  }

  /** The page's language and main heading. */
  async function expectPage(page: Page, locale: Locale, heading: string) {
    assert.equal(await page.locator('html').getAttribute('lang'), locale, `<html lang> on ${page.url()}`);
    assert.equal((await page.locator('h1').textContent())?.trim(), heading, `the heading of ${page.url()}`);
  }

  const text = async (page: Page, selector: string) =>
    ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();

  const widgetState = (page: Page) =>
    page.locator('altcha-widget [data-state]').first().getAttribute('data-state', { timeout: 5_000 });

  /**
   * Waits until the widget can work: its script and ours (public/pow.js, which registers the worker)
   * have run. Returns the widget's state then: 'error' when it tried to solve before pow.js registered
   * the worker (a race on page load, see the test "does not fail by itself" below).
   */
  async function widgetReady(page: Page): Promise<string | null> {
    await page.waitForFunction(() => (globalThis as any).$altcha?.algorithms?.has('PBKDF2/SHA-256'));
    await page.locator('altcha-widget [data-state]').first().waitFor({ state: 'attached' });
    return widgetState(page);
  }

  /**
   * Lets the proof-of-work widget solve its challenge, the way a person sets it off: by focusing the
   * form (auto="onfocus") or by ticking the check box with the mouse (its tick graphic lies over the box,
   * so where a person clicks, not Playwright's element click). A widget that failed on load is ticked
   * again, as a person would. Returns how long the solving took and what was done.
   */
  async function solvePow(page: Page, locale: Locale, how: 'focus' | 'click') {
    const widget = page.locator('altcha-widget');
    const state = await widgetState(page);
    const started = Date.now();
    let did = `already ${state}`;
    if (state === 'unverified' || state === 'error') {
      assert.equal(
        (await widget.locator('label').first().textContent())?.trim(),
        WIDGET_LABEL[locale],
        'the widget speaks the page language',
      );
      if (how === 'focus' && state === 'unverified') {
        // The user ID field may have had the focus before the widget listened (autofocus): moving
        // the focus to the button inside the same form is a focus-in the widget sees.
        await page.locator('form[action="/reset"] button[type="submit"]').focus();
        did = 'focus';
      } else {
        const box = await widget.locator('input[type="checkbox"]').boundingBox();
        assert.ok(box, 'the check box is on screen');
        await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
        did = state === 'error' ? 'click after a failure on load' : 'click';
      }
    }
    await widget.locator('[data-state="verified"]').waitFor({ timeout: 30_000 });
    assert.equal(
      (await widget.locator('label').first().textContent())?.trim(),
      WIDGET_VERIFIED[locale],
      'the widget says it is done, in the page language',
    );
    await page.waitForFunction(
      () => {
        const f = document.querySelector('form[action="/reset"]') as HTMLFormElement | null;
        const v = f ? new FormData(f).get('altcha') : null;
        return typeof v === 'string' && v.length > 0;
      },
      undefined,
      { timeout: 5_000 },
    );
    return { ms: Date.now() - started, did };
  }

  async function walkThrough(tc: TestContext, p: Person, pow: 'focus' | 'click') {
    const t = (key: MessageKey, params?: Params) => translator(p.locale)(key, params);
    const started = Date.now();
    const { page, csp, errors } = await tab(p);

    // The app sends the browser to the sign-in page, which offers the way back into the account.
    await go(page, () => page.goto(at('/demo/login')), SIGN_IN);
    const uid = SIGN_IN.exec(new URL(page.url()).pathname)![1];
    await expectPage(page, p.locale, t('signin.title'));
    await go(
      page,
      () => page.getByRole('link', { name: t('signin.cantAccess'), exact: true }).click(),
      '/reset',
    );
    assert.equal(
      new URL(page.url()).searchParams.get('interaction'),
      uid,
      'the reset keeps the sign-in request',
    );

    // The user ID and the proof of work.
    await expectPage(page, p.locale, t('reset.title'));
    assert.equal(await text(page, 'main > p'), t('reset.identify.lead'));
    assert.equal(await text(page, '.pow p.muted'), t('pow.hint'));
    assert.equal(await page.locator('input[name="interaction"]').inputValue(), uid);
    const onLoad = await widgetReady(page);
    await page.getByLabel(t('reset.identify.username'), { exact: true }).fill(p.login);
    const solved = await solvePow(page, p.locale, pow);
    await go(
      page,
      () => page.getByRole('button', { name: t('reset.identify.submit'), exact: true }).click(),
      '/reset/verify',
    );

    // Gate 1 of 2: the authenticator app.
    await expectPage(page, p.locale, t('reset.verify.title'));
    assert.equal(await text(page, 'main > p'), t('reset.verify.lead', { gate: 1, required: 2 }));
    await go(
      page,
      () => page.getByRole('link', { name: t('method.app'), exact: true }).click(),
      '/reset/verify/app',
    );
    await expectPage(page, p.locale, t('method.app'));
    assert.equal(await text(page, '#app-verify-help'), t('app.verify.lead'));
    clock.advance(30_000); // a time step no code was used in yet
    await page
      .getByLabel(t('app.verify.codeLabel'), { exact: true })
      .fill(oathtoolCode(p.secret!, clock.now()));
    await go(
      page,
      () => page.getByRole('button', { name: t('app.verify.submit'), exact: true }).click(),
      '/reset/verify',
    );

    // Gate 2 of 2: the security questions; the app is not offered again.
    await expectPage(page, p.locale, t('reset.verify.title'));
    assert.equal(await text(page, 'main > p'), t('reset.verify.lead', { gate: 2, required: 2 }));
    assert.equal(
      await page.locator('main a[href="/reset/verify/app"]').count(),
      0,
      'the app was the first gate',
    );
    await go(
      page,
      () => page.getByRole('link', { name: t('method.questions'), exact: true }).click(),
      '/reset/verify/questions',
    );
    await expectPage(page, p.locale, t('method.questions'));
    assert.equal(await text(page, 'main form p:not(.muted)'), t('questions.verify.lead'));
    const byText = new Map(
      [...p.answers].map(([id, answer]) => {
        assert.ok(isQuestionId(id));
        return [t(questionKey(id)), answer] as const;
      }),
    );
    const labels = page.locator('main label[for^="questions-verify-answer-"]');
    const drawn = await labels.count();
    assert.ok(drawn >= 1 && drawn <= p.answers.size, `${drawn} questions drawn`);
    for (let i = 0; i < drawn; i++) {
      const label = labels.nth(i);
      const question = decodeEntities(((await label.textContent()) ?? '').trim());
      const answer = byText.get(question);
      assert.ok(answer, `"${question}" is one of ${p.login}'s questions, shown in ${p.locale}`);
      await page.locator(`#${await label.getAttribute('for')}`).fill(answer);
    }
    // Both gates passed: the flow goes on to the new password.
    await go(
      page,
      () => page.getByRole('button', { name: t('questions.verify.submit'), exact: true }).click(),
      '/reset/password',
    );

    // A new password the policy refuses, with the reason in the page's language; then a good one.
    await expectPage(page, p.locale, t('reset.password.title'));
    assert.equal(await text(page, 'main > p'), t('reset.password.lead'));
    const fillPasswords = async (pw: string) => {
      await page.getByLabel(t('reset.password.new'), { exact: true }).fill(pw);
      await page.getByLabel(t('reset.password.confirm'), { exact: true }).fill(pw);
    };
    const submitPassword = () =>
      page.getByRole('button', { name: t('reset.password.submit'), exact: true }).click();
    await fillPasswords(p.refused);
    await go(page, submitPassword, '/reset/password', 400);
    await expectPage(page, p.locale, t('reset.password.title'));
    const reasons = (await page.locator('#form-error li').allTextContents()).map((s) => s.trim());
    assert.ok(
      reasons.includes(t('password.contains_login')),
      `the reason is shown in ${p.locale}: ${JSON.stringify(reasons)}`,
    );
    await fillPasswords(p.next);
    await go(page, submitPassword, '/reset/password');
    await expectPage(page, p.locale, t('reset.done.title'));
    assert.equal(await text(page, 'main [role="status"]'), t('reset.done.lead'));

    // Back to the same sign-in request, with the new password, and into the app.
    const signIn = page.getByRole('link', { name: t('reset.done.signin'), exact: true });
    assert.equal(await signIn.getAttribute('href'), `/interaction/${uid}`);
    await go(page, () => signIn.click(), `/interaction/${uid}`);
    await expectPage(page, p.locale, t('signin.title'));
    await page.getByLabel(t('signin.username'), { exact: true }).fill(p.login);
    await page.getByLabel(t('signin.password'), { exact: true }).fill(p.next);
    await go(
      page,
      () => page.getByRole('button', { name: t('signin.submit'), exact: true }).click(),
      '/demo',
    );
    await expectPage(page, p.locale, t('demo.title'));
    const claims = JSON.parse((await page.locator('pre.claims').textContent()) ?? '{}');
    assert.equal(claims.preferred_username, p.login);
    assert.equal(claims.sub, p.id);
    assert.equal(
      await text(page, 'main > p:nth-of-type(2)'),
      t('demo.signedInAs', { name: claims.name || claims.preferred_username }),
    );

    const done = await tdb.db('audit_events').where({ activity: 'reset.complete', subject_id: p.id });
    assert.equal(done.length, 1, 'one completed reset in the audit log');
    const details = typeof done[0].details === 'string' ? JSON.parse(done[0].details) : done[0].details;
    assert.deepEqual(details.methods, ['app', 'questions']);

    assert.deepEqual(csp, [], 'no Content Security Policy violation on any page');
    assert.deepEqual(errors, [], 'no uncaught script error on any page');
    tc.diagnostic(
      `${p.locale}: widget ${onLoad} on load; proof of work (${solved.did}) ${solved.ms} ms; whole walk-through ${Date.now() - started} ms`,
    );
  }

  it('English: sign-in page → "Can\'t access your account?" → app + questions → new password → the app', async (tc) => {
    if (!requireTool(tc, OATHTOOL, 'oathtool')) return;
    await walkThrough(tc, erin, 'focus');
  });

  it('Japanese: サインイン → 「アカウントにアクセスできない場合」 → 認証アプリ + 質問 → 新しいパスワード → アプリ', async (tc) => {
    if (!requireTool(tc, OATHTOOL, 'oathtool')) return;
    await walkThrough(tc, kenji, 'click');
  });

  it("the identify page's check does not fail by itself when the page loads", async () => {
    const { page } = await tab(erin);
    const failed: number[] = [];
    const LOADS = 20;
    for (let i = 0; i < LOADS; i++) {
      await go(page, () => page.goto(at('/reset')), '/reset');
      if ((await widgetReady(page)) === 'error') failed.push(i);
    }
    assert.deepEqual(
      failed,
      [],
      `the widget was in its error state after ${failed.length} of ${LOADS} loads`,
    );
  });

  it('the violation watcher used above does see a CSP violation', async () => {
    const { page, csp } = await tab(erin);
    await go(page, () => page.goto(at('/reset')), '/reset');
    const reported = page.waitForEvent('console', {
      predicate: (m) => /Content Security Policy/i.test(m.text()),
      timeout: 5_000,
    });
    // An inline script: the page's CSP (script-src 'self') refuses it.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__ran = true';
      document.body.append(s);
    });
    await reported;
    assert.equal(
      await page.evaluate(() => (window as any).__ran === true),
      false,
      'the inline script did not run',
    );
    assert.ok(csp.length >= 1, `the watcher recorded it: ${JSON.stringify(csp)}`);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { ManualClock } from '../../src/clock.ts';
import { ACR_MFA } from '../../src/oidc/acr.ts';
import {
  addVirtualAuthenticator,
  chromiumSkipReason,
  launchRequiredChromium,
  type VirtualAuthenticator,
  type VirtualAuthenticatorOptions,
} from '../helpers/chromium.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool } from '../helpers/tools.ts';

/**
 * Security keys and passkeys end to end in a real browser: Debian's Chromium with virtual
 * authenticators from the DevTools protocol, against an in-process server (issuer and WebAuthn origin
 * http://localhost:PORT), with the built-in demo app (/demo) as the relying party: it runs the code
 * flow and shows the claims of the ID token it received.
 *
 * The tests run in order and share two tabs, each with its own cookies and its own authenticator.
 */
describe(`security keys and passkeys in Chromium (${backendName})`, { skip: chromiumSkipReason() }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  /** The last page each tab loaded (status, method, path), to explain a wait that failed. */
  const lastDocument = new WeakMap<Page, string>();
  /** An error page (4xx/5xx) a tab loaded since the last wait for a page. */
  const errorPage = new WeakMap<Page, string>();
  const clock = new ManualClock(Date.now());
  const kimPassword = 'correct horse battery staple';
  const leePassword = 'purple monkey dishwasher';
  let kim: { id: string };
  let lee: { id: string };

  /** A security key with a PIN: discoverable credentials, verifies the user. */
  const VERIFYING: VirtualAuthenticatorOptions = {
    protocol: 'ctap2',
    transport: 'usb',
    hasResidentKey: true,
    hasUserVerification: true,
    isUserVerified: true,
  };
  /**
   * Holds discoverable credentials but cannot verify the user. A platform authenticator: for a USB
   * key without user verification Chromium first has the user set a PIN before it makes a
   * discoverable credential, which needs its own dialogs.
   */
  const NOT_VERIFYING: VirtualAuthenticatorOptions = {
    protocol: 'ctap2',
    transport: 'internal',
    hasResidentKey: true,
    hasUserVerification: false,
    isUserVerified: false,
  };

  let kimPage: Page;
  let kimKey: VirtualAuthenticator;
  let leePage: Page;
  let leeKey: VirtualAuthenticator;

  before(async () => {
    browser = await launchRequiredChromium();
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    // Users without methods go straight through; the registration wizard has tests of its own.
    await setPolicy(srv, 'registrationRequired', false);
    kim = await addUserViaCli(srv, 'kim', kimPassword, ['--email', 'kim@example.com']);
    lee = await addUserViaCli(srv, 'lee', leePassword);
    ({ page: kimPage, key: kimKey } = await tab(VERIFYING));
    ({ page: leePage, key: leeKey } = await tab(NOT_VERIFYING));
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await srv?.stop();
    await tdb?.drop();
  });

  /** A tab with its own cookie jar and its own virtual authenticator. */
  async function tab(opts: VirtualAuthenticatorOptions) {
    const context = await browser.newContext({ locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.setDefaultNavigationTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) {
        const seen = `${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`;
        lastDocument.set(page, seen);
        if (r.status() >= 400) errorPage.set(page, seen);
      }
    });
    const key = await addVirtualAuthenticator(page, opts);
    return { page, key };
  }

  const at = (path: string) => `${srv.issuer}${path}`;
  const SIGN_IN = /^\/interaction\/[A-Za-z0-9_-]+$/;
  const mfaPath = (kind: string) => new RegExp(`^/interaction/[A-Za-z0-9_-]+/mfa/${kind}$`);

  /**
   * Waits until the tab shows a page of ours that matches. An error page (4xx/5xx) on the way fails at
   * once, and a failure says what the tab shows instead.
   */
  async function reach(page: Page, what: string, match: (u: URL) => boolean) {
    const matches = (u: URL) => u.origin === srv.issuer && match(u);
    let onResponse: (r: Response) => void = () => {};
    const failed = new Promise<never>((_, reject) => {
      onResponse = (r) => {
        if (r.status() >= 400 && r.request().isNavigationRequest() && r.frame() === page.mainFrame()) {
          reject(new Error(`${r.status()} from ${r.request().method()} ${new URL(r.url()).pathname}`));
        }
      };
      page.on('response', onResponse);
    });
    try {
      const early = errorPage.get(page);
      if (early && !matches(new URL(page.url()))) throw new Error(early);
      await Promise.race([page.waitForURL(matches), failed]);
    } catch (err) {
      await page.waitForLoadState('load').catch(() => {});
      const alerts = await page
        .locator('[role="alert"]:visible')
        .allTextContents()
        .catch(() => []);
      const h1 = await page
        .locator('h1')
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => '');
      throw new Error(
        `expected ${what}; the tab shows ${page.url()} (last page: ${lastDocument.get(page)}; ` +
          `heading: ${JSON.stringify(h1)}; alerts: ${JSON.stringify(alerts)})`,
        { cause: err },
      );
    } finally {
      page.off('response', onResponse);
      errorPage.delete(page);
    }
  }
  const onPath = (page: Page, path: string | RegExp) =>
    reach(page, String(path), (u) =>
      typeof path === 'string' ? u.pathname === path : path.test(u.pathname),
    );
  const onPortal = (page: Page, done: string) =>
    reach(
      page,
      `/my/security-info?done=${done}`,
      (u) => u.pathname === '/my/security-info' && u.searchParams.get('done') === done,
    );

  /** The password step, with the mouse (the page may be the sign-in page shown again after an error). */
  async function enterPassword(page: Page, login: string, password: string) {
    await reach(page, 'the sign-in page', (u) => u.pathname.startsWith('/interaction/'));
    await page.fill('#username', login);
    await page.fill('#password', password);
    await page.click('form[action$="/login"] button[type="submit"]');
  }

  /** The second step with a security key (the button is enabled once the script has loaded). */
  async function useKey(page: Page) {
    await onPath(page, mfaPath('securityKey'));
    await page.click('form[data-webauthn="authenticate"] button[data-webauthn-start]');
  }

  /** The claims of the ID token the demo app received. */
  async function demoClaims(page: Page): Promise<Record<string, unknown>> {
    await onPath(page, '/demo');
    const text = await page.locator('pre.claims').textContent();
    assert.ok(text, 'the demo app shows the claims');
    return JSON.parse(text);
  }

  /**
   * Signs out of the demo app and of the provider: the app ends the provider session itself, so the
   * provider's sign-out endpoint only clears its cookie and asks nothing.
   */
  async function signOutOfDemo(page: Page) {
    await page.click('form[action="/demo/logout"] button[type="submit"]');
    await onPath(page, '/demo');
    await page.locator('a[href="/demo/login"]').waitFor();
  }

  /** Signs out with the portal's own navigation; the provider's session ends too, so the password is asked again. */
  async function signOutOfPortal(page: Page) {
    await page.click('nav.portal-nav form[action="/my/signout"] button[type="submit"]');
    await onPath(page, '/');
    await page.goto(at('/my/security-info'));
    await onPath(page, SIGN_IN);
    assert.ok(await page.locator('#username').isVisible(), 'signing in again asks for the password');
  }

  /** The "method: label" cells of the portal's table. */
  async function methodRows(page: Page): Promise<string[]> {
    // The first cell of each row: the method's name, then its tags ("default sign-in method").
    return page.locator('main table tbody tr td:first-child').evaluateAll((cells) =>
      cells.map((td) => {
        const name = td.querySelector('.method-name')?.textContent ?? td.textContent ?? '';
        const tags = Array.from(td.querySelectorAll('.tag')).map((t) => t.textContent ?? '');
        return [name, ...tags].map((s) => s.replace(/\s+/g, ' ').trim()).join(' · ');
      }),
    );
  }

  /** Adds a key in the portal from the tab's authenticator, signing in with the password first. */
  async function registerKey(page: Page, login: string, password: string, name: string) {
    await page.goto(at('/my/security-info/add/securityKey'));
    await enterPassword(page, login, password);
    await onPath(page, '/my/security-info/add/securityKey');
    assert.equal((await page.locator('h1').textContent())?.trim(), 'Security key or passkey');
    await page.fill('#securityKey-name', name);
    await page.click('form[data-webauthn="register"] button[data-webauthn-start]');
    await onPortal(page, 'added');
    assert.match((await page.locator('[role="status"]').textContent()) ?? '', /The method was added/);
  }

  async function credentialsOf(userId: string) {
    const rows = await tdb.db('credentials').where({ user_id: userId }).orderBy('created_at');
    return rows.map((r: any) => ({ ...r, data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data }));
  }

  /** Presses Tab until the element has the focus (it may have it already, by autofocus). */
  async function tabTo(page: Page, selector: string, max = 40) {
    const el = page.locator(selector);
    await el.waitFor();
    for (let i = 0; i < max; i++) {
      if (await el.evaluate((e) => e === document.activeElement)) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`${selector} was not reached with Tab`);
  }

  function noPageErrors() {
    assert.deepEqual(pageErrors.splice(0), [], 'no uncaught script errors on our pages');
  }

  it('registers a security key in the portal, lists it, and signs out', async () => {
    await registerKey(kimPage, 'kim', kimPassword, 'Blue key');
    assert.deepEqual(await methodRows(kimPage), [
      'Security key or passkey: Blue key · default sign-in method',
    ]);

    const held = await kimKey.credentials();
    assert.equal(held.length, 1, 'the authenticator holds one credential');
    assert.equal(held[0].isResidentCredential, true, 'a discoverable credential: a passkey');
    assert.equal(
      Buffer.from(held[0].userHandle ?? '', 'base64').toString('hex'),
      kim.id.replace(/-/g, ''),
      'the user handle is the account uuid, nothing personal',
    );
    const [row] = await credentialsOf(kim.id);
    assert.equal(row.kind, 'securityKey');
    assert.equal(row.label, 'Blue key');
    assert.equal(row.is_default, true);
    assert.equal(row.data.userVerified, true);
    assert.equal(row.data.discoverable, true);
    assert.equal(row.data.backupEligible, false, 'device-bound');

    await signOutOfPortal(kimPage);
    noPageErrors();
  });

  it('signs in to an app with password + security key: amr hwk and mfa, the MFA acr', async () => {
    const signCount = (await kimKey.credentials())[0].signCount;
    await kimPage.goto(at('/demo/login'));
    await enterPassword(kimPage, 'kim', kimPassword);
    // The key is Kim's default (and only) method.
    await onPath(kimPage, mfaPath('securityKey'));
    assert.equal((await kimPage.locator('h1').textContent())?.trim(), 'Verify your identity');
    assert.equal(await kimPage.locator('#app-verify-code').count(), 0);
    await useKey(kimPage);
    const claims = await demoClaims(kimPage);
    assert.equal(claims.sub, kim.id);
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    assert.ok((await kimKey.credentials())[0].signCount > signCount, 'the key signed');
    await signOutOfDemo(kimPage);
    noPageErrors();
  });

  it('signs in with a passkey alone, without a password', async () => {
    await kimPage.goto(at('/demo/login'));
    await onPath(kimPage, SIGN_IN);
    await kimPage.click('form[data-webauthn="passkey"] button[data-webauthn-start]');
    const claims = await demoClaims(kimPage);
    assert.equal(claims.sub, kim.id);
    const amr = claims.amr as string[];
    assert.ok(amr.includes('mfa'), `amr ${amr}`);
    assert.ok(amr.includes('hwk'), `amr ${amr}`);
    assert.ok(!amr.includes('pwd'), `amr ${amr}`);
    assert.equal(claims.acr, ACR_MFA);
    const audit = await tdb.db('audit_events').where({ activity: 'signin.passkey', subject_id: kim.id });
    assert.deepEqual(
      audit.map((a: any) => a.result),
      ['succeeded'],
    );
    await signOutOfDemo(kimPage);
    noPageErrors();
  });

  it('refuses a passkey sign-in from an authenticator that cannot verify the user', async () => {
    // Registration asks for user verification as "preferred", so this authenticator can register.
    await registerKey(leePage, 'lee', leePassword, 'Old key');
    const [row] = await credentialsOf(lee.id);
    assert.equal(row.data.userVerified, false, 'registered without user verification');
    assert.equal(row.data.discoverable, true);
    assert.equal((await leeKey.credentials()).length, 1);
    await signOutOfPortal(leePage);

    await leePage.goto(at('/demo/login'));
    await onPath(leePage, SIGN_IN);
    const signInUrl = leePage.url();
    const form = leePage.locator('form[data-webauthn="passkey"]');
    const options = JSON.parse((await form.locator('script[data-webauthn-options]').textContent()) ?? '{}');
    assert.equal(options.userVerification, 'required', 'a passkey without a password must verify the user');
    assert.equal(options.allowCredentials?.length ?? 0, 0, 'any passkey the browser holds for this site');

    await form.locator('button[data-webauthn-start]').click();
    const alert = form.locator('[data-webauthn-error]');
    await alert.waitFor({ state: 'visible' });
    const message = (await alert.textContent())?.trim() ?? '';
    // The browser only says NotAllowedError (as for a cancelled dialog); the page tells the user so.
    assert.equal(message, await form.getAttribute('data-msg-cancelled'));
    assert.ok(message.length > 20, `a sentence, not a code: "${message}"`);
    assert.equal(leePage.url(), signInUrl, 'still on the sign-in page');
    assert.equal(
      await form.locator('button[data-webauthn-start]').isEnabled(),
      true,
      'the user may try again',
    );
    assert.ok(await leePage.locator('#username').isVisible(), 'the password is still offered');

    await leePage.goto(at('/demo'));
    await leePage.locator('a[href="/demo/login"]').waitFor();
    assert.equal(await leePage.locator('pre.claims').count(), 0, 'not signed in');
    const events = await tdb.db('audit_events').where({ activity: 'signin.passkey', subject_id: lee.id });
    assert.deepEqual(events, [], 'no passkey sign-in of Lee reached the server');
    noPageErrors();
  });

  it('after the key is removed (another method first), sign-in offers the other method', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    // Adding needs a recent sign-in with the second factor Kim has: the key.
    await kimPage.goto(at('/my/security-info/add/app'));
    await enterPassword(kimPage, 'kim', kimPassword);
    await useKey(kimPage);
    await onPath(kimPage, '/my/security-info/add/app');
    const secret = ((await kimPage.locator('code[translate="no"]').textContent()) ?? '').replace(/\s+/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await kimPage.fill('#app-enroll-code', oathtoolCode(secret, clock.now()));
    await kimPage.fill('#app-enroll-name', 'Phone');
    await kimPage.click('main form[action="/my/security-info/add/app"] button[type="submit"]');
    await onPortal(kimPage, 'added');
    assert.deepEqual((await methodRows(kimPage)).sort(), [
      'Authenticator app: Phone',
      'Security key or passkey: Blue key · default sign-in method',
    ]);

    // Deleting asks first, on a page of its own.
    await kimPage.click('a[aria-label="Delete Blue key"]');
    await kimPage.click('main form.confirm button[type="submit"]');
    await onPortal(kimPage, 'removed');
    assert.deepEqual(await methodRows(kimPage), ['Authenticator app: Phone · default sign-in method']);
    assert.deepEqual(
      (await credentialsOf(kim.id)).map((c) => c.kind),
      ['app'],
    );
    await signOutOfPortal(kimPage);

    // The authenticator still holds the passkey, but it no longer signs anyone in here.
    await kimPage.goto(at('/demo/login'));
    await onPath(kimPage, SIGN_IN);
    await kimPage.click('form[data-webauthn="passkey"] button[data-webauthn-start]');
    await kimPage.locator('#form-error').waitFor();
    assert.match((await kimPage.locator('#form-error').textContent()) ?? '', /passkey isn't registered here/);
    assert.equal((await kimKey.credentials()).length, 1);

    await enterPassword(kimPage, 'kim', kimPassword);
    await onPath(kimPage, mfaPath('app'));
    assert.match(
      (await kimPage.locator('main').textContent()) ?? '',
      /Use your Authenticator app to finish signing in/,
    );
    assert.ok(await kimPage.locator('#app-verify-code').isVisible(), "the app's code form");
    assert.equal(await kimPage.locator('form[data-webauthn]').count(), 0, 'no security key form');
    assert.equal(await kimPage.locator('a[href$="/mfa/securityKey"]').count(), 0, 'the key is not offered');
    clock.advance(30_000); // the enrolment used this time step's code
    await kimPage.fill('#app-verify-code', oathtoolCode(secret, clock.now()));
    await kimPage.click('main form[action$="/mfa/app"] button[type="submit"]');
    const claims = await demoClaims(kimPage);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    await signOutOfDemo(kimPage);
    noPageErrors();
  });

  it('works with the keyboard alone: password with Tab and Enter, then the security key', async () => {
    await leePage.goto(at('/demo/login'));
    await onPath(leePage, SIGN_IN);
    await tabTo(leePage, '#username');
    await leePage.keyboard.type('lee');
    await leePage.keyboard.press('Tab');
    assert.equal(
      await leePage.evaluate(() => document.activeElement?.id),
      'password',
      'Tab goes on to the password',
    );
    await leePage.keyboard.type(leePassword);
    await leePage.keyboard.press('Enter');

    await onPath(leePage, mfaPath('securityKey'));
    const start = 'form[data-webauthn="authenticate"] button[data-webauthn-start]';
    await leePage.locator(`${start}:enabled`).waitFor();
    await tabTo(leePage, start);
    await leePage.keyboard.press('Enter');
    // A key that cannot verify the user still counts as a second factor after the password.
    const claims = await demoClaims(leePage);
    assert.equal(claims.sub, lee.id);
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    noPageErrors();
  });
});

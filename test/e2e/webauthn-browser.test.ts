import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
 * Security keys and passkeys in a real browser: Debian's Chromium with the DevTools protocol's
 * virtual authenticators, against an in-process server, with the built-in demo app (/demo) as the
 * relying party that shows the ID token's claims.
 */
describe(`security keys and passkeys in Chromium (${backendName})`, { skip: chromiumSkipReason() }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const password2 = 'purple monkey dishwasher';
  let kim: { id: string };
  let lee: { id: string };

  /** Kim's tab: an authenticator like a YubiKey with a PIN (discoverable credentials, verifies the user). */
  let kimPage: Page;
  let kimKey: VirtualAuthenticator;
  /** Lee's tab: an authenticator that holds discoverable credentials but cannot verify the user. */
  let leePage: Page;
  let leeKey: VirtualAuthenticator;

  const VERIFYING: VirtualAuthenticatorOptions = {
    protocol: 'ctap2',
    transport: 'usb',
    hasResidentKey: true,
    hasUserVerification: true,
    isUserVerified: true,
  };
  const NOT_VERIFYING: VirtualAuthenticatorOptions = {
    protocol: 'ctap2',
    transport: 'usb',
    hasResidentKey: true,
    hasUserVerification: false,
    isUserVerified: false,
  };

  before(async () => {
    browser = await launchRequiredChromium();
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    // Users without methods go straight through; the wizard has tests of its own.
    await setPolicy(srv, 'registrationRequired', false);
    kim = await addUserViaCli(srv, 'kim', password, ['--email', 'kim@example.com']);
    lee = await addUserViaCli(srv, 'lee', password2);
    ({ page: kimPage, key: kimKey } = await tab(VERIFYING));
    ({ page: leePage, key: leeKey } = await tab(NOT_VERIFYING));
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await srv?.stop();
    await tdb?.drop();
  });

  /** A tab in its own cookie jar with its own virtual authenticator; uncaught page errors fail the test. */
  async function tab(opts: VirtualAuthenticatorOptions) {
    const context = await browser.newContext({ locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.setDefaultNavigationTimeout(15_000);
    page.on('pageerror', (err) => {
      pageErrors.push(`${page.url()}: ${err.message}`);
    });
    const key = await addVirtualAuthenticator(page, opts);
    return { page, key };
  }
  const pageErrors: string[] = [];

  const at = (path: string) => `${srv.issuer}${path}`;
  const onPath = (page: Page, path: string | RegExp) =>
    page.waitForURL((u) => u.origin === srv.issuer && (typeof path === 'string' ? u.pathname === path : path.test(u.pathname)));
  const SIGN_IN = /^\/interaction\/[A-Za-z0-9_-]+$/;
  const MFA = (kind: string) => new RegExp(`^/interaction/[A-Za-z0-9_-]+/mfa/${kind}$`);

  /** The password step, with the mouse. */
  async function enterPassword(page: Page, login: string, pw: string) {
    await onPath(page, SIGN_IN);
    await page.fill('#username', login);
    await page.fill('#password', pw);
    await page.click('form[action$="/login"] button[type="submit"]');
  }

  /** The second step with a security key: the button is enabled once the script has loaded. */
  async function useKey(page: Page) {
    await onPath(page, MFA('securityKey'));
    await page.click('form[data-webauthn="authenticate"] button[data-webauthn-start]');
  }

  /** The claims of the ID token the demo app received. */
  async function demoClaims(page: Page): Promise<Record<string, unknown>> {
    await onPath(page, '/demo');
    const text = await page.locator('pre.claims').textContent();
    assert.ok(text, 'the demo app shows the claims');
    return JSON.parse(text);
  }

  /** Signs out of the demo app and of the provider (confirmed on the provider's page). */
  async function signOutOfDemo(page: Page) {
    await page.click('form[action="/demo/logout"] button[type="submit"]');
    await confirmSignOut(page);
    await onPath(page, '/demo');
    await page.locator('a[href="/demo/login"]').waitFor();
  }

  async function confirmSignOut(page: Page) {
    await page.waitForURL((u) => u.origin === srv.issuer && u.pathname.includes('session/end'));
    await page.click('button[name="logout"][value="yes"]');
  }

  /** Signs out through the portal's own navigation, then checks that the provider's session is gone too. */
  async function signOutOfPortal(page: Page) {
    await page.click('nav.portal-nav form[action="/my/signout"] button[type="submit"]');
    await confirmSignOut(page);
    await onPath(page, '/');
    await page.goto(at('/my/security-info'));
    await onPath(page, SIGN_IN);
    assert.ok(await page.locator('#username').isVisible(), 'signing in again asks for the password');
  }

  async function methodRows(page: Page): Promise<string[]> {
    return (await page.locator('main table tbody tr td:first-child').allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
  }

  /** Registers a key in the portal from the given tab, signing in with the password first. */
  async function registerKey(page: Page, login: string, pw: string, name: string) {
    await page.goto(at('/my/security-info/add/securityKey'));
    await enterPassword(page, login, pw);
    await onPath(page, '/my/security-info/add/securityKey');
    assert.match((await page.locator('h1').textContent()) ?? '', /Security key or passkey/);
    await page.fill('#securityKey-name', name);
    await page.click('form[data-webauthn="register"] button[data-webauthn-start]');
    await page.waitForURL((u) => u.pathname === '/my/security-info' && u.searchParams.get('done') === 'added');
    assert.match((await page.locator('[role="status"]').textContent()) ?? '', /The method was added/);
  }

  async function credentialsOf(userId: string) {
    return tdb.db('credentials').where({ user_id: userId }).orderBy('created_at');
  }

  function noPageErrors() {
    assert.deepEqual(pageErrors.splice(0), [], 'no uncaught script errors on our pages');
  }

  it('registers a security key in the portal, lists it and signs out', async () => {
    await registerKey(kimPage, 'kim', password, 'Blue key');
    const rows = await methodRows(kimPage);
    assert.equal(rows.length, 1);
    assert.match(rows[0], /^Security key or passkey: Blue key \(default sign-in method\)$/);

    const held = await kimKey.credentials();
    assert.equal(held.length, 1, 'the authenticator holds one credential');
    assert.equal(held[0].isResidentCredential, true, 'a discoverable credential (passkey)');
    assert.equal(
      Buffer.from(held[0].userHandle ?? '', 'base64').toString('hex'),
      kim.id.replace(/-/g, ''),
      'the user handle is the uuid, nothing personal',
    );
    const [row] = await credentialsOf(kim.id);
    assert.equal(row.kind, 'securityKey');
    assert.equal(row.label, 'Blue key');
    assert.equal(row.is_default, true);
    const data = typeof row.data === 'string' ? JSON.parse(row.data) : row.data;
    assert.equal(data.userVerified, true);
    assert.equal(data.backupEligible, false, 'device-bound');
    assert.equal(data.discoverable, true);

    await signOutOfPortal(kimPage);
    noPageErrors();
  });

  it('signs in to an app with password + security key: amr hwk and mfa, the MFA acr', async () => {
    const before = (await kimKey.credentials())[0].signCount;
    await kimPage.goto(at('/demo/login'));
    await enterPassword(kimPage, 'kim', password);
    await onPath(kimPage, MFA('securityKey'));
    assert.match((await kimPage.locator('h1').textContent()) ?? '', /Verify your identity/);
    assert.equal(await kimPage.locator('#app-verify-code').count(), 0);
    await useKey(kimPage);
    const claims = await demoClaims(kimPage);
    assert.equal(claims.sub, kim.id);
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    assert.ok((await kimKey.credentials())[0].signCount > before, 'the key signed');
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
    assert.deepEqual(audit.map((a: any) => a.result), ['succeeded']);
    await signOutOfDemo(kimPage);
    noPageErrors();
  });

  it('refuses a passkey sign-in from an authenticator that cannot verify the user', async () => {
    // Registration asks for verification as "preferred", so this key is accepted as a second factor.
    await registerKey(leePage, 'lee', password2, 'Old key');
    const [row] = await credentialsOf(lee.id);
    const data = typeof row.data === 'string' ? JSON.parse(row.data) : row.data;
    assert.equal(data.userVerified, false, 'registered without user verification');
    assert.equal((await leeKey.credentials()).length, 1);
    await signOutOfPortal(leePage);

    await leePage.goto(at('/demo/login'));
    await onPath(leePage, SIGN_IN);
    const url = leePage.url();
    await leePage.click('form[data-webauthn="passkey"] button[data-webauthn-start]');
    const alert = leePage.locator('[role="alert"]:visible');
    await alert.first().waitFor();
    const message = ((await alert.first().textContent()) ?? '').trim();
    assert.ok(message.length > 10, `a message is shown: "${message}"`);
    console.log('message:', message, leePage.url());
    assert.equal(new URL(leePage.url()).pathname, new URL(url).pathname, 'still on the sign-in page');
    assert.ok(await leePage.locator('#username').isVisible(), 'the password form is still offered');

    await leePage.goto(at('/demo'));
    assert.equal(await leePage.locator('pre.claims').count(), 0, 'not signed in');
    const ok = await tdb.db('audit_events').where({ activity: 'signin.passkey', subject_id: lee.id, result: 'succeeded' });
    assert.equal(ok.length, 0);
    noPageErrors();
  });

  it('after the key is removed, sign-in offers the other method', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    // Adding the app needs a recent sign-in with the key, Kim's only second factor.
    await kimPage.goto(at('/my/security-info/add/app'));
    await enterPassword(kimPage, 'kim', password);
    await useKey(kimPage);
    await onPath(kimPage, '/my/security-info/add/app');
    const secret = ((await kimPage.locator('code[translate="no"]').textContent()) ?? '').replace(/\s+/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await kimPage.fill('#app-enroll-code', oathtoolCode(secret, clock.now()));
    await kimPage.fill('#app-enroll-name', 'Phone');
    await kimPage.click('main form[action="/my/security-info/add/app"] button[type="submit"]');
    await kimPage.waitForURL((u) => u.pathname === '/my/security-info' && u.searchParams.get('done') === 'added');
    assert.equal((await methodRows(kimPage)).length, 2);

    await kimPage.click('button[aria-label="Delete Blue key"]');
    await kimPage.waitForURL((u) => u.pathname === '/my/security-info' && u.searchParams.get('done') === 'removed');
    const rows = await methodRows(kimPage);
    assert.equal(rows.length, 1);
    assert.match(rows[0], /^Authenticator app: Phone \(default sign-in method\)$/);
    assert.deepEqual((await credentialsOf(kim.id)).map((c: any) => c.kind), ['app']);
    await signOutOfPortal(kimPage);

    // The authenticator still holds the passkey, but the provider no longer knows it.
    await kimPage.goto(at('/demo/login'));
    await onPath(kimPage, SIGN_IN);
    await kimPage.click('form[data-webauthn="passkey"] button[data-webauthn-start]');
    await kimPage.locator('#form-error').waitFor();
    assert.match((await kimPage.locator('#form-error').textContent()) ?? '', /could not sign you in with that passkey/);

    await enterPassword(kimPage, 'kim', password);
    await onPath(kimPage, MFA('app'));
    assert.ok(await kimPage.locator('#app-verify-code').isVisible(), "the app's code form");
    assert.equal(await kimPage.locator('form[data-webauthn]').count(), 0, 'no security key form');
    assert.equal(await kimPage.locator('a[href$="/mfa/securityKey"]').count(), 0, 'the key is not offered');
    clock.advance(30_000); // the enrolment used this step's code
    await kimPage.fill('#app-verify-code', oathtoolCode(secret, clock.now()));
    await kimPage.click('main form button[type="submit"]');
    const claims = await demoClaims(kimPage);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    await signOutOfDemo(kimPage);
    noPageErrors();
  });

  /** Presses Tab until the element is focused (it may already be, by autofocus). */
  async function tabTo(page: Page, selector: string, max = 40) {
    const el = page.locator(selector);
    await el.waitFor();
    for (let i = 0; i < max; i++) {
      if (await el.evaluate((e) => e === document.activeElement)) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`${selector} was not reached with Tab`);
  }

  it('works with the keyboard alone: password, then the security key', async () => {
    await leePage.goto(at('/demo/login'));
    await onPath(leePage, SIGN_IN);
    await tabTo(leePage, '#username');
    await leePage.keyboard.type('lee');
    await leePage.keyboard.press('Tab');
    assert.equal(await leePage.evaluate(() => document.activeElement?.id), 'password', 'Tab goes to the password');
    await leePage.keyboard.type(password2);
    await leePage.keyboard.press('Enter');
    await onPath(leePage, MFA('securityKey'));
    await leePage.locator('form[data-webauthn="authenticate"] button[data-webauthn-start]:enabled').waitFor();
    await tabTo(leePage, 'form[data-webauthn="authenticate"] button[data-webauthn-start]');
    await leePage.keyboard.press('Enter');
    // A key without user verification is still a second factor after the password.
    const claims = await demoClaims(leePage);
    assert.equal(claims.sub, lee.id);
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    noPageErrors();
  });
});

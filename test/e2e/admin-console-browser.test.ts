import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { ManualClock } from '../../src/clock.ts';
import { type MessageKey, type Params, translator } from '../../src/i18n/index.ts';
import { findUserByLogin } from '../../src/store/users.ts';
import { chromiumSkipReason, launchRequiredChromium } from '../helpers/chromium.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { registerAppInPortal } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool, toolAvailable } from '../helpers/tools.ts';

/*
 * The admin console in Debian's Chromium: an administrator signs in with a password and an
 * authenticator app code, makes a group, narrows password reset to it in the policy editor, and a
 * user outside the group is told at /reset that the account is not enabled; the administrator resets
 * a user's password and the user must choose a new one at the next sign-in; a locked account is
 * unlocked from the console and can sign in again. The same scenarios over HTTP are in
 * admin-console.test.ts; here every click and form goes through the real pages.
 */

const t = (key: MessageKey, params?: Params) => translator('en')(key, params);

describe(`admin console in Chromium (${backendName})`, { skip: chromiumSkipReason() }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const ids: Record<string, string> = {};
  let secret: string | undefined;
  /** The administrator's tab, signed in by the first test. */
  let admin: Page | undefined;

  before(async () => {
    browser = await launchRequiredChromium();
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'whenRegistered');
    for (const [login, extra] of [
      ['root', ['--admin', '--email', 'root@example.com']],
      ['nina', ['--email', 'nina@example.com', '--name', 'Nina Simone']],
      ['omar', []],
      ['lena', []],
    ] as const) {
      ids[login] = (await addUserViaCli(srv, login, password, [...extra])).id;
    }
    if (toolAvailable(OATHTOOL)) secret = await registerAppInPortal(srv.issuer, 'root', password, clock);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await srv?.stop();
    await tdb?.drop();
  });

  /** A tab with its own cookies; it records CSP violations and uncaught script errors. */
  async function tab() {
    const context = await browser.newContext({ locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.setDefaultNavigationTimeout(15_000);
    const problems: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) problems.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    return { page, problems };
  }

  const at = (path: string) => `${srv.issuer}${path}`;

  /**
   * Runs an action that loads a page and waits for the page it ends on (after redirects): its path
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

  const heading = async (page: Page) => ((await page.locator('h1').first().textContent()) ?? '').trim();
  const text = async (page: Page, selector: string) =>
    ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const button = (page: Page, key: MessageKey) => page.getByRole('button', { name: t(key), exact: true });
  const adminEvents = (activity: string) =>
    tdb.db('audit_events').where({ activity, actor_id: ids.root }).orderBy('id');

  /** The sign-in page's form, filled and sent. */
  async function signIn(page: Page, login: string, pw: string, path: string | RegExp, status = 200) {
    assert.equal(await heading(page), t('signin.title'));
    await page.getByLabel(t('signin.username'), { exact: true }).fill(login);
    await page.getByLabel(t('signin.password'), { exact: true }).fill(pw);
    return go(page, () => button(page, 'signin.submit').click(), path, status);
  }

  /** The demo app's claims, once the browser landed on /demo. */
  async function demoClaims(page: Page) {
    assert.equal(await heading(page), t('demo.title'));
    return JSON.parse((await page.locator('pre.claims').textContent()) ?? '{}');
  }

  const needOathtool = (tc: TestContext) => requireTool(tc, OATHTOOL, 'oathtool');
  const needAdmin = () => {
    assert.ok(admin, 'the administrator signed in (first test)');
    return admin;
  };

  it('signs the administrator in to /admin/ with the password and an authenticator app code', async (tc) => {
    if (!needOathtool(tc)) return;
    const started = Date.now();
    const { page, problems } = await tab();
    await go(page, () => page.goto(at('/admin/')), /^\/interaction\/[A-Za-z0-9_-]+$/);
    await signIn(page, 'root', password, /^\/interaction\//);
    assert.equal(await heading(page), t('signin.mfa.title'));
    clock.advance(30_000); // a time step no code was used in yet
    await page
      .getByLabel(t('app.verify.codeLabel'), { exact: true })
      .fill(oathtoolCode(secret!, clock.now()));
    await go(page, () => button(page, 'app.verify.submit').click(), '/admin/');
    assert.equal(await heading(page), t('admin.dashboard.title'));
    assert.match(await text(page, '.admin-nav .who'), /root \(Administrator\)/);
    assert.deepEqual(problems, [], 'no CSP violation or script error');
    admin = page;
    tc.diagnostic(`admin sign-in ${Date.now() - started} ms`);
  });

  it('narrows password reset to a selected group; a user outside it gets the "not enabled" page', async (tc) => {
    if (!needOathtool(tc)) return;
    const page = needAdmin();
    const started = Date.now();

    // A group with nina in it, made in the console.
    await go(
      page,
      () => page.getByRole('link', { name: t('admin.nav.groups'), exact: true }).click(),
      '/admin/groups',
    );
    await page.getByLabel(t('admin.groups.name'), { exact: true }).fill('staff');
    await go(page, () => button(page, 'admin.groups.create').click(), /^\/admin\/groups\/[^/]+$/);
    assert.match(await heading(page), /staff/);
    await page.getByLabel(t('admin.groups.memberLogin'), { exact: true }).fill('nina');
    await go(page, () => button(page, 'admin.groups.add').click(), /^\/admin\/groups\/[^/]+$/);
    assert.equal(await page.locator('main table a', { hasText: 'nina' }).count(), 1, 'nina is a member');

    // The policy editor: "Members of selected groups", with the group ticked.
    await go(
      page,
      () => page.getByRole('link', { name: t('admin.nav.policy'), exact: true }).click(),
      '/admin/policy',
    );
    assert.equal(await heading(page), t('admin.policy.title'));
    const scope = page.getByLabel(t('admin.policy.resetScope'), { exact: true });
    assert.equal(await scope.inputValue(), 'all');
    await scope.selectOption('selected');
    const staff = page.locator('#section-reset').getByRole('checkbox', { name: 'staff', exact: true });
    assert.equal(await staff.isChecked(), false);
    await staff.check();
    await go(page, () => button(page, 'admin.policy.save').click(), '/admin/policy');
    assert.equal(
      await text(page, '[role="status"]'),
      t('admin.policy.saved', { keys: `${t('admin.policy.resetScope')}, ${t('admin.policy.resetGroups')}` }),
    );
    assert.equal(
      await page.getByLabel(t('admin.policy.resetScope'), { exact: true }).inputValue(),
      'selected',
    );
    assert.equal(
      await page.locator('#section-reset').getByRole('checkbox', { name: 'staff', exact: true }).isChecked(),
      true,
    );
    const events = await adminEvents('admin.policy.update');
    assert.equal(events.length, 1, 'one audit event for the change, with the administrator as actor');
    const d = typeof events[0].details === 'string' ? JSON.parse(events[0].details) : events[0].details;
    assert.deepEqual(d.before, { resetScope: 'all', resetGroups: [] });
    assert.deepEqual(d.after, { resetScope: 'selected', resetGroups: ['staff'] });
    assert.equal(d.via, 'console');

    // omar, not in the group, in a browser of his own: the reset flow says so at once.
    const { page: user, problems } = await tab();
    await go(user, () => user.goto(at('/reset')), '/reset');
    assert.equal(await heading(user), t('reset.title'));
    await user.waitForFunction(
      () => (globalThis as any).$altcha?.algorithms?.has('PBKDF2/SHA-256'),
      undefined,
      {
        timeout: 10_000,
      },
    );
    await user.getByLabel(t('reset.identify.username'), { exact: true }).fill('omar');
    const powStarted = Date.now();
    // Focusing the form sets the widget off (auto="onfocus"); it fills the hidden altcha input when done.
    await user.locator('form[action="/reset"] button[type="submit"]').focus();
    await user.waitForFunction(
      () => {
        const f = document.querySelector('form[action="/reset"]') as HTMLFormElement | null;
        const v = f ? new FormData(f).get('altcha') : null;
        return typeof v === 'string' && v.length > 0;
      },
      undefined,
      { timeout: 30_000 },
    );
    const powMs = Date.now() - powStarted;
    await go(user, () => button(user, 'reset.identify.submit').click(), '/reset');
    assert.equal(await heading(user), t('reset.notEnabled.title'));
    assert.match(await heading(user), /not enabled for password reset/);
    assert.equal(await text(user, 'main > p'), t('reset.notEnabled.lead'));
    assert.deepEqual(problems, [], 'no CSP violation or script error');
    const attempt = await tdb.db('audit_events').where({ activity: 'reset.attempt', subject_id: ids.omar });
    assert.equal(attempt.length, 1);
    assert.equal(attempt[0].reason, 'notEnabled');

    // The console shows the same on omar's page.
    await go(page, () => page.goto(at(`/admin/users/${ids.omar}`)), `/admin/users/${ids.omar}`);
    assert.equal(await text(page, '#user-reset'), t('admin.user.reset.outOfScope'));
    tc.diagnostic(`policy + not enabled ${Date.now() - started} ms (proof of work ${powMs} ms)`);
  });

  it('resets a password in the console; the user must choose a new one at the next sign-in', async (tc) => {
    if (!needOathtool(tc)) return;
    const page = needAdmin();
    const started = Date.now();

    // Find omar with the search, open his page, reset the password.
    await go(
      page,
      () => page.getByRole('link', { name: t('admin.nav.users'), exact: true }).click(),
      '/admin/users',
    );
    await page.getByLabel(t('admin.users.searchLabel'), { exact: true }).fill('omar');
    await go(page, () => button(page, 'admin.users.search').click(), '/admin/users');
    await go(
      page,
      () => page.getByRole('link', { name: 'omar', exact: true }).click(),
      `/admin/users/${ids.omar}`,
    );
    assert.equal(await heading(page), t('admin.user.title', { login: 'omar' }));
    // A destructive action asks first, on a page of its own.
    await go(
      page,
      () => page.getByRole('link', { name: t('admin.user.resetPassword'), exact: true }).click(),
      `/admin/users/${ids.omar}/confirm/reset-password`,
    );
    assert.equal(await text(page, '#confirm-lead'), t('confirm.admin.resetPassword', { login: 'omar' }));
    assert.equal((await adminEvents('admin.user.reset_password')).length, 0, 'asking changes nothing');
    await go(
      page,
      () => button(page, 'admin.user.resetPassword').click(),
      `/admin/users/${ids.omar}/reset-password`,
    );
    const temp = await text(page, '#temporary-password');
    assert.match(temp, /^[a-z2-9-]{19}$/);
    assert.equal(await text(page, '[role="status"]'), t('admin.user.done.reset'));
    assert.equal((await adminEvents('admin.user.reset_password')).length, 1);
    await go(
      page,
      () => page.getByRole('link', { name: t('admin.back'), exact: true }).click(),
      `/admin/users/${ids.omar}`,
    );
    assert.equal(await text(page, '#must-change'), t('admin.user.mustChange'));

    // omar signs in to the demo app with it and is asked for a password of his own first.
    const { page: user, problems } = await tab();
    await go(user, () => user.goto(at('/demo/login')), /^\/interaction\/[A-Za-z0-9_-]+$/);
    await signIn(user, 'omar', temp, /^\/interaction\//);
    assert.equal(await heading(user), t('signin.changePassword.title'));
    assert.match(await user.title(), /^Choose a new password/);
    assert.match(await text(user, 'main > p'), /temporary password/);
    const next = 'a brand new passphrase 7';
    await user.getByLabel(t('portal.password.new'), { exact: true }).fill(next);
    await user.getByLabel(t('portal.password.confirm'), { exact: true }).fill(next);
    await go(user, () => button(user, 'portal.password.submit').click(), '/demo');
    const claims = await demoClaims(user);
    assert.equal(claims.preferred_username, 'omar');
    assert.equal(claims.sub, ids.omar);
    assert.equal(await text(user, 'main > p:nth-of-type(2)'), t('demo.signedInAs', { name: 'omar' }));
    assert.equal((await findUserByLogin(tdb.db, 'omar'))!.mustChangePassword, false);
    assert.deepEqual(problems, [], 'no CSP violation or script error');

    // The console no longer says a change is due.
    await go(page, () => page.reload(), `/admin/users/${ids.omar}`);
    assert.equal(await page.locator('#must-change').count(), 0);
    tc.diagnostic(`admin reset + forced change ${Date.now() - started} ms`);
  });

  it('unlocks a locked account from the console; the user can sign in again', async (tc) => {
    if (!needOathtool(tc)) return;
    const page = needAdmin();
    const started = Date.now();
    await tdb
      .db('counters')
      .insert({
        key: 'signin:lena',
        hits: 0,
        lock_count: 1,
        locked_until: new Date(clock.now().getTime() + 3600_000),
        updated_at: clock.now(),
      })
      .onConflict('key')
      .merge();

    // Locked: even the right password gets the lockout page.
    const { page: user, problems } = await tab();
    await go(user, () => user.goto(at('/demo/login')), /^\/interaction\/[A-Za-z0-9_-]+$/);
    await signIn(user, 'lena', password, /^\/interaction\//, 429);
    assert.equal(await heading(user), t('signin.locked.title'));

    await go(page, () => page.goto(at(`/admin/users/${ids.lena}`)), `/admin/users/${ids.lena}`);
    assert.match(await text(page, '#user-lock'), /^Locked until/);
    await go(page, () => button(page, 'admin.user.unlock').click(), `/admin/users/${ids.lena}`);
    assert.equal(await text(page, '[role="status"]'), t('admin.user.done.unlocked'));
    assert.match(await text(page, '#user-lock'), /^Not locked/);
    const events = await adminEvents('admin.user.unlock');
    assert.equal(events.length, 1, 'one audit event for the unlock, with the administrator as actor');
    assert.equal(events[0].subject_id, ids.lena);

    await go(user, () => user.goto(at('/demo/login')), /^\/interaction\/[A-Za-z0-9_-]+$/);
    await signIn(user, 'lena', password, '/demo');
    const claims = await demoClaims(user);
    assert.equal(claims.preferred_username, 'lena');
    assert.deepEqual(problems, [], 'no CSP violation or script error');
    tc.diagnostic(`unlock ${Date.now() - started} ms`);
  });
});

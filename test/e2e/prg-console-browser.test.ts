import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, BrowserContext, Page, Request, Response } from 'playwright-core';
import { ManualClock } from '../../src/clock.ts';
import { type MessageKey, translator } from '../../src/i18n/index.ts';
import { chromiumSkipReason, launchRequiredChromium } from '../helpers/chromium.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { registerAppInPortal } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool, toolAvailable } from '../helpers/tools.ts';

/*
 * Back and reload after a refused console form, in Chromium. An administrator submits an invalid
 * client form and an invalid user form, and an invited user a password the policy refuses: each
 * post answers 303 to its page, whose GET shows the messages once (with the post's status). Reloading, going Back and Forward repeat GETs only: no
 * dialog asks to resubmit, the form was posted exactly once, nothing was written and no audit event
 * was recorded. Every wait is on a page state (a response, a load event), never on a timer.
 */

const t = translator('en');

describe(`post/redirect/get in the admin console in Chromium (${backendName})`, {
  skip: chromiumSkipReason(),
}, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  let rootId = '';
  let secret: string | undefined;
  /** The administrator's tab (signed in by the first test), with what it posted and any dialog. */
  let admin: { page: Page; posts: string[]; dialogs: string[] } | undefined;

  before(async () => {
    browser = await launchRequiredChromium();
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    rootId = (await addUserViaCli(srv, 'root', password, ['--admin', '--email', 'root@example.com'])).id;
    if (toolAvailable(OATHTOOL)) secret = await registerAppInPortal(srv.issuer, 'root', password, clock);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await srv?.stop();
    await tdb?.drop();
  });

  const at = (path: string) => `${srv.issuer}${path}`;
  const button = (page: Page, key: MessageKey) => page.getByRole('button', { name: t(key), exact: true });
  /** The audit events the administrator caused (refused forms record none). */
  const rootEvents = async () =>
    (await tdb.db('audit_events').where({ actor_id: rootId }).orderBy('id').pluck('activity')) as string[];

  /**
   * Runs an action that loads a page and waits for the document it ends on (after any redirect) and
   * its load event; the document must be at `path`.
   */
  async function land(page: Page, action: () => Promise<unknown>, path: string | RegExp): Promise<Response> {
    const landed = page.waitForResponse(
      (r) =>
        r.request().isNavigationRequest() &&
        r.frame() === page.mainFrame() &&
        (r.status() < 300 || r.status() >= 400),
    );
    const loaded = page.waitForEvent('load');
    await action();
    const [r] = await Promise.all([landed, loaded]);
    const p = new URL(r.url()).pathname;
    assert.ok(typeof path === 'string' ? p === path : path.test(p), `landed on ${p}, not ${path}`);
    return r;
  }

  /** Reload, Back and Forward: the statuses and the field messages shown after each. */
  async function reloadBackForward(page: Page, messages: string) {
    const out: Array<{ step: string; status: number | undefined; shown: number }> = [];
    const reloaded = await page.reload({ waitUntil: 'load' });
    out.push({ step: 'reload', status: reloaded?.status(), shown: await page.locator(messages).count() });
    const back = await page.goBack({ waitUntil: 'load' });
    out.push({ step: 'back', status: back?.status(), shown: await page.locator(messages).count() });
    const forward = await page.goForward({ waitUntil: 'load' });
    out.push({ step: 'forward', status: forward?.status(), shown: await page.locator(messages).count() });
    return out;
  }

  const needAdmin = () => {
    assert.ok(admin, 'the administrator signed in (first test)');
    return admin;
  };

  it('signs the administrator in (password, then an authenticator app code)', async (tc: TestContext) => {
    if (!requireTool(tc, OATHTOOL, 'oathtool')) return;
    const context = await browser.newContext({ locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.setDefaultNavigationTimeout(30_000);
    const posts: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r: Request) => {
      if (r.method() === 'POST' && r.isNavigationRequest()) posts.push(new URL(r.url()).pathname);
    });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await land(page, () => page.goto(at('/admin/')), /^\/interaction\/[A-Za-z0-9_-]+$/);
    await page.getByLabel(t('signin.username'), { exact: true }).fill('root');
    await page.getByLabel(t('signin.password'), { exact: true }).fill(password);
    await land(page, () => button(page, 'signin.submit').click(), /^\/interaction\//);
    clock.advance(30_000); // a time step no code was used in yet
    await page
      .getByLabel(t('app.verify.codeLabel'), { exact: true })
      .fill(oathtoolCode(secret!, clock.now()));
    await land(page, () => button(page, 'app.verify.submit').click(), '/admin/');
    posts.length = 0;
    admin = { page, posts, dialogs };
  });

  it('an invalid client form: 303, the messages once, no resubmission on reload, Back or Forward', async (tc: TestContext) => {
    if (!requireTool(tc, OATHTOOL, 'oathtool')) return;
    const { page, posts, dialogs } = needAdmin();
    posts.length = 0;
    const before = await rootEvents();
    await land(page, () => page.goto(at('/admin/clients')), '/admin/clients');
    await page.getByLabel(t('admin.client.clientId'), { exact: true }).fill('shop');
    await page.locator('#name').fill('Typed Shop');
    await page.locator('#redirectUris').fill('not a url');
    const r = await land(page, () => button(page, 'admin.client.create').click(), '/admin/clients');
    assert.equal(r.request().method(), 'GET', 'the post answered 303: the page is a GET');
    assert.equal(r.status(), 400, 'the page after the post keeps the refusal status');
    const messages = 'p.field-error[data-field="redirectUris"]';
    assert.equal(await page.locator(messages).count(), 1, 'the message, once');
    assert.equal(await page.locator('#name').inputValue(), 'Typed Shop', 'what was typed is kept');

    assert.deepEqual(await reloadBackForward(page, messages), [
      { step: 'reload', status: 200, shown: 0 },
      { step: 'back', status: 200, shown: 0 },
      { step: 'forward', status: 200, shown: 0 },
    ]);
    assert.deepEqual(posts, ['/admin/clients'], 'the form was posted exactly once');
    assert.deepEqual(dialogs, [], 'no "confirm form resubmission"');
    assert.equal(await tdb.db('clients').where({ client_id: 'shop' }).first(), undefined, 'nothing written');
    assert.deepEqual(await rootEvents(), before, 'no audit event');
  });

  it('an invalid user form: 303, the messages once, no resubmission on reload, Back or Forward', async (tc: TestContext) => {
    if (!requireTool(tc, OATHTOOL, 'oathtool')) return;
    const { page, posts, dialogs } = needAdmin();
    posts.length = 0;
    const before = await rootEvents();
    const users = await tdb.db('users').count({ c: '*' }).first();
    await land(page, () => page.goto(at('/admin/users/new')), '/admin/users/new');
    await page.locator('#login').fill('root');
    const r = await land(page, () => button(page, 'admin.user.create.submit').click(), '/admin/users/new');
    assert.equal(r.request().method(), 'GET');
    assert.equal(r.status(), 409, 'a login that is taken: the conflict status, on the GET');
    const messages = 'p.field-error[data-field="login"]';
    assert.equal(await page.locator(messages).count(), 1, 'the message, once');
    assert.equal(await page.locator('#login').inputValue(), 'root', 'what was typed is kept');

    assert.deepEqual(await reloadBackForward(page, messages), [
      { step: 'reload', status: 200, shown: 0 },
      { step: 'back', status: 200, shown: 0 },
      { step: 'forward', status: 200, shown: 0 },
    ]);
    assert.deepEqual(posts, ['/admin/users/new'], 'the form was posted exactly once');
    assert.deepEqual(dialogs, [], 'no "confirm form resubmission"');
    assert.deepEqual(await tdb.db('users').count({ c: '*' }).first(), users, 'nothing written');
    assert.deepEqual(await rootEvents(), before, 'no audit event');
  });

  it('a refused password on the invitation page: 303 to the link, the reasons once, no resubmission', async (tc: TestContext) => {
    if (!requireTool(tc, OATHTOOL, 'oathtool')) return;
    const { page: adminTab } = needAdmin();
    // The administrator creates a user without a password and sends the invitation.
    await land(adminTab, () => adminTab.goto(at('/admin/users/new')), '/admin/users/new');
    await adminTab.locator('#login').fill('ines');
    await adminTab.locator('#email').fill('ines@example.com');
    await adminTab.getByLabel(t('admin.user.initialPassword.none'), { exact: true }).check();
    await land(adminTab, () => button(adminTab, 'admin.user.create.submit').click(), '/admin/users/new');
    const ines = await tdb.db('users').where({ login: 'ines' }).first();
    assert.ok(ines, 'created');
    await land(adminTab, () => adminTab.goto(at(`/admin/users/${ines.id}`)), `/admin/users/${ines.id}`);
    await land(adminTab, () => button(adminTab, 'admin.invite.send').click(), `/admin/users/${ines.id}`);
    await deliverQueuedNotices(srv);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: 'ines@example.com', purpose: 'invitation' })
      .first();
    const link = /(http:\/\/\S+\/invite\?token=[A-Za-z0-9_-]+)/.exec(mail?.body_text ?? '')?.[1];
    assert.ok(link, 'the invitation email has the link');

    const context = await browser.newContext({ locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.setDefaultNavigationTimeout(30_000);
    const posts: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r: Request) => {
      if (r.method() === 'POST' && r.isNavigationRequest()) posts.push(new URL(r.url()).pathname);
    });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const events = async () => (await tdb.db('audit_events').where({ subject_id: ines.id })).length;
    const before = await events();
    await land(page, () => page.goto(link), '/invite');
    await page.getByLabel(t('portal.password.new'), { exact: true }).fill('short');
    await page.getByLabel(t('portal.password.confirm'), { exact: true }).fill('short');
    const r = await land(page, () => button(page, 'invite.submit').click(), '/invite');
    assert.equal(r.request().method(), 'GET', `${r.status()} ${await page.locator('main').textContent()}`);
    assert.equal(r.url(), link, 'back on the address the email gave');
    assert.equal(r.status(), 400);
    const messages = '#form-error';
    assert.equal(await page.locator(messages).count(), 1, 'the reasons, once');

    assert.deepEqual(await reloadBackForward(page, messages), [
      { step: 'reload', status: 200, shown: 0 },
      { step: 'back', status: 200, shown: 0 },
      { step: 'forward', status: 200, shown: 0 },
    ]);
    assert.deepEqual(posts, ['/invite'], 'the form was posted exactly once');
    assert.deepEqual(dialogs, [], 'no "confirm form resubmission"');
    assert.equal((await tdb.db('users').where({ id: ines.id }).first()).password_hash, null, 'nothing set');
    assert.equal(await events(), before, 'no event recorded by the refusal or the reloads');
    // The link still works for a good password.
    await page.getByLabel(t('portal.password.new'), { exact: true }).fill('lantern meadow copper 41');
    await page.getByLabel(t('portal.password.confirm'), { exact: true }).fill('lantern meadow copper 41');
    const done = await land(page, () => button(page, 'invite.submit').click(), '/invite');
    assert.equal(done.status(), 200);
    assert.notEqual((await tdb.db('users').where({ id: ines.id }).first()).password_hash, null);
  });
});

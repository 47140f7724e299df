import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { DeliveryError } from '../../src/delivery/types.ts';
import { findUserByLogin, updateUser } from '../../src/store/users.ts';
import { Browser, decodeEntities, formAction, hiddenInputs, type Resp } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { identifyForReset, registerAppInPortal } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, toolAvailable } from '../helpers/tools.ts';

/** What a browser would submit for one form of a page: inputs, checked boxes, selects, textareas. */
function formFields(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  assert.ok(start >= 0, `no form posting to ${action}`);
  const body = html.slice(start, html.indexOf('</form>', start));
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/<input\b[^>]*>/g)) {
    const tag = m[0];
    const name = /\sname="([^"]*)"/.exec(tag)?.[1];
    if (!name) continue;
    const type = /\stype="([^"]*)"/.exec(tag)?.[1] ?? 'text';
    const value = decodeEntities(/\svalue="([^"]*)"/.exec(tag)?.[1] ?? (type === 'checkbox' ? 'on' : ''));
    if ((type === 'checkbox' || type === 'radio') && !/\schecked\b/.test(tag)) continue;
    out[decodeEntities(name)] = value;
  }
  for (const m of body.matchAll(/<select\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const selected = /<option value="([^"]*)" selected>/.exec(m[2]) ?? /<option value="([^"]*)"/.exec(m[2]);
    out[m[1]] = decodeEntities(selected?.[1] ?? '');
  }
  for (const m of body.matchAll(/<textarea\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g))
    out[m[1]] = decodeEntities(m[2]);
  return out;
}

const fieldError = (html: string, field: string) =>
  new RegExp(`<p class="field-error"[^>]*data-field="${field.replace('.', '\\.')}"[^>]*>([^<]*)</p>`).exec(
    html,
  )?.[1];

describe(`admin console (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const secrets: Record<string, string> = {};
  let root: Browser;
  let ids: Record<string, string>;

  /** Opens a page, walking through the provider's sign-in pages (password, then the app's code). */
  async function open(br: Browser, path: string, login: string): Promise<Resp> {
    let r = await br.follow(await br.get(path, srv.issuer));
    for (let i = 0; i < 6 && /\/interaction\//.test(r.url); i++) {
      const fields: Record<string, string> = { ...hiddenInputs(r.text) };
      let action = formAction(r.text);
      if (/name="username"/.test(r.text)) Object.assign(fields, { username: login, password });
      else if (/name="code"/.test(r.text) && secrets[login]) {
        clock.advance(30_000);
        fields.code = oathtoolCode(secrets[login], clock.now());
      } else if (/register-skip/.test(r.text)) action = /action="([^"]*register-skip)"/.exec(r.text)![1];
      r = await br.follow(await br.post(action, fields, r.url));
    }
    return r;
  }

  async function post(br: Browser, page: Resp, action: string, fields: Record<string, string> = {}) {
    return br.post(action, { _csrf: hiddenInputs(page.text)._csrf, ...fields }, srv.issuer);
  }

  async function adminEvents(activity: string, actor: string) {
    return tdb.db('audit_events').where({ activity, actor_id: actor }).orderBy('id');
  }

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    ids = {};
    for (const [login, extra] of [
      ['root', ['--admin', '--email', 'root@example.com']],
      ['pat', ['--admin']],
      ['desk', []],
      ['nina', ['--email', 'nina@example.com', '--name', 'Nina Simone']],
      ['omar', []],
    ] as const) {
      ids[login] = (await addUserViaCli(srv, login, password, [...extra])).id;
    }
    await updateUser(tdb.db, ids.desk, { roles: ['helpdesk'] }, clock.now());
    if (toolAvailable(OATHTOOL)) {
      for (const login of ['root', 'desk', 'nina'])
        secrets[login] = await registerAppInPortal(srv.issuer, login, password, clock);
    }
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  const needOathtool = (t: { skip(m: string): void }) => {
    if (toolAvailable(OATHTOOL)) return true;
    if (process.env.TOBIRA_REQUIRE_TOOLS === '1') throw new Error(`${OATHTOOL} is missing`);
    t.skip('oathtool not installed');
    return false;
  };

  it('refuses users who are not administrators', async () => {
    const r = await open(new Browser(), '/admin/', 'omar');
    assert.equal(r.status, 403);
    assert.match(r.text, /Administrators only/);
  });

  it('asks for a second factor: an administrator without one cannot get in', async () => {
    const br = new Browser();
    const first = await br.get('/admin/users', srv.issuer);
    assert.equal(first.status, 302);
    const auth = new URL(first.location!);
    assert.equal(auth.pathname, '/auth');
    assert.equal(auth.searchParams.get('client_id'), 'tobira-admin');
    const r = await open(br, '/admin/users', 'pat');
    assert.equal(r.status, 403);
    assert.match(r.text, /A second factor is required/);
    assert.match(r.text, /href="\/my\/security-info"/);
  });

  it('signs an administrator in with the app code and shows the dashboard, in English and Japanese', async (t) => {
    if (!needOathtool(t)) return;
    // A single-factor sign-in (the policy asks for no second factor) is stepped up with acr_values.
    await setPolicy(srv, 'mfa', 'off');
    root = new Browser();
    let r = await root.follow(await root.get('/admin/', srv.issuer));
    r = await root.follow(
      await root.post(formAction(r.text), { ...hiddenInputs(r.text), username: 'root', password }, r.url),
      `${srv.issuer}/auth?`,
    );
    assert.equal(r.status, 302);
    const stepUp = new URL(r.location!);
    assert.equal(stepUp.pathname, '/auth');
    assert.equal(stepUp.searchParams.get('acr_values'), 'urn:tobira:acr:mfa');
    assert.equal(stepUp.searchParams.get('prompt'), 'login');
    await setPolicy(srv, 'mfa', 'whenRegistered');
    r = await open(root, r.location!, 'root');
    assert.equal(r.status, 200, r.text.slice(0, 400));
    assert.equal(new URL(r.url).pathname, '/admin/');
    assert.match(r.text, /<h1>Dashboard<\/h1>/);
    for (const href of [
      '/admin/users',
      '/admin/groups',
      '/admin/clients',
      '/admin/policy',
      '/admin/audit',
      '/admin/reports',
    ]) {
      assert.match(r.text, new RegExp(`href="${href}"`), href);
    }
    assert.match(r.text, /Signed in as root \(Administrator\)/);
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    root.acceptLanguage = 'ja';
    const ja = await root.get('/admin/', srv.issuer);
    assert.match(ja.text, /ダッシュボード/);
    root.acceptLanguage = 'en';
  });

  it('lists the notices that could not be delivered, with the queue depth', async (t) => {
    if (!needOathtool(t)) return;
    await deliverQueuedNotices(srv);
    const nina = (await findUserByLogin(srv.db, 'nina'))!;
    assert.equal(await srv.app.deps.notices.passwordChanged(nina, { ip: '', userAgent: '' }), true);
    // The mail server refuses the recipient outright: not retried, failed at once.
    const refusing = {
      ...srv.app.deps,
      delivery: {
        isLive: () => true,
        send: async () => {
          throw new DeliveryError('delivery.rejected', 'the SMTP server refused the message (EENVELOPE 550)');
        },
      },
    };
    assert.deepEqual(await deliverQueuedNotices(refusing), { sent: 0, retried: 0, failed: 1 });
    const page = await root.get('/admin/notices', srv.issuer);
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Undelivered notices<\/h1>/);
    assert.match(page.text, /0 waiting to be sent, 1 undelivered/);
    assert.match(page.text, /<code>notice\.password_changed<\/code>/);
    assert.match(page.text, new RegExp(`<a href="/admin/users/${nina.id}">nina</a>`));
    assert.match(page.text, /delivery\.rejected: the SMTP server refused the message \(EENVELOPE 550\)/);
    assert.ok(!page.text.includes('nina@example.com'), 'the address is not shown');
  });

  it('refuses a form without the CSRF token or from another origin', async (t) => {
    if (!needOathtool(t)) return;
    const page = await root.get('/admin/groups', srv.issuer);
    let r = await root.post('/admin/groups', { name: 'no-token' }, srv.issuer);
    assert.equal(r.status, 403);
    r = await root.request('POST', '/admin/groups', {
      base: srv.issuer,
      body: new URLSearchParams({ _csrf: hiddenInputs(page.text)._csrf, name: 'cross-site' }),
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(r.status, 403);
    assert.equal((await tdb.db('groups').whereIn('name', ['no-token', 'cross-site'])).length, 0);
  });

  it('edits the policy with field-level messages; a change is audited and a user outside the scope is not enabled', async (t) => {
    if (!needOathtool(t)) return;
    // A group for the scope, from the console.
    let page = await root.get('/admin/groups', srv.issuer);
    let r = await post(root, page, '/admin/groups', { name: 'staff' });
    assert.equal(r.status, 302);
    const groupPath = new URL(r.location!).pathname;
    page = await root.get(groupPath, srv.issuer);
    r = await post(root, page, `${groupPath}/members`, { login: 'nina' });
    assert.equal(r.status, 302);

    page = await root.get('/admin/policy', srv.issuer);
    assert.equal(page.status, 200);
    assert.match(page.text, /name="resetGroups\.staff"/);
    const fields = formFields(page.text, '/admin/policy');
    assert.equal(fields.resetScope, 'all');
    assert.equal(fields.reconfirmDays, '180');

    // Invalid values: the page comes back with a message beside each field, nothing is saved.
    r = await root.post(
      '/admin/policy',
      { ...fields, reconfirmDays: '1000', accentColor: 'blue', resetScope: 'selected' },
      srv.issuer,
    );
    assert.equal(r.status, 400);
    assert.match(fieldError(r.text, 'reconfirmDays') ?? '', /730 or less/);
    assert.ok(fieldError(r.text, 'accentColor'));
    assert.match(fieldError(r.text, 'resetGroups') ?? '', /at least one group/);
    assert.match(r.text, /value="1000"/, 'what was typed is kept');
    assert.equal((await adminEvents('admin.policy.update', ids.root)).length, 0);

    // Post/redirect/get: the failed post itself answers 303 to the editor's GET, which shows the
    // messages and what was typed once (with the post's 400); a reload shows the saved policy again.
    const raw = await root.postRaw(
      '/admin/policy',
      { ...fields, reconfirmDays: '999', resetScope: 'selected' },
      srv.issuer,
    );
    assert.equal(raw.status, 303);
    assert.equal(new URL(raw.location!).pathname, '/admin/policy');
    const shown = await root.get(raw.location!);
    assert.equal(shown.status, 400);
    assert.match(fieldError(shown.text, 'reconfirmDays') ?? '', /730 or less/);
    assert.match(shown.text, /value="999"/, 'what was typed is kept');
    const again = await root.get('/admin/policy', srv.issuer);
    assert.equal(again.status, 200);
    assert.equal(fieldError(again.text, 'reconfirmDays'), undefined, 'the message is shown once');
    assert.doesNotMatch(again.text, /value="999"/);
    assert.equal(formFields(again.text, '/admin/policy').reconfirmDays, '180');
    assert.equal((await adminEvents('admin.policy.update', ids.root)).length, 0, 'nothing written');
    assert.equal((await srv.app.deps.policy()).reconfirmDays, 180);

    r = await root.post(
      '/admin/policy',
      { ...fields, resetScope: 'selected', 'resetGroups.staff': 'on' },
      srv.issuer,
    );
    assert.equal(r.status, 302);
    const saved = await root.follow(r);
    // The changed settings are named in words, in the editor's order, not as raw keys.
    assert.match(
      saved.text,
      /The policy was saved\. Changed: Who can reset their password, Selected groups\./,
    );
    const events = await adminEvents('admin.policy.update', ids.root);
    assert.equal(events.length, 1);
    const d = typeof events[0].details === 'string' ? JSON.parse(events[0].details) : events[0].details;
    assert.deepEqual(d.before, { resetScope: 'all', resetGroups: [] });
    assert.deepEqual(d.after, { resetScope: 'selected', resetGroups: ['staff'] });
    assert.equal(d.via, 'console');
    assert.equal((await srv.app.deps.policy()).resetScope, 'selected');

    // omar is outside the selected group: the reset flow says so at once.
    const { r: reset } = await identifyForReset(srv.issuer, 'omar');
    assert.match(reset.text, /not enabled for password reset/);

    // Saving the same values again changes nothing (and says so).
    page = await root.get('/admin/policy', srv.issuer);
    r = await root.follow(
      await root.post('/admin/policy', formFields(page.text, '/admin/policy'), srv.issuer),
    );
    assert.match(r.text, /Nothing was changed/);
    page = await root.get('/admin/policy', srv.issuer);
    r = await root.post(
      '/admin/policy',
      { ...formFields(page.text, '/admin/policy'), resetScope: 'all' },
      srv.issuer,
    );
    assert.equal(r.status, 302);
  });

  it('searches users, shows method kinds, creates a user with field-level messages', async (t) => {
    if (!needOathtool(t)) return;
    let r = await root.get('/admin/users?q=simone', srv.issuer);
    assert.match(r.text, new RegExp(`href="/admin/users/${ids.nina}"`));
    assert.doesNotMatch(r.text, /href="\/admin\/users\/[0-9a-f-]{36}">omar/);
    r = await root.get(`/admin/users/${ids.nina}`, srv.issuer);
    assert.match(r.text, /<table class="compact" id="methods">[\s\S]*Authenticator app/);
    assert.doesNotMatch(r.text, new RegExp(secrets.nina));

    const page = await root.get('/admin/users/new', srv.issuer);
    r = await post(root, page, '/admin/users/new', {
      login: 'bad login',
      email: 'nope',
      passwordManaged: 'local',
    });
    assert.equal(r.status, 400);
    assert.ok(fieldError(r.text, 'login'));
    assert.ok(fieldError(r.text, 'email'));
    r = await post(root, page, '/admin/users/new', { login: 'nina', passwordManaged: 'local' });
    assert.equal(r.status, 409);
    assert.match(fieldError(r.text, 'login') ?? '', /already taken/);
    // Post/redirect/get: the failed post answers 303 to the form's GET, which shows the message and
    // the login typed once, with the post's 409; the next GET is an empty form, and nothing is written.
    const raw = await root.postRaw(
      '/admin/users/new',
      {
        _csrf: hiddenInputs(page.text)._csrf,
        login: 'nina',
        displayName: 'Typed Name',
        passwordManaged: 'local',
      },
      srv.issuer,
    );
    assert.equal(raw.status, 303);
    assert.equal(new URL(raw.location!).pathname, '/admin/users/new');
    const shown = await root.get(raw.location!);
    assert.equal(shown.status, 409);
    assert.match(fieldError(shown.text, 'login') ?? '', /already taken/);
    assert.match(shown.text, /value="Typed Name"/);
    const again = await root.get('/admin/users/new', srv.issuer);
    assert.equal(again.status, 200);
    assert.equal(fieldError(again.text, 'login'), undefined, 'the message is shown once');
    assert.doesNotMatch(again.text, /Typed Name/);
    assert.equal((await adminEvents('admin.user.create', ids.root)).length, 0, 'nothing written');
    r = await post(root, page, '/admin/users/new', {
      login: 'zoe',
      displayName: 'Zoe',
      'role.helpdesk': 'on',
      passwordManaged: 'local',
    });
    assert.equal(r.status, 200);
    assert.match(r.text, /The user zoe was created/);
    assert.match(r.text, /<code class="secret" id="temporary-password" translate="no">[a-z2-9-]{19}<\/code>/);
    const zoe = (await findUserByLogin(tdb.db, 'zoe'))!;
    assert.deepEqual(zoe.roles, ['helpdesk']);
    assert.equal(zoe.mustChangePassword, true);
    assert.equal((await adminEvents('admin.user.create', ids.root)).length, 1);
  });

  it('resets a password as an administrator: a temporary password that must be changed', async (t) => {
    if (!needOathtool(t)) return;
    const page = await root.get(`/admin/users/${ids.omar}`, srv.issuer);
    const r = await post(root, page, `/admin/users/${ids.omar}/reset-password`);
    assert.equal(r.status, 200);
    const temp = /id="temporary-password" translate="no">([^<]+)</.exec(r.text)![1];
    assert.equal((await findUserByLogin(tdb.db, 'omar'))!.mustChangePassword, true);
    assert.equal((await adminEvents('admin.user.reset_password', ids.root)).length, 1);
    const detail = await root.get(`/admin/users/${ids.omar}`, srv.issuer);
    assert.match(detail.text, /id="must-change"/);

    // The temporary password signs in, and the sign-in asks for a new password before anything else.
    const br = new Browser();
    let p = await br.follow(await br.get('/my/password', srv.issuer));
    p = await br.follow(
      await br.post(formAction(p.text), { ...hiddenInputs(p.text), username: 'omar', password: temp }, p.url),
    );
    assert.match(p.text, /temporary password/);
    const next = 'a brand new passphrase 7';
    p = await br.follow(
      await br.post(formAction(p.text), { ...hiddenInputs(p.text), password: next, confirm: next }, p.url),
    );
    assert.equal(new URL(p.url).pathname, '/my/password');
    assert.equal((await findUserByLogin(tdb.db, 'omar'))!.mustChangePassword, false);
  });

  it('unlocks a locked account, disables and enables it', async (t) => {
    if (!needOathtool(t)) return;
    await tdb
      .db('counters')
      .insert({
        key: 'signin:omar',
        hits: 0,
        lock_count: 1,
        locked_until: new Date(clock.now().getTime() + 3600_000),
        updated_at: clock.now(),
      })
      .onConflict('key')
      .merge();
    let page = await root.get(`/admin/users/${ids.omar}`, srv.issuer);
    assert.match(page.text, /id="user-lock">Locked until/);
    let r = await post(root, page, `/admin/users/${ids.omar}/unlock`);
    assert.equal(r.status, 302);
    page = await root.follow(r);
    assert.match(page.text, /The account can sign in again/);
    assert.match(page.text, /id="user-lock">Not locked/);
    assert.equal((await adminEvents('admin.user.unlock', ids.root)).length, 1);

    // Each destructive action asks first on a page whose form posts it; asking changes nothing.
    for (const [action, lead] of [
      ['disable', /Disable the account omar\?/],
      ['reset-password', /Reset the password of omar\?/],
      ['require-reregistration', /Require omar to register their security info again\?/],
    ] as const) {
      assert.match(page.text, new RegExp(`href="/admin/users/${ids.omar}/confirm/${action}"`), action);
      const confirm = await root.get(`/admin/users/${ids.omar}/confirm/${action}`, srv.issuer);
      assert.equal(confirm.status, 200, action);
      assert.match(confirm.text, lead);
      assert.match(
        confirm.text,
        new RegExp(`<form method="post" action="/admin/users/${ids.omar}/${action}"`),
      );
    }
    assert.equal((await root.get(`/admin/users/${ids.omar}/confirm/explode`, srv.issuer)).status, 404);
    page = await root.get(`/admin/users/${ids.omar}`, srv.issuer);
    assert.match(page.text, /id="user-status">Active/, 'asking disabled nothing');
    r = await post(root, page, `/admin/users/${ids.omar}/disable`);
    page = await root.follow(r);
    assert.match(page.text, /id="user-status">Disabled/);
    r = await post(root, page, `/admin/users/${ids.omar}/enable`);
    page = await root.follow(r);
    assert.match(page.text, /id="user-status">Active/);
    r = await post(root, page, `/admin/users/${ids.root}/disable`);
    assert.equal(r.status, 409, 'not oneself');
    r = await post(root, page, `/admin/users/${ids.omar}/explode`);
    assert.equal(r.status, 404);
  });

  it('lets the helpdesk look users up and unlock them, nothing else', async (t) => {
    if (!needOathtool(t)) return;
    const br = new Browser();
    const dash = await open(br, '/admin/', 'desk');
    assert.equal(dash.status, 200);
    assert.match(dash.text, /Signed in as desk \(Helpdesk\)/);
    assert.doesNotMatch(dash.text, /href="\/admin\/policy"/);
    assert.equal((await br.get('/admin/policy', srv.issuer)).status, 403);
    assert.equal((await br.get('/admin/clients', srv.issuer)).status, 403);
    const page = await br.get(`/admin/users/${ids.nina}`, srv.issuer);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /reset-password/);
    let r = await post(br, page, `/admin/users/${ids.nina}/unlock`);
    assert.equal(r.status, 302);
    assert.equal((await adminEvents('admin.user.unlock', ids.desk)).length, 1);
    r = await post(br, page, `/admin/users/${ids.nina}/disable`);
    assert.equal(r.status, 403);
    assert.equal((await br.get(`/admin/users/${ids.nina}/confirm/disable`, srv.issuer)).status, 403);
    r = await post(br, page, '/admin/policy', { resetScope: 'none' });
    assert.equal(r.status, 403);
    assert.equal((await srv.app.deps.policy()).resetScope, 'all');
  });

  it('manages groups and clients', async (t) => {
    if (!needOathtool(t)) return;
    let page = await root.get('/admin/groups', srv.issuer);
    // Post/redirect/get: the refused post answers 303 to the list, which says why once.
    let raw = await root.postRaw(
      '/admin/groups',
      { _csrf: hiddenInputs(page.text)._csrf, name: 'staff' },
      srv.issuer,
    );
    assert.equal(raw.status, 303);
    assert.equal(new URL(raw.location!, srv.issuer).pathname, '/admin/groups');
    let r = await root.get('/admin/groups', srv.issuer);
    assert.equal(r.status, 409);
    assert.match(fieldError(r.text, 'name') ?? '', /exists already/);
    r = await root.get('/admin/groups', srv.issuer);
    assert.equal(r.status, 200);
    assert.equal(fieldError(r.text, 'name'), undefined, 'shown once');
    r = await post(root, page, '/admin/groups', { name: 'temp' });
    const gp = new URL(r.location!).pathname;
    page = await root.get(gp, srv.issuer);
    r = await post(root, page, `${gp}/members`, { login: 'nobody' });
    assert.equal(r.status, 400);
    assert.equal(new URL(r.url).pathname, gp, 'the group page says why, after a 303');
    assert.match(r.text, /value="nobody"/);
    r = await post(root, page, `${gp}/members`, { login: 'omar' });
    page = await root.follow(r);
    assert.match(page.text, />omar</);
    r = await post(root, page, `${gp}/members/${ids.omar}/remove`);
    page = await root.follow(r);
    assert.match(page.text, /No members yet/);
    r = await post(root, page, `${gp}/delete`);
    assert.equal(r.status, 302);

    page = await root.get('/admin/clients', srv.issuer);
    assert.match(page.text, /tobira-admin/);
    r = await post(root, page, '/admin/clients', {
      clientId: 'shop',
      redirectUris: 'not a url',
      'grant.authorization_code': 'on',
    });
    assert.equal(r.status, 400);
    assert.match(fieldError(r.text, 'redirectUris') ?? '', /absolute/);
    // Post/redirect/get: the refused post answers 303 to the list, whose GET shows the messages and
    // what was typed once (with the post's 400); the next GET is the empty form; nothing is written.
    raw = await root.postRaw(
      '/admin/clients',
      {
        _csrf: hiddenInputs(page.text)._csrf,
        clientId: 'shop',
        name: 'Typed Shop',
        redirectUris: 'not a url',
        'grant.authorization_code': 'on',
      },
      srv.issuer,
    );
    assert.equal(raw.status, 303);
    assert.equal(new URL(raw.location!).pathname, '/admin/clients');
    r = await root.get(raw.location!);
    assert.equal(r.status, 400);
    assert.match(fieldError(r.text, 'redirectUris') ?? '', /absolute/);
    assert.match(r.text, /value="Typed Shop"/, 'what was typed is kept');
    r = await root.get('/admin/clients', srv.issuer);
    assert.equal(r.status, 200);
    assert.equal(fieldError(r.text, 'redirectUris'), undefined, 'the message is shown once');
    assert.doesNotMatch(r.text, /Typed Shop/);
    assert.equal(await tdb.db('clients').where({ client_id: 'shop' }).first(), undefined, 'nothing written');
    assert.equal((await adminEvents('admin.client.create', ids.root)).length, 0);
    r = await post(root, page, '/admin/clients', {
      clientId: 'shop',
      name: 'Shop',
      redirectUris: 'https://shop.example/cb',
      'grant.authorization_code': 'on',
    });
    assert.equal(r.status, 200);
    const secret = /id="client-secret" translate="no">([^<]+)</.exec(r.text)![1];
    assert.ok(secret.length >= 40);
    page = await root.get('/admin/clients/shop', srv.issuer);
    r = await root.post(
      '/admin/clients/shop',
      {
        ...formFields(page.text, '/admin/clients/shop'),
        redirectUris: 'https://shop.example/a\nhttps://shop.example/b',
      },
      srv.issuer,
    );
    assert.equal(r.status, 302);
    assert.deepEqual((await tdb.db('clients').where({ client_id: 'shop' }).first()).metadata.redirect_uris, [
      'https://shop.example/a',
      'https://shop.example/b',
    ]);
    // Per-client settings (issue 11): algorithm, authentication method, back-channel logout with sid.
    page = await root.get('/admin/clients/shop', srv.issuer);
    r = await root.post(
      '/admin/clients/shop',
      {
        ...formFields(page.text, '/admin/clients/shop'),
        redirectUris: 'https://shop.example/a\nhttps://shop.example/b',
        idTokenAlg: 'RS256',
        authMethod: 'private_key_jwt',
      },
      srv.issuer,
    );
    assert.equal(r.status, 400, 'private_key_jwt without keys is refused');
    assert.match(fieldError(r.text, 'jwks') ?? '', /public keys/);
    // The same through post/redirect/get, with a secret key pasted by mistake: the edit page says why
    // once, and the key is kept nowhere (neither in the page nor in what the refusal stored).
    const before = (await tdb.db('clients').where({ client_id: 'shop' }).first()).metadata;
    raw = await root.postRaw(
      '/admin/clients/shop',
      {
        ...formFields(page.text, '/admin/clients/shop'),
        redirectUris: 'https://shop.example/a\nhttps://shop.example/b',
        authMethod: 'private_key_jwt',
        jwksText: '{"keys":[{"kty":"oct","k":"c2VjcmV0LXNoYXJlZC1rZXk"}]}',
      },
      srv.issuer,
    );
    assert.equal(raw.status, 303);
    assert.equal(new URL(raw.location!).pathname, '/admin/clients/shop');
    assert.equal(
      (await tdb.db('challenges').whereRaw('CAST(data AS TEXT) LIKE ?', ['%c2VjcmV0LXNoYXJlZC1rZXk%']))
        .length,
      0,
      'a secret key is never kept for the page',
    );
    r = await root.get(raw.location!);
    assert.equal(r.status, 400);
    assert.ok(fieldError(r.text, 'jwks'));
    assert.doesNotMatch(r.text, /c2VjcmV0LXNoYXJlZC1rZXk/);
    r = await root.get('/admin/clients/shop', srv.issuer);
    assert.equal(r.status, 200);
    assert.equal(fieldError(r.text, 'jwks'), undefined, 'the message is shown once');
    assert.deepEqual((await tdb.db('clients').where({ client_id: 'shop' }).first()).metadata, before);
    r = await root.post(
      '/admin/clients/shop',
      {
        ...formFields(page.text, '/admin/clients/shop'),
        redirectUris: 'https://shop.example/a\nhttps://shop.example/b',
        idTokenAlg: 'RS256',
        authMethod: 'client_secret_jwt',
        backchannelLogoutUri: 'https://shop.example/logout',
        backchannelLogoutSessionRequired: 'on',
      },
      srv.issuer,
    );
    assert.equal(r.status, 302);
    const shop = (await tdb.db('clients').where({ client_id: 'shop' }).first()).metadata;
    assert.equal(shop.id_token_signed_response_alg, 'RS256');
    assert.equal(shop.token_endpoint_auth_method, 'client_secret_jwt');
    assert.equal(shop.backchannel_logout_uri, 'https://shop.example/logout');
    assert.equal(shop.backchannel_logout_session_required, true);
    // Front-channel logout and CORS origins: checked on their fields, then saved.
    page = await root.get('/admin/clients/shop', srv.issuer);
    r = await root.post(
      '/admin/clients/shop',
      {
        ...formFields(page.text, '/admin/clients/shop'),
        frontchannelLogoutUri: 'https://elsewhere.example/fc',
        corsOrigins: 'https://shop.example/path',
      },
      srv.issuer,
    );
    assert.equal(r.status, 400);
    assert.match(fieldError(r.text, 'corsOrigins') ?? '', /no path and no wildcard/);
    r = await root.post(
      '/admin/clients/shop',
      {
        ...formFields(page.text, '/admin/clients/shop'),
        frontchannelLogoutUri: 'https://elsewhere.example/fc',
      },
      srv.issuer,
    );
    assert.equal(r.status, 400);
    assert.match(
      fieldError(r.text, 'frontchannelLogoutUri') ?? '',
      /scheme, host and port of one of the redirect URIs/,
    );
    r = await root.post(
      '/admin/clients/shop',
      {
        ...formFields(page.text, '/admin/clients/shop'),
        frontchannelLogoutUri: 'https://shop.example/fc',
        frontchannelLogoutSessionRequired: 'on',
        corsOrigins: 'https://shop.example\nhttps://static.shop.example:8443',
      },
      srv.issuer,
    );
    assert.equal(r.status, 302);
    const fc = (await tdb.db('clients').where({ client_id: 'shop' }).first()).metadata;
    assert.equal(fc.frontchannel_logout_uri, 'https://shop.example/fc');
    assert.equal(fc.frontchannel_logout_session_required, true);
    assert.deepEqual(fc.cors_origins, ['https://shop.example', 'https://static.shop.example:8443']);
    page = await root.get('/admin/clients/shop', srv.issuer);
    assert.equal(
      formFields(page.text, '/admin/clients/shop').frontchannelLogoutUri,
      'https://shop.example/fc',
    );
    // The admin scope: off by default, granted and revoked with its own box.
    page = await root.get('/admin/clients/shop', srv.issuer);
    assert.equal(formFields(page.text, '/admin/clients/shop').admin, undefined, 'not granted by default');
    assert.match(page.text, /Grant the admin scope/);
    r = await root.post(
      '/admin/clients/shop',
      { ...formFields(page.text, '/admin/clients/shop'), admin: 'on' },
      srv.issuer,
    );
    assert.equal(r.status, 302);
    assert.equal((await tdb.db('clients').where({ client_id: 'shop' }).first()).admin_granted, true);
    page = await root.get('/admin/clients/shop', srv.issuer);
    assert.equal(formFields(page.text, '/admin/clients/shop').admin, 'on');
    const { admin: _granted, ...revoke } = formFields(page.text, '/admin/clients/shop');
    r = await root.post('/admin/clients/shop', revoke, srv.issuer);
    assert.equal(r.status, 302);
    assert.equal((await tdb.db('clients').where({ client_id: 'shop' }).first()).admin_granted, false);
    page = await root.get('/admin/clients/shop', srv.issuer);
    r = await post(root, page, '/admin/clients/shop/rotate');
    assert.notEqual(/id="client-secret" translate="no">([^<]+)</.exec(r.text)![1], secret);
    r = await post(root, page, '/admin/clients/shop/delete');
    assert.equal(r.status, 302);
    page = await root.get('/admin/clients/tobira-portal', srv.issuer);
    assert.match(page.text, /Built-in applications are managed by the service itself/);
    assert.doesNotMatch(page.text, /action="\/admin\/clients\/tobira-portal\/delete"/);
    // Deleting a built-in application anyway: 303 to its page, which says why once; it stays.
    raw = await root.postRaw(
      '/admin/clients/tobira-portal/delete',
      { _csrf: hiddenInputs(page.text)._csrf },
      srv.issuer,
    );
    assert.equal(raw.status, 303);
    assert.equal(new URL(raw.location!).pathname, '/admin/clients/tobira-portal');
    r = await root.get(raw.location!);
    assert.equal(r.status, 409);
    assert.match(r.text, /role="alert">Built-in applications cannot be changed\./);
    r = await root.get('/admin/clients/tobira-portal', srv.issuer);
    assert.doesNotMatch(r.text, /Built-in applications cannot be changed/, 'shown once');
    assert.ok(await tdb.db('clients').where({ client_id: 'tobira-portal' }).first());
    for (const a of [
      'admin.client.create',
      'admin.client.update',
      'admin.client.rotate_secret',
      'admin.client.delete',
      'admin.group.create',
      'admin.group.delete',
    ]) {
      const expected = a === 'admin.group.create' ? 2 : a === 'admin.client.update' ? 5 : 1;
      assert.equal((await adminEvents(a, ids.root)).length, expected, a);
    }
  });

  it('manages APIs: registers one, grants an application access, withdraws it, deletes the API', async (t) => {
    if (!needOathtool(t)) return;
    let page = await root.get('/admin/apis', srv.issuer);
    assert.equal(page.status, 200);
    assert.match(page.text, /No APIs yet/);
    // A bad identifier: post/redirect/get, the message beside the field, what was typed kept, nothing written.
    let r = await post(root, page, '/admin/apis', {
      identifier: 'orders',
      name: 'Orders',
      scopes: 'orders.read',
      tokenFormat: 'jwt',
      tokenTtlSeconds: '600',
    });
    assert.equal(r.status, 400);
    assert.equal(new URL(r.url).pathname, '/admin/apis');
    assert.match(fieldError(r.text, 'identifier') ?? '', /absolute URI/);
    assert.match(r.text, /value="Orders"/);
    assert.equal(await tdb.db('apis').first(), undefined, 'nothing written');
    r = await post(root, page, '/admin/apis', {
      identifier: 'https://orders.example.com',
      name: 'Orders',
      scopes: 'orders.read orders.write',
      tokenFormat: 'jwt',
      tokenTtlSeconds: 'soon',
    });
    assert.equal(r.status, 400, 'a lifetime that is not a number');
    assert.ok(fieldError(r.text, 'tokenTtlSeconds'));
    r = await post(root, page, '/admin/apis', {
      identifier: 'https://orders.example.com',
      name: 'Orders',
      scopes: 'orders.read orders.write',
      tokenFormat: 'opaque',
      tokenTtlSeconds: '300',
    });
    assert.equal(r.status, 302);
    page = await root.follow(r);
    assert.match(page.text, /The API was registered/);
    assert.match(page.text, /https:\/\/orders\.example\.com/);
    const row = await tdb.db('apis').where({ identifier: 'https://orders.example.com' }).first();
    assert.equal(row.token_format, 'opaque');
    assert.equal(row.token_ttl_seconds, 300);
    // Granting: an unknown application is a message beside its field; a scope the API lacks too.
    r = await post(root, page, '/admin/apis/grant', {
      api: 'https://orders.example.com',
      clientId: 'nobody',
      scopes: 'orders.read',
    });
    assert.equal(r.status, 400);
    assert.match(fieldError(r.text, 'clientId') ?? '', /No such application/);
    r = await post(root, page, '/admin/apis/grant', {
      api: 'https://orders.example.com',
      clientId: 'tobira-demo',
      scopes: 'orders.delete',
    });
    assert.equal(r.status, 400);
    assert.match(fieldError(r.text, 'scopes') ?? '', /orders\.delete/);
    r = await post(root, page, '/admin/apis/grant', {
      api: 'https://orders.example.com',
      clientId: 'tobira-demo',
      scopes: 'orders.read',
    });
    assert.equal(r.status, 302);
    page = await root.follow(r);
    assert.match(page.text, /Access was granted/);
    assert.deepEqual(
      (await tdb.db('api_grants').where({ client_id: 'tobira-demo' })).map((g) => g.api_identifier),
      ['https://orders.example.com'],
    );
    r = await post(root, page, '/admin/apis/withdraw', {
      api: 'https://orders.example.com',
      clientId: 'tobira-demo',
    });
    page = await root.follow(r);
    assert.match(page.text, /Access was withdrawn/);
    assert.equal((await tdb.db('api_grants')).length, 0);
    r = await post(root, page, '/admin/apis/delete', { api: 'https://orders.example.com' });
    page = await root.follow(r);
    assert.match(page.text, /The API was deleted/);
    assert.equal((await tdb.db('apis')).length, 0);
    // A post without the CSRF token changes nothing.
    const forged = await root.postRaw(
      '/admin/apis',
      { identifier: 'https://x.example.com', name: 'X', tokenFormat: 'jwt', tokenTtlSeconds: '600' },
      srv.issuer,
    );
    assert.equal(forged.status, 403);
    assert.equal((await tdb.db('apis')).length, 0);
    for (const a of ['admin.api.create', 'admin.api.grant', 'admin.api.revoke', 'admin.api.delete'])
      assert.equal((await adminEvents(a, ids.root)).length, 1, a);
  });

  it('filters the audit log; the CSV link exports the same events', async (t) => {
    if (!needOathtool(t)) return;
    const today = clock.now().toISOString().slice(0, 10);
    const page = await root.get(`/admin/audit?activity=admin.user.*&from=${today}&to=${today}`, srv.issuer);
    assert.equal(page.status, 200);
    const rows = [...page.text.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1]));
    assert.ok(rows.length >= 6);
    const csvHref = decodeEntities(/id="csv-link"[^>]*|href="([^"]*)" id="csv-link"/.exec(page.text)![1]);
    assert.match(csvHref, /^\/admin\/audit\.csv\?/);
    const csv = await root.get(csvHref, srv.issuer);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const ids2 = csv.text
      .trimEnd()
      .split('\r\n')
      .slice(1)
      .map((l) => Number(l.split(',')[0]));
    assert.deepEqual(ids2, rows);
    const bad = await root.get('/admin/audit?from=soon', srv.issuer);
    assert.equal(bad.status, 400);
    assert.ok(fieldError(bad.text, 'from'));
  });

  it('shows reports as SVG charts beside tables with the same numbers', async (t) => {
    if (!needOathtool(t)) return;
    const r = await root.get('/admin/reports', srv.issuer);
    assert.equal(r.status, 200);
    // The charts' SVGs (the layout's brand mark is one too, outside the page's content).
    const svgs = [...r.text.matchAll(/<svg\b(?![^>]*class="brand-mark")[\s\S]*?<\/svg>/g)];
    assert.equal(svgs.length, 5);
    for (const id of ['registration', 'methods', 'per-day', 'per-method', 'outcomes']) {
      const figure = new RegExp(`<figure class="chart-figure" id="figure-${id}">([\\s\\S]*?)</figure>`).exec(
        r.text,
      )![1];
      const table = new RegExp(`<table class="compact" id="table-${id}">([\\s\\S]*?)</table>`).exec(
        r.text,
      )![1];
      const bars = [...figure.matchAll(/data-label="([^"]*)" data-value="([^"]*)"/g)].map((m) => [
        decodeEntities(m[1]),
        m[2],
      ]);
      const cells = [
        ...table.matchAll(/<tr><th scope="row">([^<]*)<\/th><td class="num">([^<]*)<\/td>/g),
      ].map((m) => [decodeEntities(m[1]), m[2]]);
      assert.deepEqual(bars, cells, id);
    }
    assert.match(r.text, /data-label="Active users" data-value="\d+"/);
  });

  it('applies branding on every page and in emails', async (t) => {
    if (!needOathtool(t)) return;
    let page = await root.get('/admin/policy', srv.issuer);
    const r = await root.post(
      '/admin/policy',
      {
        ...formFields(page.text, '/admin/policy'),
        organizationName: 'Example Corp',
        accentColor: '#ffcc00',
        logoUrl: 'https://cdn.example.com/logo.png',
      },
      srv.issuer,
    );
    assert.equal(r.status, 302);
    const css = await fetch(`${srv.url}/assets/brand.css`);
    const text = await css.text();
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    assert.match(text, /--accent: #ffcc00/);
    assert.match(text, /--accent-fg: #1b1f24/, 'dark text on a light accent');
    assert.match(text, /url\("https:\/\/cdn\.example\.com\/logo\.png"\)/);
    const home = await fetch(`${srv.url}/`);
    const html = await home.text();
    assert.match(
      html,
      /<a class="brand" href="\/"><svg class="brand-mark"[\s\S]*?<\/svg><span>Example Corp<\/span><\/a>/,
    );
    assert.match(html, /<link rel="stylesheet" href="\/assets\/brand\.css\?v=[\w-]{12}">/);
    assert.match(
      home.headers.get('content-security-policy') ?? '',
      /img-src 'self' data: https:\/\/cdn\.example\.com;/,
    );
    page = await root.get(`/admin/users/${ids.nina}`, srv.issuer);
    await post(root, page, `/admin/users/${ids.nina}/reset-password`);
    await deliverQueuedNotices(srv);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: 'nina@example.com' })
      .orderBy('id', 'desc')
      .first();
    assert.match(mail.body_html, /<img src="https:\/\/cdn\.example\.com\/logo\.png"/);
    assert.match(mail.body_html, /Example Corp/);
    assert.match(mail.body_html, /#ffcc00/);
    // A script-shaped logo address is refused.
    page = await root.get('/admin/policy', srv.issuer);
    const bad = await root.post(
      '/admin/policy',
      { ...formFields(page.text, '/admin/policy'), logoUrl: 'javascript:alert(1)' },
      srv.issuer,
    );
    assert.equal(bad.status, 400);
    assert.ok(fieldError(bad.text, 'logoUrl'));
  });
});

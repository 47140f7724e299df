import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { translator } from '../../src/i18n/index.ts';
import { alertText, Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { addClientViaCli, discover, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * Issue 16, part 3: invitations by email. Without SMTP the email lands in the development outbox, as
 * codes do. A link works once; reused, expired (ManualClock), withdrawn, superseded or tampered
 * links are refused with a clear page, never a 500. A used link leads on to the registration wizard.
 */

const en = translator('en');
const DAY = 86_400_000;

describe(`invitations (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let token: string;
  const clock = new ManualClock(Date.now());

  async function api(method: string, path: string, body?: unknown) {
    const r = await fetch(`${srv.url}/api/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, text, body: text ? JSON.parse(text) : undefined };
  }

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    const machine = await addClientViaCli(srv, ['hr', '--grant-type', 'client_credentials', '--admin']);
    const cfg = await discover(srv.issuer, machine.clientId, machine.secret);
    token = (await oidc.clientCredentialsGrant(cfg, { scope: 'admin' })).access_token;
  });

  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  async function newcomer(login: string) {
    const r = await api('POST', '/users', {
      login,
      displayName: `${login} Newcomer`,
      email: `${login}@example.com`,
      initialPassword: 'none',
    });
    assert.equal(r.status, 201, r.text);
    return r.body.user.id as string;
  }

  /** Sends the invitation through the API and returns the link from the development outbox. */
  async function invite(login: string): Promise<string> {
    const r = await api('POST', `/users/${login}/invitation`);
    assert.equal(r.status, 201, r.text);
    assert.ok(!r.text.includes('token'), 'the link is only in the email');
    await deliverQueuedNotices(srv);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: `${login}@example.com`, purpose: 'invitation' })
      .orderBy('id', 'desc')
      .first();
    assert.ok(mail, 'the invitation is in the development outbox');
    assert.equal(mail.subject, en('invite.email.subject', { org: 'Tobira' }));
    const link = /(http:\/\/\S+\/invite\?token=[A-Za-z0-9_-]+)/.exec(mail.body_text)?.[1];
    assert.ok(link, `a link in: ${mail.body_text}`);
    return link;
  }

  const open = (br: Browser, link: string) => br.get(link);

  async function accept(link: string, password: string, br = new Browser()) {
    const page = await open(br, link);
    assert.equal(page.status, 200, page.text.slice(0, 500));
    return {
      br,
      r: await br.post(
        formAction(page.text),
        { ...hiddenInputs(page.text), password, confirm: password },
        srv.issuer,
      ),
    };
  }

  it('a link sets the first password once, and leads to the registration wizard', async () => {
    const id = await newcomer('ines');
    const link = await invite('ines');
    // The development outbox page shows it, as it shows codes.
    const dev = await new Browser().get('/dev/outbox', srv.issuer);
    assert.equal(dev.status, 200);
    assert.ok(dev.text.includes(link.split('token=')[1]), 'the outbox page shows the link');

    // Opening the link (as a mail scanner would) does not use it up.
    await open(new Browser(), link);
    const weak = await accept(link, 'short');
    assert.equal(weak.r.status, 400, 'a refused password keeps the link usable');
    assert.match(weak.r.text, /id="form-error"/);
    // Post/redirect/get: the refusal answered 303 to the link's own page, which says why once.
    assert.equal(weak.r.url, link);
    const reloaded = await weak.br.get(link);
    assert.equal(reloaded.status, 200);
    assert.doesNotMatch(reloaded.text, /id="form-error"/, 'shown once');
    assert.equal((await tdb.db('users').where({ id }).first()).password_hash, null, 'nothing written');
    const password = 'lantern meadow copper 41';
    const { br, r } = await accept(link, password);
    assert.equal(r.status, 200, alertText(r.text) ?? r.text.slice(0, 500));
    assert.match(r.text, /Your password is set/);
    const row = await tdb.db('users').where({ id }).first();
    assert.notEqual(row.password_hash, null);
    const events = await tdb
      .db('audit_events')
      .where({ subject_id: id })
      .orderBy('id')
      .select('activity', 'result');
    assert.deepEqual(
      events.map((e: { activity: string; result: string }) => `${e.activity}:${e.result}`),
      ['admin.user.create:succeeded', 'admin.user.invite:succeeded', 'invite.accept:succeeded'],
    );
    await deliverQueuedNotices(srv);
    const notice = await tdb
      .db('outbox')
      .where({ recipient: 'ines@example.com', purpose: 'notice.password_set' });
    assert.equal(notice.length, 1, 'the user is told the password was set');

    // Used once: the same link is refused, opened or posted.
    const again = await open(new Browser(), link);
    assert.equal(again.status, 410);
    assert.match(again.text, /This invitation link does not work/);
    const replay = await br.post(
      '/invite',
      {
        _csrf: hiddenInputs(r.text)._csrf ?? '',
        token: link.split('token=')[1],
        password: 'x',
        confirm: 'x',
      },
      srv.issuer,
    );
    assert.ok(replay.status === 410 || replay.status === 403, `replay refused (${replay.status})`);
    assert.equal((await tdb.db('users').where({ id }).first()).password_hash, row.password_hash, 'unchanged');

    // The page's link goes to sign-in, and registration is required: the wizard follows.
    let next = await br.follow(await br.get('/my/security-info', srv.issuer));
    assert.match(next.url, /\/interaction\//);
    next = await br.follow(
      await br.post(
        formAction(next.text),
        { ...hiddenInputs(next.text), username: 'ines', password },
        next.url,
      ),
    );
    assert.match(
      next.text,
      new RegExp(en('signin.register.title' as never).slice(0, 12)),
      next.text.slice(0, 800),
    );
  });

  it('attack: an expired link is refused (7 days by default, a setting)', async () => {
    await newcomer('jun');
    const link = await invite('jun');
    clock.advance(7 * DAY - 60_000);
    assert.equal((await open(new Browser(), link)).status, 200, 'still valid just before 7 days');
    clock.advance(2 * 60_000);
    const r = await open(new Browser(), link);
    assert.equal(r.status, 410);
    await setPolicy(srv, 'invitationValidDays', 1);
    const short = await invite('jun');
    const state = await api('GET', '/users/jun/invitation');
    assert.equal(new Date(state.body.invitation.expiresAt).getTime(), clock.now().getTime() + DAY);
    clock.advance(DAY + 1000);
    assert.equal((await open(new Browser(), short)).status, 410);
    await setPolicy(srv, 'invitationValidDays', 7);
  });

  it('attack: a withdrawn link and a superseded link are refused; the new one works', async () => {
    await newcomer('kai');
    const first = await invite('kai');
    const second = await invite('kai');
    assert.equal((await open(new Browser(), first)).status, 410, 'sending again withdraws the old link');
    const revoked = await api('DELETE', '/users/kai/invitation');
    assert.equal(revoked.status, 204);
    assert.equal((await open(new Browser(), second)).status, 410, 'withdrawn');
    const none = await api('DELETE', '/users/kai/invitation');
    assert.equal(none.status, 409);
    const third = await invite('kai');
    const { r } = await accept(third, 'orchid harbour silver 66');
    assert.equal(r.status, 200);
    const events = await tdb
      .db('audit_events')
      .whereIn('activity', ['admin.user.invite', 'admin.user.invite_revoke']);
    assert.equal(events.length >= 4, true);
  });

  it('attack: tampered, truncated and made-up tokens are refused with a page, never a 500', async () => {
    await newcomer('lea');
    const link = await invite('lea');
    const tok = link.split('token=')[1];
    const flipped = tok.slice(0, -1) + (tok.endsWith('A') ? 'B' : 'A');
    for (const t of [flipped, tok.slice(0, 20), `${tok}x`, 'A'.repeat(43), '../../etc/passwd', '%00', '']) {
      const r = await new Browser().get(`/invite?token=${encodeURIComponent(t)}`, srv.issuer);
      assert.equal(r.status, 410, `token ${t}`);
    }
    assert.equal((await new Browser().get('/invite', srv.issuer)).status, 410);
    assert.equal((await new Browser().get('/invite?token=a&token=b', srv.issuer)).status, 410);
    assert.equal((await open(new Browser(), link)).status, 200, 'the real link still works');
  });

  it('refuses to invite a user who has a password, none to send to, or managed elsewhere', async () => {
    const has = await api('POST', '/users', { login: 'max', email: 'max@example.com' });
    assert.equal(has.status, 201);
    assert.equal((await api('POST', '/users/max/invitation')).status, 409);
    await api('POST', '/users', { login: 'noa', initialPassword: 'none' });
    const noEmail = await api('POST', '/users/noa/invitation');
    assert.equal(noEmail.status, 409);
    assert.ok(noEmail.body.fields.email);
    await api('POST', '/users', { login: 'ext', email: 'ext@example.com', passwordManaged: 'external' });
    assert.equal((await api('POST', '/users/ext/invitation')).status, 409);
    assert.equal((await api('POST', '/users/nobody/invitation')).status, 404);
    // And through the CLI, the same service.
    const r = await runCommand(['user', 'invite', 'max'], undefined, {
      db: srv.db,
      box: srv.box,
      clock,
      config: srv.app.deps.config,
    });
    assert.equal(r.code, 3, r.stderr);
  });
});

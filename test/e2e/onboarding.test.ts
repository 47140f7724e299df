import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { loadConfig } from '../../src/config.ts';
import { createDelivery } from '../../src/delivery/index.ts';
import { translator } from '../../src/i18n/index.ts';
import { createLogger } from '../../src/logger.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import { alertText, Browser, formAction, hiddenInputs, type Resp } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import {
  MAIL_FROM,
  type SmtpPeer,
  startSmtpPeer,
  startTwilioPeer,
  type TwilioPeer,
} from '../helpers/peers.ts';
import { identifyForReset } from '../helpers/reset.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * Issue 16, parts 1 and 2: an administrator pre-registers a user's phone and email through the admin
 * API; the user, who never had a password, goes through "Can't access your account?" with the text
 * the loopback Twilio peer received and the email the real SMTP server received, sets a first
 * password (the pages and the notice say "set", not "reset") and signs in to an app. Administrators
 * can never set or read app secrets, keys or answers.
 */

const en = translator('en');
const ja = translator('ja');

describe(`pre-registered contact methods and the first password (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let smtp: SmtpPeer;
  let twilio: TwilioPeer;
  let token: string;
  let app: oidc.Configuration;
  let machineId: string;
  const clock = new ManualClock(Date.now());
  const MOBILE = { typed: '090-5555-6666', e164: '+819055556666' };
  const HOME = 'nora.home@example.org';

  async function api(method: string, path: string, body?: unknown, raw?: string) {
    const r = await fetch(`${srv.url}/api/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await r.text();
    return { status: r.status, text, body: text ? JSON.parse(text) : undefined };
  }

  const cli = (argv: string[]) =>
    runCommand([...argv, '--json'], undefined, {
      db: srv.db,
      box: srv.box,
      clock,
      config: srv.app.deps.config,
    });

  before(async () => {
    [tdb, smtp, twilio] = await Promise.all([createTestDatabase(), startSmtpPeer(), startTwilioPeer()]);
    const env = {
      SMTP_URL: smtp.url,
      MAIL_FROM,
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: twilio.from,
    };
    const delivery = createDelivery({
      db: tdb.db,
      logger: createLogger('silent'),
      config: loadConfig({ ISSUER: 'http://localhost:3000', LOG_LEVEL: 'silent', ...env }),
      clock,
      twilioHttpClient: twilio.httpClient,
    });
    srv = await startTestServer({ db: tdb.db, clock, env, delivery });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'allowedPhoneCountries', ['JP']);
    await setPolicy(srv, 'resetGatesRequired', 2);
    const machine = await addClientViaCli(srv, ['hr-sync', '--grant-type', 'client_credentials', '--admin']);
    machineId = `client:${machine.clientId}`;
    const cfg = await discover(srv.issuer, machine.clientId, machine.secret);
    token = (await oidc.clientCredentialsGrant(cfg, { scope: 'admin' })).access_token;
    const c = await addClientViaCli(srv, ['staff-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    app = await discover(srv.issuer, c.clientId, c.secret);
  });

  after(async () => {
    await srv?.stop();
    await Promise.all([tdb?.drop(), smtp?.close(), twilio?.close()]);
  });

  let noraId = '';

  it('an administrator creates a user without a password: "not yet activated"', async () => {
    const r = await api('POST', '/users', {
      login: 'nora',
      displayName: 'Nora Sato',
      email: 'nora@example.com',
      initialPassword: 'none',
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.temporaryPassword, null, 'no temporary password');
    assert.equal(r.body.user.activated, false);
    assert.equal(r.body.user.mustChangePassword, false);
    noraId = r.body.user.id;
    const row = await tdb.db('users').where({ id: noraId }).first();
    assert.equal(row.password_hash, null);
  });

  it('pre-registers a mobile phone and an alternate email: masked in the answer, audited, notified', async () => {
    const before = smtp.messages.length;
    const r = await api('PUT', '/users/nora/contact-methods', {
      mobilePhone: MOBILE.typed,
      alternateEmail: HOME,
      country: 'JP',
    });
    assert.equal(r.status, 200, r.text);
    const slots = r.body.contactMethods.map((c: { slot: string }) => c.slot).sort();
    assert.deepEqual(slots, ['alternateEmail', 'mobilePhone']);
    for (const c of r.body.contactMethods) {
      assert.equal(c.source, 'organization');
      assert.equal(c.confirmed, false);
    }
    assert.ok(!r.text.includes('5555'), 'the number is masked');
    assert.ok(!r.text.includes('nora.home'), 'the address is masked');
    const rows = await tdb.db('credentials').where({ user_id: noraId });
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.equal(row.source, 'organization');
      assert.equal(row.confirmed_at, null);
    }
    const events = await tdb.db('audit_events').where({ activity: 'admin.user.contact_methods' });
    assert.equal(events.length, 1);
    assert.equal(events[0].actor_id, machineId);
    assert.equal(events[0].subject_id, noraId);
    assert.ok(!JSON.stringify(events[0].details).includes('5555'), 'the audit holds masked values');
    // The same call again changes nothing and sends nothing new.
    const again = await api('PUT', '/users/nora/contact-methods', {
      mobilePhone: MOBILE.e164,
      alternateEmail: HOME,
    });
    assert.equal(again.status, 200);
    await deliverQueuedNotices(srv);
    const notices = smtp.messages.slice(before);
    assert.equal(notices.length, 2, 'one notice per added method, to the profile address');
    for (const n of notices) {
      assert.deepEqual(n.to, ['nora@example.com']);
      assert.equal(n.mail.subject, en('notice.orgMethod.added.subject'));
    }
  });

  it('attack: the API and the CLI refuse app secrets, keys and answers, and never show them', async () => {
    for (const body of [
      { appSecret: 'JBSWY3DPEHPK3PXP' },
      { totpSecret: 'JBSWY3DPEHPK3PXP' },
      { securityKey: { credentialId: 'AAAA', publicKey: 'BBBB' } },
      { questions: [{ id: 'q.first_concert', answer: 'x' }] },
      { mobilePhone: MOBILE.e164, kind: 'app', data: { secret: 'JBSWY3DPEHPK3PXP' } },
    ]) {
      const r = await api('PUT', '/users/nora/contact-methods', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error, 'invalid_request');
    }
    const r = await api('POST', '/users', { login: 'mallory', appSecret: 'JBSWY3DPEHPK3PXP' });
    assert.equal(r.status, 400);
    for (const flag of ['--app-secret', '--totp-secret', '--security-key', '--answer']) {
      const c = await cli(['user', 'contact', 'nora', flag, 'JBSWY3DPEHPK3PXP']);
      assert.equal(c.code, 2, `${flag} is refused`);
    }
    assert.equal(
      await tdb
        .db('credentials')
        .where({ user_id: noraId })
        .whereNot({ kind: 'phone' })
        .whereNot({ kind: 'email' })
        .first(),
      undefined,
    );

    // A user's own app secret and answers never come back through the API or the CLI.
    const other = await api('POST', '/users', { login: 'otto', email: 'otto@example.com' });
    const ottoId = other.body.user.id;
    const secretText = 'SEALED-TOTP-SECRET-ZZZ';
    await insertCredential(
      tdb.db,
      ottoId,
      { kind: 'app', label: 'Phone app', data: { secret: secretText } },
      clock.now(),
    );
    await insertCredential(
      tdb.db,
      ottoId,
      {
        kind: 'questions',
        label: '',
        data: { answers: [{ id: 'q.first_concert', hash: 'ANSWER-HASH-QQQ' }] },
      },
      clock.now(),
    );
    for (const path of ['/users/otto', '/users/otto/contact-methods', '/users?q=otto']) {
      const g = await api('GET', path);
      assert.equal(g.status, 200);
      assert.ok(!g.text.includes(secretText) && !g.text.includes('ANSWER-HASH'), `${path} shows no secret`);
      assert.ok(!g.text.includes('Phone app'), `${path} shows no label`);
    }
    const shown = await cli(['user', 'show', 'otto']);
    assert.equal(shown.code, 0);
    assert.ok(!shown.stdout.includes(secretText) && !shown.stdout.includes('ANSWER-HASH'));

    // What a user registered is theirs: an administrator cannot redirect it.
    await insertCredential(
      tdb.db,
      ottoId,
      { kind: 'phone', label: '', data: { e164: '+819012340000', country: 'JP', type: 'mobile' } },
      clock.now(),
    );
    const takeover = await api('PUT', '/users/otto/contact-methods', { mobilePhone: '+819099990000' });
    assert.equal(takeover.status, 409, takeover.text);
    assert.ok(takeover.body.fields.mobilePhone);
    const viaCli = await cli(['user', 'contact', 'otto', '--mobile', '']);
    assert.equal(viaCli.code, 3);
    const phone = await tdb.db('credentials').where({ user_id: ottoId, kind: 'phone' }).first();
    assert.equal(phone.data.e164 ?? JSON.parse(phone.data).e164, '+819012340000', 'unchanged');

    // Bad input: a clear message per field, never a 500.
    const bad = await api('PUT', '/users/nora/contact-methods', {
      mobilePhone: 'not a number',
      alternateEmail: 'a@b',
    });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.fields.mobilePhone && bad.body.fields.alternateEmail);
    const landline = await api('PUT', '/users/nora/contact-methods', {
      mobilePhone: '03-3123-4567',
      country: 'JP',
    });
    assert.equal(landline.status, 400, 'a landline cannot be the mobile phone');
    const notJson = await api('PUT', '/users/nora/contact-methods', undefined, '{"mobilePhone":');
    assert.equal(notJson.status, 400);
  });

  it('with "afterConfirmation", unconfirmed pre-registered methods do not open the reset', async () => {
    await setPolicy(srv, 'preRegisteredMethods', 'afterConfirmation');
    const detail = await api('GET', '/users/nora');
    assert.equal(detail.body.reset.capable, false);
    const { br, r } = await identifyForReset(srv.issuer, 'nora');
    assert.equal(r.status, 200, 'no way forward');
    assert.equal(new URL(r.url ?? `${srv.issuer}/reset`).pathname, '/reset');
    void br;
    await setPolicy(srv, 'preRegisteredMethods', 'immediately');
    assert.equal((await api('GET', '/users/nora')).body.reset.capable, true);
  });

  /** The code in the last text to `e164`. */
  const codeInText = (e164: string) => {
    const m = twilio.messages.filter((x) => x.to === e164).at(-1);
    assert.ok(m, `a text to ${e164}`);
    return /\b(\d{6})\b/.exec(m.body)![1];
  };
  const codeInMail = (address: string) => {
    const m = smtp.messagesTo(address).at(-1);
    assert.ok(m, `an email to ${address}`);
    return /^\s+(\d{6})\s*$/m.exec(m.mail.text ?? '')![1];
  };

  async function gate(br: Browser, kind: string, pass: (page: Resp) => Promise<Resp>) {
    const page = await br.get(`/reset/verify/${kind}`, srv.issuer);
    assert.equal(page.status, 200, alertText(page.text));
    const last = await pass(page);
    assert.equal(last.status, 302, alertText(last.text) ?? last.text.slice(0, 800));
  }

  it('the user sets a first password through reset with the text and the email, then signs in', async () => {
    const { br, r } = await identifyForReset(srv.issuer, 'nora');
    assert.equal(r.status, 302, alertText(r.text) ?? '');
    const verify = await br.get('/reset/verify', srv.issuer);
    assert.match(verify.text, /To set your password, first verify your identity/);

    await gate(br, 'sms', async (page) => {
      assert.match(page.text, /type your whole phone number/);
      const sent = await br.post(
        formAction(page.text),
        { ...hiddenInputs(page.text), country: 'JP', number: MOBILE.typed },
        srv.issuer,
      );
      assert.equal(sent.status, 200, alertText(sent.text));
      return br.post(
        formAction(sent.text),
        { ...hiddenInputs(sent.text), code: codeInText(MOBILE.e164) },
        srv.issuer,
      );
    });
    const second = await br.get('/reset/verify', srv.issuer);
    assert.match(second.text, /Step 2 of 2/);
    await gate(br, 'email', async (page) => {
      let p = page;
      if (!/name="code"/.test(p.text)) {
        p = await br.post(formAction(p.text), { ...hiddenInputs(p.text) }, srv.issuer);
      }
      assert.match(p.text, /name="code"/, alertText(p.text) ?? p.text.slice(0, 500));
      return br.post(formAction(p.text), { ...hiddenInputs(p.text), code: codeInMail(HOME) }, srv.issuer);
    });

    const pw = await br.get('/reset/password', srv.issuer);
    assert.equal(pw.status, 200);
    assert.match(pw.text, /<h1>Set your password<\/h1>/);
    assert.doesNotMatch(pw.text, /Choose a new password|Reset password/);
    await deliverQueuedNotices(srv);
    const mails = smtp.messages.length;
    const password = 'harbour lantern orchid 73';
    const done = await br.post(
      '/reset/password',
      { ...hiddenInputs(pw.text), password, confirm: password },
      srv.issuer,
    );
    assert.equal(done.status, 200, alertText(done.text));
    assert.match(done.text, /Your password is set/);
    assert.doesNotMatch(done.text, /was reset/);

    await deliverQueuedNotices(srv);
    const notices = smtp.messages.slice(mails);
    assert.deepEqual(notices.map((m) => m.to[0]).sort(), ['nora@example.com', HOME].sort());
    for (const n of notices) {
      assert.equal(n.mail.subject, en('notice.passwordSet.subject'));
      assert.match(n.mail.text ?? '', /A password was set for your account nora/);
    }

    // Using a pre-registered method confirmed it.
    const creds = await tdb.db('credentials').where({ user_id: noraId });
    assert.ok(creds.every((c: { confirmed_at: unknown }) => c.confirmed_at !== null));
    assert.equal((await api('GET', '/users/nora')).body.activated, true);

    const { tokens } = await codeFlow(
      app,
      { username: 'nora', password, code: () => codeInText(MOBILE.e164) },
      { scope: 'openid' },
    );
    assert.equal(tokens.claims()?.sub, noraId, 'signed in to an app');

    // The audit log tells the whole story, in order.
    const story = (
      await tdb.db('audit_events').where({ subject_id: noraId }).orderBy('id').select('activity', 'result')
    )
      .map((e: { activity: string; result: string }) => `${e.activity}:${e.result}`)
      .filter((s: string) => !s.startsWith('reset.attempt:failed'));
    const expected = [
      'admin.user.create:succeeded',
      'admin.user.contact_methods:succeeded',
      'reset.verify:succeeded',
      'security_info.confirm:succeeded',
      'reset.verify:succeeded',
      'security_info.confirm:succeeded',
      'reset.complete:succeeded',
    ];
    let at = 0;
    for (const s of story) if (s === expected[at]) at++;
    assert.equal(at, expected.length, `the story in order: ${story.join(', ')}`);
    const complete = await tdb
      .db('audit_events')
      .where({ subject_id: noraId, activity: 'reset.complete' })
      .first();
    const details = typeof complete.details === 'string' ? JSON.parse(complete.details) : complete.details;
    assert.equal(details.firstPassword, true);
  });

  it('the portal shows what the organisation added; the user confirms, replaces or deletes it', async () => {
    const pw = 'meadow copper falcon 88';
    const u = await addUserViaCli(srv, 'pia', pw, ['--email', 'pia@example.com']);
    const set = await api('PUT', '/users/pia/contact-methods', { alternateEmail: 'pia.home@example.org' });
    assert.equal(set.status, 200, set.text);
    const br = new Browser();
    let r = await br.follow(await br.get('/my/security-info', srv.issuer));
    for (let i = 0; i < 3 && /\/interaction\//.test(r.url); i++) {
      r = await br.follow(
        await br.post(formAction(r.text), { ...hiddenInputs(r.text), username: 'pia', password: pw }, r.url),
      );
    }
    assert.equal(new URL(r.url).pathname, '/my/security-info');
    assert.match(r.text, /added by your organisation, not confirmed yet/);
    const id = (await tdb.db('credentials').where({ user_id: u.id, kind: 'email' }).first()).id;
    const confirmed = await br.follow(
      await br.post(`/my/security-info/${id}/confirm`, hiddenInputs(r.text), srv.issuer),
    );
    assert.match(confirmed.text, /The method was confirmed/);
    assert.match(confirmed.text, /added by your organisation<\/span>/);
    assert.doesNotMatch(confirmed.text, /not confirmed yet/);
    const row = await tdb.db('credentials').where({ id }).first();
    assert.notEqual(row.confirmed_at, null);
    const audit = await tdb.db('audit_events').where({ subject_id: u.id, activity: 'security_info.confirm' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor_id, u.id);
    // Someone else's credential id, or one the user registered, cannot be "confirmed".
    const foreign = await tdb.db('credentials').where({ user_id: noraId }).first();
    const refused = await br.post(
      `/my/security-info/${foreign.id}/confirm`,
      hiddenInputs(r.text),
      srv.issuer,
    );
    assert.equal(refused.status, 404);
    // Replace: the organisation's entry goes and the user registers their own.
    const replaced = await br.post(`/my/security-info/${id}/replace`, hiddenInputs(r.text), srv.issuer);
    assert.equal(replaced.status, 302);
    assert.equal(new URL(replaced.location!, srv.issuer).pathname, '/my/security-info/add/email');
    assert.equal(await tdb.db('credentials').where({ id }).first(), undefined);
  });

  it('the wording is there in Japanese too', () => {
    for (const k of [
      'reset.first.passwordTitle',
      'reset.first.verifyLead',
      'reset.first.doneTitle',
      'notice.passwordSet.subject',
      'portal.orgAdded',
    ] as const) {
      assert.notEqual(ja(k), en(k));
      assert.notEqual(ja(k), k);
    }
  });
});

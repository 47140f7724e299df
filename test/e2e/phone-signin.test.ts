import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createDelivery } from '../../src/delivery/index.ts';
import { type Delivery, DeliveryError, type Message } from '../../src/delivery/types.ts';
import { createLogger } from '../../src/logger.ts';
import { ACR_MFA } from '../../src/oidc/acr.ts';
import { alertText, Browser, formAction, hiddenInputs, noticeText } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { identifyForReset } from '../helpers/reset.ts';
import {
  addClientViaCli,
  addUserViaCli,
  discover,
  REDIRECT_URI,
  StepFlow,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * A person registers a mobile phone in the portal and signs in to an app with a password and a text
 * message, or a phone call; when texts cannot be sent, the page says so and offers the other methods.
 * Codes are read from the development outbox (texts) and from the message handed to delivery (a
 * call's code travels beside its spoken lead-in).
 */

describe(`sign-in with a text message or a phone call (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const sent: Message[] = [];
  const failing = new Set<string>();
  const MOBILE = '+819023456789';

  before(async () => {
    tdb = await createTestDatabase();
    const outbox = createDelivery({
      db: tdb.db,
      logger: createLogger('silent'),
      config: loadConfig({ ISSUER: 'http://localhost:3000' }),
      clock,
    });
    const delivery: Delivery = {
      async send(m) {
        if (failing.has(m.channel))
          throw new DeliveryError('delivery.failed', 'provider answered 500', { channel: m.channel });
        await outbox.send(m);
        sent.push(m);
      },
      isLive: (c) => outbox.isLive(c),
    };
    srv = await startTestServer({ db: tdb.db, clock, delivery });
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'pat', password, ['--email', 'pat@example.com']);
    const c = await addClientViaCli(srv, ['phone-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  const textsTo = async (to: string) =>
    tdb.db('outbox').where({ recipient: to, channel: 'sms' }).orderBy('id', 'desc');
  const codeInText = async (to: string) => /\b(\d{6})\b/.exec((await textsTo(to))[0].body_text)![1];
  const lastCall = () => {
    const m = sent.filter((x) => x.channel === 'voice').at(-1);
    assert.ok(m, 'no call was placed');
    return m;
  };
  const codeInCall = (m: Message) =>
    (m as Message & { code?: string }).code ?? /\b(\d{6})\b/.exec(m.text)![1];

  type Flow = StepFlow;
  const start = (br = new Browser()) => StepFlow.start(config, {}, br);
  const submit = (f: Flow, fields: Record<string, string> = {}, formIndex = 0) => f.submit(fields, formIndex);
  const claims = (f: Flow) => f.claims();

  it('registers a mobile phone in the portal with a code sent by text', async () => {
    const br = new Browser();
    let r = await br.follow(await br.get('/my/security-info/add/sms', srv.issuer));
    for (let i = 0; i < 3 && /\/interaction\//.test(r.url); i++) {
      r = await br.follow(
        await br.post(formAction(r.text), { ...hiddenInputs(r.text), username: 'pat', password }, r.url),
      );
    }
    assert.equal(r.status, 200);
    assert.equal(new URL(r.url).pathname, '/my/security-info/add/sms');
    assert.match(r.text, /<select id="phone-enroll-country" name="country"/);
    assert.match(r.text, /<option value="JP" selected>Japan \(\+81\)<\/option>/);
    assert.match(r.text, /<label for="phone-enroll-number">Phone number<\/label>/);

    // A landline cannot receive texts: refused, nothing sent.
    r = await br.postRaw(
      '/my/security-info/add/sms',
      { ...hiddenInputs(r.text), country: 'JP', number: '03-1234-5678', type: 'mobile', via: 'sms' },
      srv.issuer,
    );
    assert.equal(r.status, 303, 'post/redirect/get');
    r = await br.follow(r);
    assert.equal(r.status, 400);
    assert.match(alertText(r.text) ?? '', /not a mobile number/);
    assert.equal(sent.length, 0);

    r = await br.follow(
      await br.post(
        '/my/security-info/add/sms',
        { ...hiddenInputs(r.text), country: 'JP', number: '090-2345-6789', type: 'mobile', via: 'sms' },
        srv.issuer,
      ),
    );
    assert.equal(r.status, 200, 'a code sent is a step, not an error');
    assert.equal(alertText(r.text), undefined, 'no error box');
    assert.match(noticeText(r.text) ?? '', /We sent a code to \+81 ••• •••• 89/);
    const failedAdds = await tdb
      .db('audit_events')
      .where({ activity: 'security_info.add', result: 'failed', reason: 'phone.codeSent' });
    assert.deepEqual(failedAdds, [], 'a code sent is not audited as a failed add');
    assert.match(r.text, /name="code"/, 'now the code form');
    assert.ok(!r.text.includes('2345'), 'the page never shows the number in full');
    const code = await codeInText(MOBILE);
    r = await br.post('/my/security-info/add/sms', { ...hiddenInputs(r.text), code }, srv.issuer);
    assert.equal(r.status, 302, alertText(r.text) ?? r.text.slice(0, 3000));
    r = await br.follow(r);
    assert.match(r.text, /The method was added/);
    assert.match(r.text, /\+81 ••• •••• 89/);
    const rows = await tdb.db('credentials').where({ kind: 'phone' });
    assert.equal(rows.length, 1);
    const data = typeof rows[0].data === 'string' ? JSON.parse(rows[0].data) : rows[0].data;
    assert.deepEqual(data, { e164: MOBILE, country: 'JP', type: 'mobile' });
    await deliverQueuedNotices(srv);
    const notice = await tdb
      .db('outbox')
      .where({ recipient: 'pat@example.com', purpose: 'notice.security_info_added' })
      .first();
    assert.ok(notice, 'the user is told by email');
    assert.ok(
      !notice.body_text.includes('2345-6789') && !notice.body_text.includes(MOBILE),
      'the notice shows the number masked',
    );
  });

  it('signs in with password + text message: amr pwd, sms, mfa', async () => {
    clock.advance(3600_000);
    const before = (await textsTo(MOBILE)).length;
    const f = await start();
    await submit(f, { username: 'pat', password });
    assert.equal(f.page.status, 200);
    assert.match(f.page.text, /Verify your identity/);
    // Nothing is sent on load, nor on reload or Back: the user asks.
    assert.match(f.page.text, /<button type="submit">Text me a code<\/button>/);
    assert.doesNotMatch(f.page.text, /name="code"/);
    const mfaUrl = f.page.url;
    for (let i = 0; i < 3; i++) assert.equal((await f.br.get(mfaUrl)).status, 200);
    assert.equal((await textsTo(MOBILE)).length, before, 'loading the page sent nothing');
    await submit(f);
    assert.equal((await textsTo(MOBILE)).length, before + 1, 'pressing Send sent exactly one text');
    assert.match(noticeText(f.page.text) ?? '', /We sent a code to \+81 ••• •••• 89/);
    assert.match(f.page.text, /We sent a text message with a 6-digit code to \+81 ••• •••• 89/);
    assert.match(f.page.text, /You can ask for a new code in 30 s\./);
    // "Send again" before the wait is over: refused, the wait shown, nothing sent.
    clock.advance(10_000);
    f.page = await f.br.follow(
      await f.br.post(new URL(mfaUrl).pathname, { ...hiddenInputs(f.page.text), resend: '1' }, srv.issuer),
    );
    assert.equal(alertText(f.page.text), 'You can ask for a new code in 20 s.');
    assert.equal((await textsTo(MOBILE)).length, before + 1, 'an early "send again" sent nothing');
    assert.equal((await f.br.get(mfaUrl)).status, 200);
    assert.equal((await textsTo(MOBILE)).length, before + 1, 'nor did a reload');
    assert.match(
      f.page.text,
      /href="\/interaction\/[^"]+\/mfa\/voice"/,
      'a phone call is offered as another way',
    );
    await submit(f, { code: await codeInText(MOBILE) });
    const c = await claims(f);
    assert.deepEqual(c.amr, ['pwd', 'sms', 'mfa']);
    assert.equal(c.acr, ACR_MFA);
    for (const claim of ['phone_number', 'phone_number_verified'])
      assert.ok(!(claim in c), `no ${claim} claim`);
    assert.ok(!JSON.stringify(c).includes('2345'), 'the number is in no claim');
  });

  it('signs in with password + phone call: amr pwd, tel, mfa', async () => {
    const f = await start();
    await submit(f, { username: 'pat', password });
    const voice = /href="(\/interaction\/[^"]+\/mfa\/voice)"/.exec(f.page.text)![1];
    f.page = await f.br.get(voice, srv.issuer);
    assert.equal(f.page.status, 200);
    assert.match(f.page.text, /Call me with a code/);
    await submit(f);
    assert.match(f.page.text, /We are calling \+81 ••• •••• 89/);
    const call = lastCall();
    assert.equal(call.to, MOBILE);
    assert.ok(!call.text.includes(codeInCall(call)), 'the lead-in is spoken, the code read separately');
    await submit(f, { code: codeInCall(call) });
    const c = await claims(f);
    assert.deepEqual(c.amr, ['pwd', 'tel', 'mfa']);
  });

  it('when a text cannot be sent, the page says so and offers the other methods', async () => {
    // Five texts and calls went to this number in the last hour: the per-number limit. A new hour.
    clock.advance(3600_000);
    failing.add('sms');
    try {
      const before = (await textsTo(MOBILE)).length;
      const f = await start();
      await submit(f, { username: 'pat', password });
      await submit(f);
      assert.match(f.page.text, /We couldn(?:'|&#39;)t send a text message\. Use another method/);
      assert.doesNotMatch(f.page.text, /name="code"/, 'no code to type');
      assert.match(f.page.text, /Sign in another way/);
      const voice = /href="(\/interaction\/[^"]+\/mfa\/voice)"/.exec(f.page.text);
      assert.ok(voice, 'the phone call is offered');
      assert.equal((await textsTo(MOBILE)).length, before, 'nothing went out');
      f.page = await f.br.get(voice[1], srv.issuer);
      await submit(f);
      await submit(f, { code: codeInCall(lastCall()) });
      assert.deepEqual((await claims(f)).amr, ['pwd', 'tel', 'mfa']);
    } finally {
      failing.delete('sms');
    }
  });

  it('adds an alternate email in the portal, after signing in again with a text message', async () => {
    clock.advance(3600_000);
    const br = new Browser();
    let r = await br.follow(await br.get('/my/security-info/add/email', srv.issuer));
    for (let i = 0; i < 4 && /\/interaction\//.test(r.url); i++) {
      const fields: Record<string, string> = { ...hiddenInputs(r.text) };
      if (/name="username"/.test(r.text)) Object.assign(fields, { username: 'pat', password });
      else fields.code = await codeInText(MOBILE);
      r = await br.follow(await br.post(formAction(r.text), fields, r.url));
    }
    assert.equal(new URL(r.url).pathname, '/my/security-info/add/email');
    r = await br.follow(
      await br.post(
        '/my/security-info/add/email',
        { ...hiddenInputs(r.text), address: 'PAT@example.com' },
        srv.issuer,
      ),
    );
    assert.equal(r.status, 400);
    assert.match(alertText(r.text) ?? '', /other than your account email/);
    r = await br.follow(
      await br.post(
        '/my/security-info/add/email',
        { ...hiddenInputs(r.text), address: 'pat.home@example.org' },
        srv.issuer,
      ),
    );
    assert.equal(r.status, 200, 'a code sent is a step, not an error');
    assert.equal(alertText(r.text), undefined, 'no error box');
    assert.match(noticeText(r.text) ?? '', /We sent a code to p•••@example\.org/);
    const mail = await tdb.db('outbox').where({ recipient: 'pat.home@example.org' }).first();
    assert.equal(mail.purpose, 'email.enroll_code');
    const code = /^\s+(\d{6})\s*$/m.exec(mail.body_text)![1];
    r = await br.post('/my/security-info/add/email', { ...hiddenInputs(r.text), code }, srv.issuer);
    assert.equal(r.status, 302, alertText(r.text));
    r = await br.follow(r);
    assert.match(r.text, /p•••@example\.org/);
  });

  it('resets the password with a text: the whole number first, then a code', async () => {
    const { br, r } = await identifyForReset(srv.issuer, 'pat');
    assert.equal(r.location, `${srv.issuer}/reset/verify`);
    let page = await br.get('/reset/verify', srv.issuer);
    assert.match(page.text, /href="\/reset\/verify\/sms"/);
    assert.match(page.text, /href="\/reset\/verify\/email"/);
    const before = (await textsTo(MOBILE)).length;
    page = await br.get('/reset/verify/sms', srv.issuer);
    assert.equal(page.status, 200);
    assert.match(page.text, /type your whole phone number/);
    assert.match(page.text, /ends in \+81 ••• •••• 89/);
    assert.doesNotMatch(page.text, /name="code"/);
    let res = await br.follow(
      await br.post(
        formAction(page.text),
        { ...hiddenInputs(page.text), country: 'JP', number: '090-2345-6780' },
        srv.issuer,
      ),
    );
    assert.equal(res.status, 400);
    assert.match(alertText(res.text) ?? '', /does not match/);
    assert.equal((await textsTo(MOBILE)).length, before, 'nothing sent for a wrong number');
    res = await br.follow(
      await br.post(
        formAction(res.text),
        { ...hiddenInputs(res.text), country: 'JP', number: '+81 90 2345 6789' },
        srv.issuer,
      ),
    );
    assert.equal(res.status, 200);
    assert.match(res.text, /We sent a text message with a 6-digit code/);
    const [text] = await textsTo(MOBILE);
    assert.equal(text.purpose, 'reset.code');
    res = await br.post(
      formAction(res.text),
      { ...hiddenInputs(res.text), code: await codeInText(MOBILE) },
      srv.issuer,
    );
    assert.equal(res.status, 302, alertText(res.text));
    page = await br.follow(res);
    assert.match(page.text, /Choose a new password/);
  });

  it('resets the password with the alternate email', async () => {
    const mails = async () => (await tdb.db('outbox').where({ purpose: 'email.code' })).length;
    const { br } = await identifyForReset(srv.issuer, 'pat');
    let page = await br.get('/reset/verify/email', srv.issuer);
    assert.equal(page.status, 200);
    assert.match(page.text, /Email me a code/);
    assert.equal(await mails(), 0, 'nothing is sent on load');
    page = await br.follow(await br.post(formAction(page.text), hiddenInputs(page.text), srv.issuer));
    assert.match(page.text, /We sent an email with a 6-digit code to p•••@example\.org/);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: 'pat.home@example.org', purpose: 'email.code' })
      .first();
    const code = /^\s+(\d{6})\s*$/m.exec(mail.body_text)![1];
    const res = await br.post(formAction(page.text), { ...hiddenInputs(page.text), code }, srv.issuer);
    assert.equal(res.status, 302, alertText(res.text));
    assert.match((await br.follow(res)).text, /Choose a new password/);
  });
});

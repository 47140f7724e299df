import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createDelivery } from '../../src/delivery/index.ts';
import { translator } from '../../src/i18n/index.ts';
import { createLogger } from '../../src/logger.ts';
import { questionKey } from '../../src/methods/questions/catalogue.ts';
import {
  alertText,
  Browser,
  decodeEntities,
  formAction,
  hiddenInputs,
  noticeText,
  type Resp,
} from '../helpers/browser.ts';
import { addVirtualAuthenticator, chromiumOrSkip } from '../helpers/chromium.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import {
  MAIL_FROM,
  type SmtpPeer,
  spokenDigits,
  startSmtpPeer,
  startTwilioPeer,
  type TwilioPeer,
} from '../helpers/peers.ts';
import { identifyForReset, registerAppInPortal } from '../helpers/reset.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool } from '../helpers/tools.ts';

/*
 * Every reset method as the one gate of a one-gate policy, with messages really sent: the server's
 * delivery is createDelivery configured with SMTP_URL and TWILIO_*, so email goes over SMTP to a real
 * smtp-server on loopback and texts and calls go through the Twilio SDK to a loopback API
 * (test/helpers/peers.ts). Codes are read where a person would find them: the text's body, the call's
 * script (the code read twice), the email; TOTP codes come from oathtool; the security key is
 * Chromium's virtual authenticator. The methods are registered in the portal; the outbox never holds a
 * message.
 */

const t = translator('en');

interface Person {
  login: string;
  password: string;
  /** The password the reset sets. */
  next: string;
  email: string;
  id?: string;
}

describe(`every method as a reset gate, over SMTP and Twilio (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let smtp: SmtpPeer;
  let twilio: TwilioPeer;
  let client: oidc.Configuration;
  const clock = new ManualClock(Date.now());

  const person = (login: string, next: string): Person => ({
    login,
    password: `old ${login} meadow bicycle 31`,
    next,
    email: `${login}@example.com`,
  });
  const ava = person('ava', 'lighthouse pepper canyon 5');
  const sam = person('sam', 'granite orchard lantern 62');
  const val = person('val', 'violet harbour engine 18');
  const eve = person('eve', 'copper meadow falcon 44');
  const quinn = person('quinn', 'silver tundra kettle 90');
  const kei = person('kei', 'amber glacier pocket 27');
  const fay = person('fay', 'crimson valley ladder 53');

  const SAM_MOBILE = { typed: '090-1111-2222', e164: '+819011112222' };
  const VAL_LANDLINE = { typed: '03-3123-4567', e164: '+81331234567' };
  const FAY_MOBILE = { typed: '090-3333-4444', e164: '+819033334444' };
  const EVE_ALTERNATE = 'eve.home@example.org';

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
    for (const channel of ['email', 'sms', 'voice'] as const)
      assert.equal(delivery.isLive(channel), true, `${channel} is sent, not kept in the outbox`);
    srv = await startTestServer({ db: tdb.db, clock, env, delivery });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'off');
    await setPolicy(srv, 'resetGatesRequired', 1);
    await setPolicy(srv, 'resetMethods', ['app', 'sms', 'voice', 'email', 'securityKey', 'questions']);
    // ORGANIZATION_COUNTRY is JP by default; the test numbers are Japanese.
    await setPolicy(srv, 'allowedPhoneCountries', ['JP']);
    for (const p of [ava, sam, val, eve, quinn, kei, fay]) {
      p.id = (await addUserViaCli(srv, p.login, p.password, ['--email', p.email])).id;
    }
    const c = await addClientViaCli(srv, ['methods-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    client = await discover(srv.issuer, c.clientId, c.secret);
  });

  after(async () => {
    await srv?.stop();
    await Promise.all([tdb?.drop(), smtp?.close(), twilio?.close()]);
  });

  // ---- reading what was sent ---------------------------------------------------------------------

  async function outboxIsEmpty() {
    const rows = await tdb.db('outbox').select('channel', 'purpose');
    assert.deepEqual(rows, [], 'nothing went to the outbox: every message left through SMTP or Twilio');
  }

  /** The code in the last text to `e164`, which came from TWILIO_FROM. */
  function codeInText(e164: string): string {
    const m = twilio.messages.filter((x) => x.to === e164).at(-1);
    assert.ok(m, `a text message to ${e164}`);
    assert.equal(m.from, twilio.from);
    const code = /\b(\d{6})\b/.exec(m.body)?.[1];
    assert.ok(code, `a 6-digit code in "${m.body}"`);
    return code;
  }

  /** The code the last call to `e164` read out: digit by digit, the same digits twice. */
  function codeInCall(e164: string): string {
    const call = twilio.calls.filter((x) => x.to === e164).at(-1);
    assert.ok(call, `a call to ${e164}`);
    assert.equal(call.from, twilio.from);
    const read = spokenDigits(call.twiml);
    assert.equal(read.length, 2, `the code is read twice: ${call.twiml}`);
    assert.equal(read[0], read[1]);
    assert.match(read[0], /^\d{6}$/);
    assert.ok(!call.twiml.includes(read[0]), 'the code is never read as one number');
    return read[0];
  }

  /** The code in the last email to `address`, parsed as it arrived over SMTP. */
  function codeInMail(address: string, subject = t('emailMethod.mail.subject', { org: 'Tobira' })): string {
    const m = smtp.messagesTo(address).at(-1);
    assert.ok(m, `an email to ${address}`);
    assert.equal(m.mail.subject, subject);
    const code = /^\s+(\d{6})\s*$/m.exec(m.mail.text ?? '')?.[1];
    assert.ok(code, `a code in the email's text: ${m.mail.text}`);
    assert.match(String(m.mail.html), new RegExp(`<strong>${code}</strong>`), 'and in its HTML part');
    return code;
  }

  // ---- the portal ---------------------------------------------------------------------------------

  /** Opens /my/security-info/add/<kind>, signing in with the password when the portal asks. */
  async function openAddPage(p: Person, kind: string, br = new Browser()): Promise<{ br: Browser; r: Resp }> {
    let r = await br.follow(await br.get(`/my/security-info/add/${kind}`, srv.issuer));
    for (let i = 0; i < 3 && /\/interaction\//.test(r.url); i++) {
      r = await br.follow(
        await br.post(
          formAction(r.text),
          { ...hiddenInputs(r.text), username: p.login, password: p.password },
          r.url,
        ),
      );
    }
    assert.equal(r.status, 200, `the add page for ${kind}`);
    assert.equal(new URL(r.url).pathname, `/my/security-info/add/${kind}`);
    return { br, r };
  }

  async function added(br: Browser, r: Resp) {
    assert.equal(r.status, 302, alertText(r.text) ?? r.text.slice(0, 2000));
    const page = await br.follow(r);
    assert.match(page.text, /The method was added/);
  }

  /**
   * Registers a phone (the portal adds phones on one page, /add/sms, for texts and calls): the number,
   * its type and the channel for the code, then the code the text or the call brought.
   */
  async function registerPhone(
    p: Person,
    via: 'sms' | 'voice',
    phone: { typed: string; e164: string },
    type: 'mobile' | 'alternate',
    br?: Browser,
  ) {
    const open = await openAddPage(p, 'sms', br);
    let r = open.r;
    const [texts, calls] = [twilio.messages.length, twilio.calls.length];
    r = await open.br.post(
      '/my/security-info/add/sms',
      { ...hiddenInputs(r.text), country: 'JP', number: phone.typed, type, via },
      srv.issuer,
    );
    assert.equal(r.status, 200, 'a code sent is a step, not an error');
    assert.equal(alertText(r.text), undefined, 'no error box');
    assert.match(noticeText(r.text) ?? '', /We sent a code to/);
    assert.equal(twilio.messages.length, texts + (via === 'sms' ? 1 : 0));
    assert.equal(twilio.calls.length, calls + (via === 'voice' ? 1 : 0));
    const code = via === 'sms' ? codeInText(phone.e164) : codeInCall(phone.e164);
    r = await open.br.post('/my/security-info/add/sms', { ...hiddenInputs(r.text), code }, srv.issuer);
    await added(open.br, r);
    const rows = await tdb.db('credentials').where({ user_id: p.id, kind: 'phone' });
    const data = rows.map((x: { data: unknown }) =>
      typeof x.data === 'string' ? JSON.parse(x.data) : x.data,
    );
    assert.ok(
      data.some((d: { e164: string }) => d.e164 === phone.e164),
      'the phone is stored',
    );
  }

  /** Registers as many predefined questions as the form asks for; returns question text (English) → answer. */
  async function registerQuestions(p: Person, br?: Browser): Promise<Map<string, string>> {
    const open = await openAddPage(p, 'questions', br);
    const answers = new Map<string, string>();
    const slots = new Set([...open.r.text.matchAll(/<select[^>]* name="question(\d+)"/g)].map((m) => m[1]))
      .size;
    assert.ok(slots >= 1, 'question slots on the form');
    const ids = [
      ...new Set([...open.r.text.matchAll(/<option value="(q\.[a-z_]+)"/g)].map((m) => m[1])),
    ].slice(0, slots);
    const form: Record<string, string> = { ...hiddenInputs(open.r.text) };
    ids.forEach((id, i) => {
      const answer = `${p.login} answer number ${i + 1}`;
      form[`question${i + 1}`] = id;
      form[`answer${i + 1}`] = answer;
      answers.set(t(questionKey(id as never) as never), answer);
    });
    await added(open.br, await open.br.post('/my/security-info/add/questions', form, srv.issuer));
    return answers;
  }

  /** The answers to the questions drawn on a reset page. */
  function answerQuestions(html: string, answers: Map<string, string>): Record<string, string> {
    const form: Record<string, string> = { ...hiddenInputs(html) };
    const labels = [...html.matchAll(/<label for="questions-verify-answer-(\d+)">([^<]+)<\/label>/g)];
    assert.ok(labels.length > 0, 'questions are drawn');
    for (const m of labels) {
      const answer = answers.get(decodeEntities(m[2]).trim());
      assert.ok(answer, `an answer for "${m[2]}"`);
      form[`answer${m[1]}`] = answer;
    }
    return form;
  }

  // ---- the reset ----------------------------------------------------------------------------------

  /**
   * /reset → the user ID and the proof of work → the method `kind` among those offered → `gate` (which
   * returns the response to the method's last post) → the new password → done. Then the notice has reached every
   * address in `noticeTo` over SMTP, one message each, and the new password signs in.
   */
  async function resetThrough(
    p: Person,
    kind: string,
    gate: (br: Browser, methodPage: Resp) => Promise<Resp>,
    opts: { noticeTo?: string[]; methods?: string[] } = {},
  ) {
    const noticeTo = opts.noticeTo ?? [p.email];
    const { br, r } = await identifyForReset(srv.issuer, p.login);
    assert.equal(r.status, 302, `${p.login} may reset: ${alertText(r.text) ?? r.text.slice(0, 500)}`);
    assert.equal(r.location, `${srv.issuer}/reset/verify`);
    const verify = await br.get('/reset/verify', srv.issuer);
    assert.match(verify.text, /Verification step 1 of 1/);
    const offered = [...verify.text.matchAll(/href="\/reset\/verify\/([A-Za-z]+)"/g)].map((m) => m[1]);
    assert.ok(offered.includes(kind), `${kind} is offered (${offered.join(', ')})`);

    const methodPage = await br.get(`/reset/verify/${kind}`, srv.issuer);
    assert.equal(methodPage.status, 200, alertText(methodPage.text));
    const last = await gate(br, methodPage);
    assert.equal(last.status, 302, alertText(last.text) ?? last.text.slice(0, 2000));
    const page = await br.follow(last);
    assert.equal(new URL(page.url).pathname, '/reset/password', 'one gate is enough');
    assert.match(page.text, /Choose a new password/);

    // Earlier notices (the portal's, for the methods just registered) go out first.
    await deliverQueuedNotices(srv);
    const mails = smtp.messages.length;
    const done = await br.post(
      '/reset/password',
      { ...hiddenInputs(page.text), password: p.next, confirm: p.next },
      srv.issuer,
    );
    assert.equal(done.status, 200, alertText(done.text));
    assert.match(done.text, /Your password was reset/);

    await deliverQueuedNotices(srv);
    const notices = smtp.messages.slice(mails);
    assert.deepEqual(
      notices.map((m) => m.to).sort(),
      noticeTo.map((a) => [a]).sort(),
      'one notice to each registered address, each its own message',
    );
    for (const n of notices) {
      assert.equal(n.mail.subject, t('notice.passwordReset.subject'));
      assert.ok(n.mail.text?.includes(p.login), 'the notice names the account');
    }
    const audit = await tdb.db('audit_events').where({ activity: 'reset.complete', subject_id: p.id });
    assert.equal(audit.length, 1);
    const details = typeof audit[0].details === 'string' ? JSON.parse(audit[0].details) : audit[0].details;
    assert.deepEqual(details.methods, opts.methods ?? [kind]);

    await signsInWithNewPassword(p);
    await outboxIsEmpty();
  }

  /** The old password is refused; the new one signs in to an app (code flow, PKCE). */
  async function signsInWithNewPassword(p: Person) {
    const br = new Browser();
    const url = oidc.buildAuthorizationUrl(client, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const page = await br.follow(await br.get(url.href), REDIRECT_URI);
    const refused = await br.follow(
      await br.post(
        formAction(page.text),
        { ...hiddenInputs(page.text), username: p.login, password: p.password },
        page.url,
      ),
      REDIRECT_URI,
    );
    assert.ok(!refused.location?.startsWith(REDIRECT_URI), 'the old password no longer signs in');
    const { tokens } = await codeFlow(client, { username: p.login, password: p.next }, { scope: 'openid' });
    assert.equal(tokens.claims()?.sub, p.id, 'signed in with the new password');
  }

  /** The reset's phone step: the whole number first (nothing is sent before), then the code form. */
  async function typeWholeNumber(
    br: Browser,
    page: Resp,
    via: 'sms' | 'voice',
    phone: { e164: string },
    typed: string,
  ) {
    assert.match(page.text, /type your whole phone number/);
    assert.doesNotMatch(page.text, /name="code"/, 'no code before the number');
    assert.ok(!page.text.includes(phone.e164.slice(3, 9)), 'the page shows the number masked');
    const sent = [twilio.messages.length, twilio.calls.length];
    const wrong = await br.post(
      formAction(page.text),
      {
        ...hiddenInputs(page.text),
        country: 'JP',
        number: typed.replace(/\d$/, (d) => String((Number(d) + 1) % 10)),
      },
      srv.issuer,
    );
    assert.equal(wrong.status, 400);
    assert.equal(alertText(wrong.text), t('phone.numberMismatch'));
    assert.deepEqual([twilio.messages.length, twilio.calls.length], sent, 'nothing sent for a wrong number');
    const r = await br.post(
      formAction(wrong.text),
      { ...hiddenInputs(wrong.text), country: 'JP', number: typed },
      srv.issuer,
    );
    assert.equal(r.status, 200, alertText(r.text));
    assert.match(r.text, via === 'sms' ? /We sent a text message with a 6-digit code/ : /We are calling/);
    assert.match(r.text, /name="code"/);
    assert.deepEqual(
      [twilio.messages.length, twilio.calls.length],
      via === 'sms' ? [sent[0] + 1, sent[1]] : [sent[0], sent[1] + 1],
      'one message on the chosen channel',
    );
    return r;
  }

  // ---- the gates ------------------------------------------------------------------------------------

  it('authenticator app: a TOTP code from oathtool', async (tc) => {
    if (!requireTool(tc, OATHTOOL, 'oathtool')) return;
    const secret = await registerAppInPortal(srv.issuer, ava.login, ava.password, clock);
    await resetThrough(ava, 'app', async (br, page) => {
      assert.match(page.text, /name="code"/);
      clock.advance(30_000); // a time step whose code was not used to register
      return br.post(
        formAction(page.text),
        { ...hiddenInputs(page.text), code: oathtoolCode(secret, clock.now()) },
        srv.issuer,
      );
    });
  });

  it('text message: the whole number, then the code from the text Twilio was handed', async () => {
    await registerPhone(sam, 'sms', SAM_MOBILE, 'mobile');
    await resetThrough(sam, 'sms', async (br, page) => {
      const r = await typeWholeNumber(br, page, 'sms', SAM_MOBILE, '+81 90 1111 2222');
      const body = twilio.messages.at(-1)!.body;
      assert.match(body, /is your Tobira verification code/);
      return br.post(
        formAction(r.text),
        { ...hiddenInputs(r.text), code: codeInText(SAM_MOBILE.e164) },
        srv.issuer,
      );
    });
  });

  it("phone call: the whole number, then the code read twice in the call's TwiML", async () => {
    // A landline as the alternate phone: it takes calls, not texts.
    await registerPhone(val, 'voice', VAL_LANDLINE, 'alternate');
    await resetThrough(val, 'voice', async (br, page) => {
      const r = await typeWholeNumber(br, page, 'voice', VAL_LANDLINE, VAL_LANDLINE.typed);
      const twiml = twilio.calls.at(-1)!.twiml;
      assert.ok(
        twiml.includes(
          `<Say language="en-US" voice="Polly.Joanna">${t('phone.voice.text', { org: 'Tobira' })}</Say>`,
        ),
      );
      return br.post(
        formAction(r.text),
        { ...hiddenInputs(r.text), code: codeInCall(VAL_LANDLINE.e164) },
        srv.issuer,
      );
    });
  });

  it('email: the code from the message the SMTP server received; the notice reaches both addresses', async () => {
    const open = await openAddPage(eve, 'email');
    let r = await open.br.post(
      '/my/security-info/add/email',
      { ...hiddenInputs(open.r.text), address: EVE_ALTERNATE },
      srv.issuer,
    );
    assert.equal(r.status, 200, 'a code sent is a step, not an error');
    assert.equal(alertText(r.text), undefined, 'no error box');
    assert.match(noticeText(r.text) ?? '', /We sent a code to e•••@example\.org/);
    r = await open.br.post(
      '/my/security-info/add/email',
      { ...hiddenInputs(r.text), code: codeInMail(EVE_ALTERNATE) },
      srv.issuer,
    );
    await added(open.br, r);

    await resetThrough(
      eve,
      'email',
      async (br, shown) => {
        assert.match(shown.text, /Email me a code/, 'nothing is sent before the user asks');
        const page = await br.post(formAction(shown.text), hiddenInputs(shown.text), srv.issuer);
        assert.match(page.text, /We sent an email with a 6-digit code to e•••@example\.org/);
        const [sent] = smtp.messagesTo(EVE_ALTERNATE).slice(-1);
        assert.equal(sent.mail.headers.get('content-language'), 'en');
        assert.deepEqual(sent.mail.from?.value, [{ name: 'Tobira Test', address: 'no-reply@tobira.test' }]);
        return br.post(
          formAction(page.text),
          { ...hiddenInputs(page.text), code: codeInMail(EVE_ALTERNATE) },
          srv.issuer,
        );
      },
      { noticeTo: [eve.email, EVE_ALTERNATE] },
    );
  });

  it('security questions: the answers registered in the portal', async () => {
    const answers = await registerQuestions(quinn);
    await resetThrough(quinn, 'questions', (br, page) =>
      br.post(formAction(page.text), answerQuestions(page.text, answers), srv.issuer),
    );
  });

  it('security key: registered and used in Chromium with a virtual authenticator', async (tc) => {
    const browser = await chromiumOrSkip(tc);
    if (!browser) return;
    const errors: string[] = [];
    try {
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      page.setDefaultNavigationTimeout(20_000);
      page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
      const key = await addVirtualAuthenticator(page, {
        protocol: 'ctap2',
        transport: 'usb',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      });
      const at = (path: string) => `${srv.issuer}${path}`;
      const onPath = (path: string) => page.waitForURL((u) => u.origin === srv.issuer && u.pathname === path);

      // The portal: the password, then the key.
      await page.goto(at('/my/security-info/add/securityKey'));
      await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
      await page.fill('#username', kei.login);
      await page.fill('#password', kei.password);
      await page.click('form[action$="/login"] button[type="submit"]');
      await onPath('/my/security-info/add/securityKey');
      await page.fill('#securityKey-name', 'Desk key');
      await page.click('form[data-webauthn="register"] button[data-webauthn-start]');
      await page.waitForURL(
        (u) => u.pathname === '/my/security-info' && u.searchParams.get('done') === 'added',
      );
      const held = await key.credentials();
      assert.equal(held.length, 1, 'the authenticator holds the new credential');
      const signCount = held[0].signCount;

      // The reset: the user ID, the widget's proof of work, the key, the new password.
      // Earlier notices (the portal's, for the methods just registered) go out first.
      await deliverQueuedNotices(srv);
      const mails = smtp.messages.length;
      await page.goto(at('/reset'));
      await page.fill('#username', kei.login);
      await solvePowInBrowser(page);
      await page.click('form[action="/reset"] button[type="submit"]');
      await onPath('/reset/verify');
      assert.match((await page.locator('main').textContent()) ?? '', /Verification step 1 of 1/);
      await page.click('main a[href="/reset/verify/securityKey"]');
      await onPath('/reset/verify/securityKey');
      await page.click('form[data-webauthn="authenticate"] button[data-webauthn-start]:enabled');
      await onPath('/reset/password');
      assert.equal((await page.locator('h1').textContent())?.trim(), t('reset.password.title'));
      assert.ok((await key.credentials())[0].signCount > signCount, 'the key signed');
      await page.fill('#password', kei.next);
      await page.fill('#confirm', kei.next);
      await page.click('form[action="/reset/password"] button[type="submit"]');
      await page.locator('h1', { hasText: t('reset.done.title') }).waitFor();

      await deliverQueuedNotices(srv);
      const notices = smtp.messages
        .slice(mails)
        .filter((m) => m.mail.subject === t('notice.passwordReset.subject'));
      assert.deepEqual(
        notices.map((m) => m.to),
        [[kei.email]],
      );
      const audit = await tdb.db('audit_events').where({ activity: 'reset.complete', subject_id: kei.id });
      const details = typeof audit[0].details === 'string' ? JSON.parse(audit[0].details) : audit[0].details;
      assert.deepEqual(details.methods, ['securityKey']);

      // The new password signs in to the demo app in the same browser.
      await page.goto(at('/demo/login'));
      await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
      await page.fill('#username', kei.login);
      await page.fill('#password', kei.next);
      await page.click('form[action$="/login"] button[type="submit"]');
      await onPath('/demo');
      const claims = JSON.parse((await page.locator('pre.claims').textContent()) ?? '{}');
      assert.equal(claims.sub, kei.id);
      assert.deepEqual(errors, [], 'no script errors on our pages');
      await context.close();
    } finally {
      await browser.close();
    }
    await signsInWithNewPassword(kei);
    await outboxIsEmpty();
  });

  /**
   * Lets the altcha widget solve in the page, as a person sets it off: focusing the form (the widget
   * runs with auto="onfocus"); should that not start it, a real mouse click at the centre of its check
   * box. Done when the hidden `altcha` field holds the solution.
   */
  async function solvePowInBrowser(page: Page) {
    await page.waitForFunction(() => (globalThis as any).$altcha?.algorithms?.has('PBKDF2/SHA-256'));
    const box = page.locator('altcha-widget input[type="checkbox"]');
    await box.waitFor();
    const solved = (timeout: number) =>
      page
        .waitForFunction(
          () => {
            const f = document.querySelector('form[action="/reset"]') as HTMLFormElement | null;
            const v = f ? new FormData(f).get('altcha') : null;
            return typeof v === 'string' && v.length > 0;
          },
          undefined,
          { timeout },
        )
        .then(
          () => true,
          () => false,
        );
    // The user ID field had the focus already (autofocus): moving it to the button is a focus-in
    // within the form that the widget sees.
    await page.locator('form[action="/reset"] button[type="submit"]').focus();
    if (await solved(15_000)) return;
    const state = () =>
      page
        .locator('altcha-widget [data-state]')
        .first()
        .getAttribute('data-state')
        .catch(() => null);
    if ((await state()) !== 'verifying' && !(await box.isChecked())) {
      const b = await box.boundingBox();
      assert.ok(b, 'the check box is on screen');
      await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
    }
    assert.ok(await solved(60_000), `the proof of work was solved (widget state: ${await state()})`);
  }

  // ---- a message that cannot be delivered ---------------------------------------------------------

  it('when Twilio answers 500 for the text, the page says so and offers the other methods', async () => {
    const br = new Browser();
    const answers = await registerQuestions(fay, br);
    await registerPhone(fay, 'sms', FAY_MOBILE, 'mobile', br);

    await resetThrough(
      fay,
      'sms',
      async (rb, page) => {
        assert.match(page.text, /type your whole phone number/);
        const [texts, requests] = [twilio.messages.length, twilio.requests.length];
        twilio.state.mode = 'error500';
        twilio.state.only = 'Messages';
        let r: Resp;
        try {
          r = await rb.post(
            formAction(page.text),
            { ...hiddenInputs(page.text), country: 'JP', number: FAY_MOBILE.typed },
            srv.issuer,
          );
        } finally {
          twilio.state.mode = 'ok';
          twilio.state.only = undefined;
        }
        assert.equal(r.status, 200);
        assert.equal(alertText(r.text), t('phone.smsFailed'));
        assert.doesNotMatch(r.text, /name="code"/, 'no code to type');
        assert.match(r.text, new RegExp(`<a href="/reset/verify">${t('reset.method.others')}</a>`));
        assert.deepEqual(
          twilio.requests.slice(requests).map((x) => [x.resource, x.form.get('To')]),
          [['Messages', FAY_MOBILE.e164]],
          'Twilio was asked once, and answered 500',
        );
        assert.equal(twilio.messages.length, texts, 'no text went out');
        await outboxIsEmpty();

        // "Choose another method": the questions.
        const verify = await rb.get('/reset/verify', srv.issuer);
        assert.match(verify.text, /href="\/reset\/verify\/questions"/);
        const questions = await rb.get('/reset/verify/questions', srv.issuer);
        return rb.post(formAction(questions.text), answerQuestions(questions.text, answers), srv.issuer);
      },
      { methods: ['questions'] },
    );
  });
});

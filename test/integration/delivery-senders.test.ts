import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import {
  createDelivery,
  DeliveryError,
  isSafeEmailRecipient,
  type Message,
  SmtpSender,
  TwilioSmsSender,
  TwilioVoiceSender,
  voiceTwiml,
} from '../../src/delivery/index.ts';
import { createLogger } from '../../src/logger.ts';
import { listOutbox } from '../../src/store/outbox.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  listenOnLoopback,
  loopbackTwilioClient,
  MAIL_FROM,
  type ReceivedMail,
  SMTP_PASS,
  SMTP_USER,
  type SmtpPeer,
  spokenDigits,
  startSmtpPeer,
  startTwilioPeer,
  TWILIO_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN,
  TWILIO_FROM,
  type TwilioPeer,
} from '../helpers/peers.ts';

/** A pino destination that keeps every line, so a test can read what was logged. */
function captureLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines, text: () => lines.join('\n') };
}

/** Expects a DeliveryError with this code; returns it for further checks. */
async function rejectsWith(p: Promise<unknown>, code: DeliveryError['code']): Promise<DeliveryError> {
  let caught: unknown;
  await assert.rejects(p, (err: unknown) => {
    caught = err;
    assert.ok(err instanceof DeliveryError, `expected a DeliveryError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code} (${err.message})`);
    return true;
  });
  return caught as DeliveryError;
}

// The SMTP server and the Twilio API these tests talk to are the loopback peers of test/helpers/peers.ts.

/** A TCP peer that misbehaves: drops every connection at once, or accepts and never says a word. */
async function startBadPeer(kind: 'drop' | 'silent') {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (kind === 'drop') socket.destroy();
  });
  const port = await listenOnLoopback(server);
  return {
    url: `smtp://${SMTP_USER}:x@127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const MESSAGING_SERVICE = `MG${'fedcba9876543210'.repeat(2)}`;

// ---------------------------------------------------------------------------------------------

describe(`delivery senders (${backendName})`, () => {
  describe('SMTP (nodemailer against smtp-server)', () => {
    let smtp: SmtpPeer;
    let sender: SmtpSender;
    before(async () => {
      smtp = await startSmtpPeer();
      sender = new SmtpSender({ url: smtp.url, from: MAIL_FROM, timeoutMs: 2_000 });
    });
    after(async () => {
      sender.close();
      await smtp.close();
    });

    it('delivers a multipart message with the expected headers, after authenticating', async () => {
      const before = smtp.messages.length;
      const sentAt = Date.now();
      await sender.send({
        channel: 'email',
        to: 'alice@example.com',
        locale: 'en',
        subject: 'Your password was changed',
        text: 'Hello Alice,\nThe password of your account alice was changed.\n',
        html: '<!doctype html><html lang="en"><body><p>Hello Alice,</p><p>The password was changed.</p></body></html>',
        purpose: 'notice.password_changed',
      });
      assert.equal(smtp.messages.length, before + 1);
      const { mail, envelope, user } = smtp.messages.at(-1) as ReceivedMail;
      assert.equal(user, SMTP_USER, 'the session authenticated');
      assert.deepEqual(
        envelope.rcptTo.map((r) => r.address),
        ['alice@example.com'],
      );
      assert.equal(envelope.mailFrom === false ? false : envelope.mailFrom.address, 'no-reply@tobira.test');
      assert.equal(mail.from?.text, '"Tobira Test" <no-reply@tobira.test>');
      assert.deepEqual(mail.from?.value, [{ name: 'Tobira Test', address: 'no-reply@tobira.test' }]);
      const to = Array.isArray(mail.to) ? mail.to : [mail.to];
      assert.deepEqual(to[0]?.value, [{ name: '', address: 'alice@example.com' }]);
      assert.equal(mail.subject, 'Your password was changed');
      assert.ok(mail.date instanceof Date);
      assert.ok(Math.abs(mail.date.getTime() - sentAt) < 60_000, 'Date is now');
      assert.match(mail.messageId ?? '', /^<[^<>@\s]+@tobira\.test>$/);
      assert.equal(mail.headers.get('content-language'), 'en');
      const ct = mail.headers.get('content-type') as { value: string };
      assert.equal(ct.value, 'multipart/alternative');
      assert.equal(mail.text, 'Hello Alice,\nThe password of your account alice was changed.\n');
      assert.match(mail.html || '', /<p>Hello Alice,<\/p><p>The password was changed\.<\/p>/);
      assert.equal(mail.headers.has('bcc'), false);
    });

    it('keeps a Japanese message intact (UTF-8 subject, text and HTML)', async () => {
      const subject = 'パスワードが変更されました — 株式会社テスト';
      const text =
        '花子 様\n\nアカウント hanako のパスワードが変更されました。\n日時: 2026年1月15日木曜日 12:04\n';
      const html =
        '<!doctype html><html lang="ja"><body><p>花子 様</p><p>パスワードが変更されました。</p></body></html>';
      await sender.send({
        channel: 'email',
        to: 'hanako@example.jp',
        locale: 'ja',
        subject,
        text,
        html,
        purpose: 'notice.password_changed',
      });
      const { mail } = smtp.messages.at(-1) as ReceivedMail;
      assert.equal(mail.subject, subject);
      assert.equal(mail.text, text);
      assert.match(mail.html || '', /<p>花子 様<\/p><p>パスワードが変更されました。<\/p>/);
      assert.equal(mail.headers.get('content-language'), 'ja');
    });

    it('sends a text-only message when there is no HTML part', async () => {
      await sender.send({
        channel: 'email',
        to: 'plain@example.com',
        locale: 'en',
        subject: 'Code',
        text: 'Your code is 482913\n',
        purpose: 'reset.code',
      });
      const { mail } = smtp.messages.at(-1) as ReceivedMail;
      assert.equal((mail.headers.get('content-type') as { value: string }).value, 'text/plain');
      assert.equal(mail.text, 'Your code is 482913\n');
      assert.equal(mail.html, false);
    });

    it('refuses header injection and malformed recipients before connecting', async () => {
      const connections = smtp.stats.connections;
      const received = smtp.messages.length;
      const base: Message = {
        channel: 'email',
        to: 'a@example.com',
        locale: 'en',
        subject: 'Hi',
        text: 'body',
        purpose: 'test',
      };
      const badRecipients = [
        'a@example.com\r\nBcc: x@evil.example',
        'a@example.com\nBcc: x@evil.example',
        'a@example.com\rBcc: x@evil.example',
        'a@example.com, b@example.com',
        'a@example.com,b@example.com',
        'a@example.com; b@example.com',
        'Alice <a@example.com>',
        '"a@example.com" <x@evil.example>',
        'a@b@example.com',
        'a@example.com\u0000',
        ' a@example.com',
        'a@',
        '@example.com',
        'no-at-sign',
        `${'a'.repeat(65)}@example.com`,
        `a@${`${'b'.repeat(63)}.`.repeat(4)}example`, // 265 characters
        '',
      ];
      for (const to of badRecipients) {
        assert.equal(isSafeEmailRecipient(to), false, JSON.stringify(to));
        const err = await rejectsWith(sender.send({ ...base, to }), 'delivery.rejected');
        assert.equal(err.retryable, false);
        assert.ok(!err.message.includes('evil'), 'the error does not repeat the recipient');
      }
      for (const subject of ['Hi\r\nBcc: x@evil.example', 'Hi\nX-Injected: 1', 'Hi\u0007']) {
        await rejectsWith(sender.send({ ...base, subject }), 'delivery.rejected');
      }
      await rejectsWith(sender.send({ ...base, channel: 'sms' }), 'delivery.rejected');
      assert.equal(smtp.stats.connections, connections, 'nothing reached the server');
      assert.equal(smtp.messages.length, received);

      for (const ok of [
        'a@example.com',
        'first.last+tag@mail.example.co.jp',
        "o'brien@example.org",
        'x@例え.jp',
      ]) {
        assert.equal(isSafeEmailRecipient(ok), true, ok);
      }
      assert.equal(
        isSafeEmailRecipient(`${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}`),
        true,
      );
    });

    it('refuses a recipient the server rejects for good (delivery.rejected)', async () => {
      const err = await rejectsWith(
        sender.send({
          channel: 'email',
          to: 'ghost@refused.example',
          locale: 'en',
          subject: 'Hi',
          text: 'body',
          purpose: 'test',
        }),
        'delivery.rejected',
      );
      assert.match(err.message, /550/);
      assert.ok(!err.message.includes('ghost'), 'no address in the error');
    });

    it('reports bad credentials as delivery.failed without leaking them', async () => {
      const log = captureLog();
      const wrong = new SmtpSender({
        url: smtp.urlWith(SMTP_USER, 'wrong-secret-pw'),
        from: MAIL_FROM,
        timeoutMs: 2_000,
        logger: log.logger,
      });
      const failures = smtp.stats.authFailures;
      const err = await rejectsWith(
        wrong.send({
          channel: 'email',
          to: 'bob.private@example.com',
          locale: 'en',
          subject: 'Code',
          text: 'Your code is 777111',
          purpose: 'reset.code',
        }),
        'delivery.failed',
      );
      wrong.close();
      assert.equal(err.retryable, true);
      assert.equal(smtp.stats.authFailures, failures + 1);
      assert.match(err.message, /EAUTH/);
      for (const leak of ['wrong-secret-pw', '777111', 'bob.private']) {
        assert.ok(!err.message.includes(leak), `error holds ${leak}`);
        assert.ok(!log.text().includes(leak), `log holds ${leak}`);
      }
      assert.match(log.text(), /"to":"b\*\*\*@example\.com"/);
    });

    it('fails fast when the server drops the connection (delivery.failed)', async () => {
      const peer = await startBadPeer('drop');
      const s = new SmtpSender({ url: peer.url, from: MAIL_FROM, timeoutMs: 300 });
      try {
        const started = Date.now();
        await rejectsWith(
          s.send({
            channel: 'email',
            to: 'a@example.com',
            locale: 'en',
            subject: 's',
            text: 't',
            purpose: 'test',
          }),
          'delivery.failed',
        );
        assert.ok(Date.now() - started < 2_000);
      } finally {
        s.close();
        await peer.close();
      }
    });

    it('gives up on a server that never greets (delivery.timeout)', async () => {
      const peer = await startBadPeer('silent');
      const s = new SmtpSender({ url: peer.url, from: MAIL_FROM, timeoutMs: 300 });
      try {
        const started = Date.now();
        const err = await rejectsWith(
          s.send({
            channel: 'email',
            to: 'a@example.com',
            locale: 'en',
            subject: 's',
            text: 't',
            purpose: 'test',
          }),
          'delivery.timeout',
        );
        assert.equal(err.retryable, true);
        const took = Date.now() - started;
        assert.ok(took >= 250 && took < 2_000, `took ${took} ms`);
      } finally {
        s.close();
        await peer.close();
      }
    });

    it('fails on a closed port (delivery.failed)', async () => {
      const probe = net.createServer();
      const port = await listenOnLoopback(probe);
      await new Promise<void>((r) => probe.close(() => r()));
      const s = new SmtpSender({ url: `smtp://u:p@127.0.0.1:${port}`, from: MAIL_FROM, timeoutMs: 300 });
      await rejectsWith(
        s.send({
          channel: 'email',
          to: 'a@example.com',
          locale: 'en',
          subject: 's',
          text: 't',
          purpose: 'test',
        }),
        'delivery.failed',
      );
      s.close();
    });
  });

  describe('Twilio (the real SDK against a loopback API)', () => {
    let api: TwilioPeer;
    let log: ReturnType<typeof captureLog>;
    const opts = () => ({
      accountSid: TWILIO_ACCOUNT_SID,
      authToken: TWILIO_AUTH_TOKEN,
      from: TWILIO_FROM,
      httpClient: loopbackTwilioClient(api.base),
      logger: log.logger,
    });
    before(async () => {
      api = await startTwilioPeer();
    });
    after(() => api.close());
    beforeEach(() => {
      api.state.mode = 'ok';
      api.requests.length = 0;
      log = captureLog();
    });

    const sms: Message = {
      channel: 'sms',
      to: '+819012345678',
      locale: 'ja',
      text: 'Tobira の確認コード: 305917',
      code: '305917',
      purpose: 'reset.code',
    };
    const voice: Message = {
      channel: 'voice',
      to: '+819012345678',
      locale: 'en',
      text: 'Your Tobira verification code is',
      code: '907311',
      purpose: 'reset.code',
    };

    it('sends a text message through Programmable Messaging', async () => {
      await new TwilioSmsSender(opts()).send(sms);
      assert.equal(api.requests.length, 1);
      const [r] = api.requests;
      assert.equal(r.method, 'POST');
      assert.equal(r.path, `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages.json`);
      assert.equal(r.authorized, true, 'basic auth with AccountSid:AuthToken');
      assert.match(r.contentType ?? '', /^application\/x-www-form-urlencoded/);
      assert.match(r.userAgent ?? '', /^twilio-node\/6\./, 'the request was built by the SDK');
      assert.equal(r.form.get('To'), '+819012345678');
      assert.equal(r.form.get('From'), TWILIO_FROM);
      assert.equal(r.form.get('MessagingServiceSid'), null);
      assert.equal(r.form.get('Body'), 'Tobira の確認コード: 305917');
      const logged = log.text();
      assert.match(logged, /"to":"\+81\*{8}78"/);
      assert.match(logged, /"sid":"SM[0-9a-f]{32}"/);
      for (const leak of ['305917', '9012345678', TWILIO_AUTH_TOKEN])
        assert.ok(!logged.includes(leak), `log holds ${leak}`);
    });

    it('sends from a messaging service when TWILIO_FROM is an MG... SID', async () => {
      await new TwilioSmsSender({ ...opts(), from: MESSAGING_SERVICE }).send(sms);
      const [r] = api.requests;
      assert.equal(r.form.get('MessagingServiceSid'), MESSAGING_SERVICE);
      assert.equal(r.form.get('From'), null);
      assert.throws(() => new TwilioVoiceSender({ ...opts(), from: MESSAGING_SERVICE }), /E\.164/);
    });

    it('places a call whose TwiML reads the code digit by digit, twice, in English', async () => {
      await new TwilioVoiceSender(opts()).send(voice);
      assert.equal(api.requests.length, 1);
      const [r] = api.requests;
      assert.equal(r.path, `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Calls.json`);
      assert.equal(r.authorized, true);
      assert.equal(r.form.get('To'), '+819012345678');
      assert.equal(r.form.get('From'), TWILIO_FROM);
      assert.equal(r.form.get('Url'), null);
      const twiml = r.form.get('Twiml') ?? '';
      assert.match(twiml, /^<Response>.*<\/Response>$/s);
      assert.ok(
        twiml.includes('<Say language="en-US" voice="Polly.Joanna">Your Tobira verification code is</Say>'),
      );
      assert.equal(twiml.split('9, 0, 7, 3, 1, 1.').length - 1, 2, 'the code is read twice, digit by digit');
      assert.ok(!twiml.includes('907311'), 'never as one number');
      assert.match(twiml, /<Pause length="1"\/>/);
      assert.ok(twiml.includes('Once again, your code is'));
      const says = [...twiml.matchAll(/<Say language="([^"]+)" voice="([^"]+)">/g)];
      assert.ok(says.length >= 4);
      assert.ok(says.every((s) => s[1] === 'en-US' && s[2] === 'Polly.Joanna'));
      const logged = log.text();
      assert.match(logged, /"sid":"CA[0-9a-f]{32}"/);
      for (const leak of ['907311', '9, 0, 7', '9012345678'])
        assert.ok(!logged.includes(leak), `log holds ${leak}`);
    });

    it('speaks Japanese to a Japanese user', async () => {
      await new TwilioVoiceSender(opts()).send({
        ...voice,
        locale: 'ja',
        text: 'Tobira の確認コードをお知らせします。コードは',
        code: '042042',
      });
      const twiml = api.requests[0].form.get('Twiml') ?? '';
      assert.ok(
        twiml.includes(
          '<Say language="ja-JP" voice="Polly.Mizuki">Tobira の確認コードをお知らせします。コードは</Say>',
        ),
      );
      assert.equal(twiml.split('0、4、2、0、4、2。').length - 1, 2);
      assert.ok(twiml.includes('もう一度繰り返します。'));
      assert.ok(!twiml.includes('language="en-US"'));
    });

    it('escapes everything it puts in TwiML', () => {
      const twiml = voiceTwiml('Code <Play>http://evil.example/a.mp3</Play> & "more"\n\'x\'', '1234', 'en');
      assert.ok(!twiml.includes('<Play>'));
      assert.ok(
        twiml.includes(
          'Code &lt;Play&gt;http://evil.example/a.mp3&lt;/Play&gt; &amp; &quot;more&quot; &apos;x&apos;',
        ),
      );
      assert.equal(twiml.split('1, 2, 3, 4.').length - 1, 2);
      assert.throws(() => voiceTwiml('x', '12a4', 'en'));
    });

    it('refuses bad numbers and a call without a code, sending nothing', async () => {
      const smsSender = new TwilioSmsSender(opts());
      const voiceSender = new TwilioVoiceSender(opts());
      for (const to of [
        '090-1234-5678',
        '+81 90 1234 5678',
        '+819012345678;ext=12',
        '+8190123456789012',
        '819012345678',
        '+0123456789',
      ]) {
        await rejectsWith(smsSender.send({ ...sms, to }), 'delivery.rejected');
        await rejectsWith(voiceSender.send({ ...voice, to }), 'delivery.rejected');
      }
      await rejectsWith(voiceSender.send({ ...voice, code: undefined }), 'delivery.rejected');
      await rejectsWith(voiceSender.send({ ...voice, code: '12 34' }), 'delivery.rejected');
      await rejectsWith(smsSender.send({ ...sms, text: 'x'.repeat(1601) }), 'delivery.rejected');
      await rejectsWith(smsSender.send({ ...voice }), 'delivery.rejected');
      assert.equal(api.requests.length, 0);
    });

    it('maps Twilio answering 500 to delivery.failed', async () => {
      api.state.mode = 'error500';
      const err = await rejectsWith(new TwilioSmsSender(opts()).send(sms), 'delivery.failed');
      assert.equal(err.retryable, true);
      assert.match(err.message, /HTTP 500/);
      assert.equal(api.requests.length, 1, 'no automatic retry');
      await rejectsWith(new TwilioVoiceSender(opts()).send(voice), 'delivery.failed');
    });

    it('maps error 21211 (invalid To) to delivery.rejected without repeating the number', async () => {
      api.state.mode = 'invalidTo';
      const err = await rejectsWith(new TwilioSmsSender(opts()).send(sms), 'delivery.rejected');
      assert.equal(err.retryable, false);
      assert.match(err.message, /HTTP 400, Twilio error 21211/);
      assert.ok(!err.message.includes('9012345678'));
      assert.ok(!log.text().includes('9012345678'));
      await rejectsWith(new TwilioVoiceSender(opts()).send(voice), 'delivery.rejected');
    });

    it('reports a wrong auth token (401) as delivery.failed without leaking it', async () => {
      const err = await rejectsWith(
        new TwilioSmsSender({ ...opts(), authToken: 'not-the-token' }).send(sms),
        'delivery.failed',
      );
      assert.equal(api.requests[0].authorized, false);
      assert.match(err.message, /HTTP 401, Twilio error 20003/);
      assert.ok(!err.message.includes('not-the-token'));
      assert.ok(!log.text().includes('not-the-token'));
    });

    it('gives up on a Twilio that never answers (delivery.timeout), by its own limit', async () => {
      api.state.mode = 'hang';
      const started = Date.now();
      const err = await rejectsWith(
        new TwilioSmsSender({ ...opts(), timeoutMs: 300 }).send(sms),
        'delivery.timeout',
      );
      assert.equal(err.retryable, true);
      const took = Date.now() - started;
      assert.ok(took >= 250 && took < 2_000, `took ${took} ms`);
    });

    it('maps the SDK client timing out to delivery.timeout', async () => {
      api.state.mode = 'hang';
      await rejectsWith(
        new TwilioVoiceSender({
          ...opts(),
          httpClient: loopbackTwilioClient(api.base, 300),
          timeoutMs: 5_000,
        }).send(voice),
        'delivery.timeout',
      );
    });

    it('reports an unreachable API as delivery.failed', async () => {
      const probe = net.createServer();
      const port = await listenOnLoopback(probe);
      await new Promise<void>((r) => probe.close(() => r()));
      await rejectsWith(
        new TwilioSmsSender({ ...opts(), httpClient: loopbackTwilioClient(`http://127.0.0.1:${port}`) }).send(
          sms,
        ),
        'delivery.failed',
      );
    });
  });

  describe('createDelivery with SMTP and Twilio configured', () => {
    let tdb: TestDatabase;
    let smtp: SmtpPeer;
    let api: TwilioPeer;
    before(async () => {
      [tdb, smtp, api] = await Promise.all([createTestDatabase(), startSmtpPeer(), startTwilioPeer()]);
    });
    after(async () => {
      await Promise.all([tdb.drop(), smtp.close(), api.close()]);
    });

    const env = (from = TWILIO_FROM) => ({
      LOG_LEVEL: 'silent',
      SMTP_URL: smtp.url,
      MAIL_FROM,
      TWILIO_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN,
      TWILIO_FROM: from,
    });

    it('routes email, text messages and calls to the real senders and nothing to the outbox', async () => {
      const log = captureLog();
      const delivery = createDelivery({
        db: tdb.db,
        logger: log.logger,
        config: loadConfig(env()),
        twilioHttpClient: loopbackTwilioClient(api.base),
      });
      assert.equal(delivery.isLive('email'), true);
      assert.equal(delivery.isLive('sms'), true);
      assert.equal(delivery.isLive('voice'), true);
      assert.doesNotMatch(log.text(), /outbox|not available/);
      const mails = smtp.messages.length;

      await delivery.send({
        channel: 'email',
        to: 'carol@example.com',
        locale: 'ja',
        subject: 'コード',
        text: 'コード: 112233\n',
        html: '<p>コード: 112233</p>',
        purpose: 'reset.code',
      });
      await delivery.send({
        channel: 'sms',
        to: '+14155550123',
        locale: 'en',
        text: 'Code 445566',
        purpose: 'mfa.code',
      });
      await delivery.send({
        channel: 'voice',
        to: '+14155550123',
        locale: 'en',
        text: 'Your code is',
        code: '778899',
        purpose: 'mfa.code',
      });

      assert.equal(smtp.messages.length, mails + 1);
      assert.equal(smtp.messages.at(-1)?.mail.subject, 'コード');
      assert.deepEqual(
        api.requests.map((r) => [r.resource, r.form.get('To')]),
        [
          ['Messages', '+14155550123'],
          ['Calls', '+14155550123'],
        ],
      );
      assert.equal(api.requests[0].form.get('Body'), 'Code 445566');
      assert.equal((api.requests[1].form.get('Twiml') ?? '').split('7, 7, 8, 8, 9, 9.').length - 1, 2);
      // The peer's own records of what it accepted.
      assert.deepEqual(
        smtp.messagesTo('carol@example.com').map((m) => m.mail.text),
        ['コード: 112233\n'],
      );
      assert.deepEqual(
        api.messages.map((m) => [m.to, m.from, m.body]),
        [['+14155550123', TWILIO_FROM, 'Code 445566']],
      );
      assert.deepEqual(
        api.calls.map((c) => [c.to, c.from]),
        [['+14155550123', TWILIO_FROM]],
      );
      assert.deepEqual(spokenDigits(api.calls[0].twiml), ['778899', '778899']);
      assert.deepEqual(await listOutbox(tdb.db, 100), [], 'the outbox stays empty');
      for (const leak of ['112233', '445566', '778899', '4155550123', 'carol@', TWILIO_AUTH_TOKEN, SMTP_PASS])
        assert.ok(!log.text().includes(leak), `log holds ${leak}`);
    });

    it('keeps calls in the outbox when Twilio sends from a messaging service', async () => {
      api.requests.length = 0;
      const log = captureLog();
      const delivery = createDelivery({
        db: tdb.db,
        logger: log.logger,
        config: loadConfig(env(MESSAGING_SERVICE)),
        twilioHttpClient: loopbackTwilioClient(api.base),
      });
      assert.equal(delivery.isLive('sms'), true);
      assert.equal(delivery.isLive('voice'), false);
      assert.match(log.text(), /messaging service/);
      await delivery.send({
        channel: 'sms',
        to: '+14155550123',
        locale: 'en',
        text: 'Code 1',
        purpose: 'test',
      });
      assert.equal(api.requests[0].form.get('MessagingServiceSid'), MESSAGING_SERVICE);
      await delivery.send({
        channel: 'voice',
        to: '+14155550123',
        locale: 'en',
        text: 'Your code is',
        code: '123123',
        purpose: 'test.voice',
      });
      assert.equal(api.requests.length, 1, 'no call placed');
      const [kept] = await listOutbox(tdb.db, 1);
      assert.equal(kept.channel, 'voice');
      assert.equal(kept.purpose, 'test.voice');
    });

    it('surfaces a send failure through the router as a DeliveryError', async () => {
      api.state.mode = 'error500';
      try {
        const delivery = createDelivery({
          db: tdb.db,
          logger: createLogger('silent'),
          config: loadConfig(env()),
          twilioHttpClient: loopbackTwilioClient(api.base),
        });
        await rejectsWith(
          delivery.send({ channel: 'sms', to: '+14155550123', locale: 'en', text: 'Code', purpose: 'test' }),
          'delivery.failed',
        );
        await rejectsWith(
          delivery.send({
            channel: 'email',
            to: 'a@example.com\r\nBcc: x@evil.example',
            locale: 'en',
            subject: 's',
            text: 't',
            purpose: 'test',
          }),
          'delivery.rejected',
        );
      } finally {
        api.state.mode = 'ok';
      }
    });
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { notifyPasswordChanged, notifySecurityInfoChanged } from '../../src/account/notices.ts';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import {
  ChannelRouter,
  createDelivery,
  DeliveryError,
  type Message,
  maskRecipient,
  type Sender,
} from '../../src/delivery/index.ts';
import { createEmailViews, formatDateTime, renderEmail, timeZoneOf } from '../../src/delivery/templates.ts';
import { createLogger } from '../../src/logger.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import { latestOutboxTo, listOutbox } from '../../src/store/outbox.ts';
import { writeSetting } from '../../src/store/settings.ts';
import { createUser } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { startTestServer } from '../helpers/server.ts';

/** A pino destination that keeps every line, so a test can read what was logged. */
function captureLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines, records: () => lines.map((l) => JSON.parse(l)) };
}

const config = loadConfig({ LOG_LEVEL: 'silent', DEFAULT_LOCALE: 'en', ORGANIZATION_COUNTRY: 'JP' });
const emails = createEmailViews(false);
/** A stand-in for the outbox that records what it was given. */
const fallbackTo =
  (sent: Message[]) =>
  (channel: Message['channel']): Sender => ({
    channel,
    send: async (m) => {
      sent.push(m);
    },
  });

const meta = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (TestBrowser)' };

describe(`delivery, outbox and notices (${backendName})`, () => {
  let tdb: TestDatabase;
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 3, 4));
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb.drop());

  describe('outbox', () => {
    it('stores each message and lists the newest first', async () => {
      const log = captureLog();
      const delivery = createDelivery({ db: tdb.db, logger: log.logger, config, clock });
      assert.equal(delivery.isLive('email'), false);
      await delivery.send({
        channel: 'sms',
        to: '+819012345678',
        locale: 'ja',
        text: 'Tobira のコード: 123456',
        purpose: 'test.sms',
      });
      clock.advance(1000);
      await delivery.send({
        channel: 'email',
        to: 'first@example.com',
        locale: 'en',
        subject: 'Hello',
        text: 'plain',
        html: '<p>html</p>',
        purpose: 'test.email',
      });
      const [newest, older] = await listOutbox(tdb.db, 2);
      assert.equal(newest.recipient, 'first@example.com');
      assert.equal(newest.channel, 'email');
      assert.equal(newest.subject, 'Hello');
      assert.equal(newest.bodyText, 'plain');
      assert.equal(newest.bodyHtml, '<p>html</p>');
      assert.equal(newest.purpose, 'test.email');
      assert.equal(newest.createdAt.getTime(), clock.now().getTime());
      assert.equal(older.channel, 'sms');
      assert.equal(older.locale, 'ja');
      assert.equal(older.subject, null);
      assert.equal(older.bodyHtml, null);
      assert.equal(older.bodyText, 'Tobira のコード: 123456');
      assert.equal((await latestOutboxTo(tdb.db, '+819012345678'))?.purpose, 'test.sms');
      assert.equal(await latestOutboxTo(tdb.db, 'nobody@example.com'), undefined);
    });

    it('logs channel, purpose and a masked recipient, never the body', async () => {
      const log = captureLog();
      const delivery = createDelivery({ db: tdb.db, logger: log.logger, config, clock });
      log.lines.length = 0;
      await delivery.send({
        channel: 'email',
        to: 'alice.secret@example.com',
        locale: 'en',
        subject: 'Your code',
        text: 'Your code is 918273',
        html: '<p>Your code is 918273</p>',
        purpose: 'reset.code',
      });
      await delivery.send({
        channel: 'voice',
        to: '+819087654321',
        locale: 'en',
        text: 'Code 554433',
        purpose: 'reset.code',
      });
      assert.equal(log.lines.length, 2, 'one line per message');
      const [email, voice] = log.records();
      assert.equal(email.channel, 'email');
      assert.equal(email.purpose, 'reset.code');
      assert.equal(email.to, 'a***@example.com');
      assert.equal(voice.channel, 'voice');
      assert.equal(voice.to, '+81********21');
      const all = log.lines.join('\n');
      for (const secret of ['918273', '554433', 'alice.secret', '9087654321', 'Your code']) {
        assert.ok(!all.includes(secret), `the log holds "${secret}"`);
      }
    });

    it('masks recipients', () => {
      assert.equal(maskRecipient('email', 'bob@example.org'), 'b***@example.org');
      assert.equal(maskRecipient('email', 'x@example.org'), '***@example.org');
      assert.equal(maskRecipient('email', 'not-an-address'), '***');
      assert.equal(maskRecipient('sms', '+14155550123'), '+14*******23');
      assert.equal(maskRecipient('sms', '123'), '***');
    });
  });

  describe('routing', () => {
    const msg: Message = { channel: 'sms', to: '+819012345678', locale: 'en', text: 'hi', purpose: 'test' };

    it('sends on a configured channel and falls back to the outbox on the others', async () => {
      const viaSms: Message[] = [];
      const viaOutbox: Message[] = [];
      const router = new ChannelRouter({
        senders: [{ channel: 'sms', send: async (m) => void viaSms.push(m) }],
        fallback: fallbackTo(viaOutbox),
      });
      assert.equal(router.isLive('sms'), true);
      assert.equal(router.isLive('email'), false);
      await router.send(msg);
      await router.send({ ...msg, channel: 'email', to: 'a@example.com', subject: 's' });
      assert.deepEqual(
        viaSms.map((m) => m.channel),
        ['sms'],
      );
      assert.deepEqual(
        viaOutbox.map((m) => m.channel),
        ['email'],
      );
    });

    it('turns any sender failure into a DeliveryError and refuses malformed messages', async () => {
      const router = new ChannelRouter({
        senders: [
          {
            channel: 'sms',
            send: async () => {
              throw new Error('socket hang up');
            },
          },
        ],
        fallback: fallbackTo([]),
      });
      await assert.rejects(router.send(msg), (err: unknown) => {
        assert.ok(err instanceof DeliveryError);
        assert.equal(err.code, 'delivery.failed');
        assert.equal(err.retryable, true);
        return true;
      });
      for (const bad of [
        { ...msg, channel: 'email' as const, to: '' },
        { ...msg, channel: 'email' as const, to: 'a@example.com\r\nBcc: x@example.com' },
        { ...msg, channel: 'email' as const, to: 'a@example.com', subject: 'x\r\nBcc: y@example.com' },
        { ...msg, channel: 'email' as const, to: 'a@example.com', text: '' },
      ]) {
        await assert.rejects(router.send(bad), (err: unknown) => {
          assert.ok(err instanceof DeliveryError);
          assert.equal(err.code, 'delivery.rejected');
          assert.equal(err.retryable, false);
          return true;
        });
      }
    });

    it('gives up on a sender that does not answer (delivery.timeout)', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout'] });
      const router = new ChannelRouter({
        senders: [{ channel: 'sms', send: () => new Promise<void>(() => {}) }],
        fallback: fallbackTo([]),
        timeoutMs: 5000,
      });
      const pending = router.send(msg);
      const outcome = assert.rejects(pending, (err: unknown) => {
        assert.ok(err instanceof DeliveryError);
        assert.equal(err.code, 'delivery.timeout');
        return true;
      });
      t.mock.timers.tick(5000);
      await outcome;
    });
  });

  describe('email templates', () => {
    const data = {
      subjectKey: 'notice.securityInfo.added.subject' as const,
      bodyKey: 'notice.securityInfo.added.body',
      org: 'Example Corp',
      name: '<b>x</b>',
      login: 'taro',
      method: 'Authenticator app',
      when: 'sometime',
      ip: '198.51.100.1',
      device: 'Browser "Q" & <script>',
      contact: null,
      portalUrl: 'http://localhost:3000/my/security-info',
    };

    it('renders a text and an HTML part with a localized subject, in English and Japanese', () => {
      const en = renderEmail(emails, 'en', 'notice-security-info', data);
      assert.equal(en.subject, 'Security info was added to your account');
      assert.match(en.text, /This security info was added to your account taro: Authenticator app/);
      assert.match(en.text, /IP address: 198\.51\.100\.1/);
      assert.match(en.text, /If this wasn't you, contact your administrator/);
      assert.match(en.text, /Review your security info: http:\/\/localhost:3000\/my\/security-info/);
      assert.match(en.text, /sent automatically by Example Corp/);
      assert.doesNotMatch(en.text, /<(p|h1|h2|a|table|html)\b|&lt;|&amp;|&#39;/, 'the text part is not HTML');
      assert.doesNotMatch(en.text, /\n\n\n/, 'no runs of blank lines');
      assert.match(en.html, /^<!doctype html>/m);
      assert.match(en.html, /<html lang="en">/);
      assert.match(en.html, /<title>Security info was added to your account<\/title>/);
      assert.match(en.html, /href="http:\/\/localhost:3000\/my\/security-info"/);

      const ja = renderEmail(emails, 'ja', 'notice-security-info', data);
      assert.equal(ja.subject, 'アカウントにセキュリティ情報が追加されました');
      assert.match(ja.text, /アカウント taro に次のセキュリティ情報が追加されました: Authenticator app/);
      assert.match(ja.text, /IP アドレス: 198\.51\.100\.1/);
      assert.match(ja.text, /お心当たりがない場合は、すぐに管理者に連絡してください/);
      assert.match(ja.html, /<html lang="ja">/);
      assert.match(ja.html, /セキュリティ情報を確認する/);
    });

    it('escapes user-provided values in HTML and keeps them readable in text', () => {
      const { text, html } = renderEmail(emails, 'en', 'notice-security-info', data);
      assert.ok(html.includes('Hello &lt;b&gt;x&lt;/b&gt;,'), 'display name escaped');
      assert.ok(!html.includes('<b>x</b>'));
      assert.ok(!html.includes('<script>'));
      assert.ok(html.includes('Browser &quot;Q&quot; &amp; &lt;script&gt;'));
      assert.ok(text.includes('Hello <b>x</b>,'));
      assert.ok(text.includes('Browser "Q" & <script>'));
    });

    it('formats times in the reader language with the UTC offset', () => {
      const at = new Date(Date.UTC(2026, 0, 15, 3, 4));
      assert.equal(timeZoneOf('JP'), 'Asia/Tokyo');
      assert.equal(timeZoneOf('US'), 'UTC', 'a country with several zones falls back to UTC');
      assert.equal(
        formatDateTime(at, 'en', 'Asia/Tokyo'),
        'Thursday, January 15, 2026 at 12:04 PM (UTC+09:00)',
      );
      assert.equal(formatDateTime(at, 'ja', 'Asia/Tokyo'), '2026年1月15日木曜日 12:04 (UTC+09:00)');
      assert.match(formatDateTime(at, 'en', 'UTC'), /3:04 AM \(UTC\+00:00\)$/);
    });
  });

  describe('notices', () => {
    let log: ReturnType<typeof captureLog>;
    const box = new SecretBox(Buffer.alloc(32, 7));
    const deps = () => ({
      db: tdb.db,
      box,
      emails,
      delivery: createDelivery({ db: tdb.db, logger: log.logger, config, clock }),
      clock,
      config,
      logger: log.logger,
    });
    beforeEach(() => {
      log = captureLog();
    });

    it('emails one security-info notice to the profile email, in the user language', async () => {
      const user = await createUser(
        tdb.db,
        { login: 'hanako', displayName: '<b>x</b>', email: 'hanako@example.jp', locale: 'ja' },
        clock.now(),
      );
      const before = (await listOutbox(tdb.db, 1000)).length;
      assert.equal(await notifySecurityInfoChanged(deps(), user, 'added', '+81 ••• •••• 78', meta), true);
      assert.equal((await listOutbox(tdb.db, 1000)).length, before, 'the change only queues the notice');
      assert.equal((await deliverQueuedNotices(deps())).sent, 1);
      const all = await listOutbox(tdb.db, 1000);
      assert.equal(all.length, before + 1, 'exactly one message');
      const m = await latestOutboxTo(tdb.db, 'hanako@example.jp');
      assert.ok(m);
      assert.equal(m.channel, 'email');
      assert.equal(m.locale, 'ja');
      assert.equal(m.purpose, 'notice.security_info_added');
      assert.equal(m.subject, 'アカウントにセキュリティ情報が追加されました');
      assert.match(m.bodyText, /<b>x<\/b> 様/);
      assert.match(m.bodyText, /\+81 ••• •••• 78/);
      assert.match(m.bodyText, /日時: 2026年1月15日木曜日 12:04 \(UTC\+09:00\)/);
      assert.match(m.bodyText, /IP アドレス: 203\.0\.113\.7/);
      assert.match(m.bodyText, /Mozilla\/5\.0 \(TestBrowser\)/);
      assert.ok(m.bodyHtml?.includes('&lt;b&gt;x&lt;/b&gt; 様'));
      assert.equal(log.records().filter((r) => r.purpose === 'notice.security_info_added').length, 1);
    });

    it('uses the default language when the user has none, and names a removed or default method', async () => {
      const user = await createUser(tdb.db, { login: 'sam', email: 'sam@example.com' }, clock.now());
      assert.equal(await notifySecurityInfoChanged(deps(), user, 'removed', 'YubiKey 5', meta), true);
      await deliverQueuedNotices(deps());
      let m = await latestOutboxTo(tdb.db, 'sam@example.com');
      assert.equal(m?.locale, 'en');
      assert.equal(m?.subject, 'Security info was removed from your account');
      assert.match(m?.bodyText ?? '', /Hello sam,/);
      assert.match(m?.bodyText ?? '', /removed from your account sam: YubiKey 5/);
      assert.equal(m?.purpose, 'notice.security_info_removed');

      assert.equal(
        await notifySecurityInfoChanged(deps(), user, 'default_changed', 'Authenticator app', meta),
        true,
      );
      await deliverQueuedNotices(deps());
      m = await latestOutboxTo(tdb.db, 'sam@example.com');
      assert.equal(m?.subject, 'Your default sign-in method was changed');
      assert.equal(m?.purpose, 'notice.security_info_default_changed');
    });

    it('sends nothing to a user without a profile email', async () => {
      const user = await createUser(tdb.db, { login: 'nomail', displayName: 'No Mail' }, clock.now());
      const before = (await listOutbox(tdb.db, 1000)).length;
      assert.equal(await notifySecurityInfoChanged(deps(), user, 'added', 'Authenticator app', meta), false);
      assert.equal(await notifyPasswordChanged(deps(), user, meta), false);
      assert.equal((await deliverQueuedNotices(deps())).sent, 0);
      assert.equal((await listOutbox(tdb.db, 1000)).length, before);
    });

    it('announces a password change, naming the organization and the helpdesk contact from the policy', async () => {
      await writeSetting(tdb.db, 'organizationName', 'Example 株式会社', clock.now(), null);
      await writeSetting(tdb.db, 'helpdeskContact', 'help@example.com', clock.now(), null);
      try {
        const user = await createUser(
          tdb.db,
          { login: 'kenji', email: 'kenji@example.jp', locale: 'ja' },
          clock.now(),
        );
        assert.equal(await notifyPasswordChanged(deps(), user, meta), true);
        await deliverQueuedNotices(deps());
        const m = await latestOutboxTo(tdb.db, 'kenji@example.jp');
        assert.equal(m?.subject, 'パスワードが変更されました');
        assert.equal(m?.purpose, 'notice.password_changed');
        assert.match(m?.bodyText ?? '', /アカウント kenji のパスワードが変更されました。/);
        assert.match(m?.bodyText ?? '', /管理者 \(help@example\.com\) に連絡してください/);
        assert.match(m?.bodyText ?? '', /Example 株式会社 から自動送信/);
        assert.match(m?.bodyText ?? '', /\/reset$/m);
      } finally {
        await tdb.db('settings').whereIn('key', ['organizationName', 'helpdeskContact']).delete();
      }
    });

    it('keeps a notice that could not be delivered for a retry instead of failing the change', async () => {
      const user = await createUser(tdb.db, { login: 'unlucky', email: 'unlucky@example.com' }, clock.now());
      const failing = new ChannelRouter({
        senders: [
          {
            channel: 'email',
            send: async () => {
              throw new DeliveryError('delivery.failed', 'smtp 451');
            },
          },
        ],
        fallback: fallbackTo([]),
      });
      const ok = await notifyPasswordChanged({ ...deps(), delivery: failing }, user, meta);
      assert.equal(ok, true, 'queued');
      assert.deepEqual(await deliverQueuedNotices({ ...deps(), delivery: failing }), {
        sent: 0,
        retried: 1,
        failed: 0,
      });
      const warn = log.records().find((r) => r.msg === 'notice not delivered; will retry');
      assert.equal(warn?.purpose, 'notice.password_changed');
      assert.equal(warn?.failure, 'delivery.failed: smtp 451');
      assert.ok(!log.lines.join('\n').includes('unlucky@example.com'), 'no address in the log');
    });
  });

  describe('/dev/outbox', () => {
    it('lists the kept messages as a page and as JSON, in development mode only', async () => {
      const srv = await startTestServer({ db: tdb.db });
      try {
        await srv.app.deps.delivery.send({
          channel: 'email',
          to: 'outbox-page@example.com',
          locale: 'en',
          subject: 'Page <i>test</i>',
          text: 'Line one\n<b>not bold</b>',
          purpose: 'test.page',
        });
        const page = await fetch(`${srv.url}/dev/outbox`, { headers: { 'accept-language': 'ja' } });
        assert.equal(page.status, 200);
        assert.equal(page.headers.get('cache-control'), 'no-store');
        const html = await page.text();
        assert.match(html, /<h1>送信トレイ<\/h1>/);
        assert.match(html, /<th scope="row">宛先<\/th><td>outbox-page@example\.com<\/td>/);
        assert.match(html, /<code>test\.page<\/code>/);
        assert.match(html, /<pre[^>]*>Line one\n&lt;b&gt;not bold&lt;\/b&gt;<\/pre>/);
        assert.ok(!html.includes('<i>test</i>'), 'the subject is escaped');

        const json = await fetch(`${srv.url}/dev/outbox.json?to=outbox-page%40example.com`);
        assert.equal(json.headers.get('cache-control'), 'no-store');
        const list = (await json.json()) as Array<Record<string, unknown>>;
        assert.equal(list.length, 1);
        assert.equal(list[0].to, 'outbox-page@example.com');
        assert.equal(list[0].subject, 'Page <i>test</i>');
        assert.equal(list[0].purpose, 'test.page');
      } finally {
        await srv.stop();
      }

      const prod = await startTestServer({ db: tdb.db, env: { NODE_ENV: 'production' } });
      try {
        for (const path of ['/dev/outbox', '/dev/outbox.json']) {
          const r = await fetch(`${prod.url}${path}`);
          assert.equal(r.status, 404, `${path} in production`);
          assert.ok(!(await r.text()).includes('outbox-page@example.com'));
        }
      } finally {
        await prod.stop();
      }
    });
  });
});

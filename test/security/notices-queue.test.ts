import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NOTICE_LEASE_MS, NOTICE_MAX_ATTEMPTS, noticeRetryDelay } from '../../src/account/notices.ts';
import { ManualClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { translator } from '../../src/i18n/index.ts';
import { claimDueNotices } from '../../src/store/notice-queue.ts';
import { hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { MAIL_FROM, type SmtpPeer, startSmtpPeer } from '../helpers/peers.ts';
import { identifyForReset, registerAppInPortal } from '../helpers/reset.ts';
import { addClientViaCli, addUserViaCli, discover, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool, toolAvailable } from '../helpers/tools.ts';

/*
 * Notices lost when mail fails (issue 10): with the SMTP server down, a password reset used to drop
 * its notice with a warning. Here the SMTP server (a real smtp-server on loopback) goes away during a
 * reset: the reset must succeed, the notice must wait in the queue, survive a restart of the
 * instance and a worker that died mid-send, go out exactly once when the server is back, and, when it
 * never comes back, show to administrators as failed after the bounded retries.
 */

const en = translator('en');
const password = 'correct horse battery staple';
const RESET = 'notice.password_reset';

describe(`notices survive a mail outage (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let smtp: SmtpPeer;
  let smtpPort: number;
  let env: Record<string, string>;
  const clock = new ManualClock(Date.now());
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};

  const queued = (login: string) =>
    tdb.db('notice_queue').where({ purpose: RESET, user_id: ids[login] }).orderBy('id');

  /** A self-service reset through the authenticator-app gate, ending on the done page. */
  async function resetWithApp(login: string, next: string): Promise<void> {
    const { br, r } = await identifyForReset(srv.issuer, login);
    assert.equal(r.location, `${srv.issuer}/reset/verify`);
    await br.get('/reset/verify', srv.issuer);
    const page = await br.get('/reset/verify/app', srv.issuer);
    clock.advance(30_000);
    let res = await br.post(
      '/reset/verify/app',
      { ...hiddenInputs(page.text), code: oathtoolCode(secrets[login], clock.now()) },
      srv.issuer,
    );
    assert.equal(res.status, 302);
    const pw = await br.follow(res);
    res = await br.post(
      '/reset/password',
      { ...hiddenInputs(pw.text), password: next, confirm: next },
      srv.issuer,
    );
    assert.equal(res.status, 200, 'the reset succeeds whatever the mail server does');
    assert.match(res.text, /Your password was reset/);
  }

  before(async () => {
    tdb = await createTestDatabase();
    smtp = await startSmtpPeer();
    smtpPort = smtp.port;
    env = { SMTP_URL: smtp.url, MAIL_FROM };
    srv = await startTestServer({ db: tdb.db, clock, env });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'off');
    for (const login of ['rita', 'sam', 'uma']) {
      ids[login] = (await addUserViaCli(srv, login, password, ['--email', `${login}@example.com`])).id;
      if (toolAvailable(OATHTOOL))
        secrets[login] = await registerAppInPortal(srv.issuer, login, password, clock);
    }
    await deliverQueuedNotices(srv);
  });
  after(async () => {
    await srv.stop();
    await smtp.close();
    await tdb.drop();
  });

  it('SMTP down during a reset: the reset succeeds, the notice waits, and goes out once when SMTP is back', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    await smtp.close();
    await resetWithApp('rita', 'maple orbit quietly 77');
    let [row] = await queued('rita');
    assert.ok(row, 'the notice is in the queue');
    assert.equal(row.status, 'pending');
    assert.ok(!row.payload.includes('rita@example.com'), 'the queued payload is sealed');

    assert.deepEqual(await deliverQueuedNotices(srv), { sent: 0, retried: 1, failed: 0 });
    [row] = await queued('rita');
    assert.equal(row.status, 'pending', 'kept for a retry, not dropped');
    assert.equal(row.attempts, 1);
    assert.match(row.last_error, /^delivery\.(failed|timeout): /);

    smtp = await startSmtpPeer({ port: smtpPort });
    assert.deepEqual(await deliverQueuedNotices(srv), { sent: 0, retried: 0, failed: 0 }, 'not due yet');
    clock.advance(noticeRetryDelay(1));
    assert.deepEqual(await deliverQueuedNotices(srv), { sent: 1, retried: 0, failed: 0 });
    const mails = smtp.messagesTo('rita@example.com');
    assert.equal(mails.length, 1);
    assert.equal(mails[0].mail.subject, en('notice.passwordReset.subject'));
    assert.match(mails[0].mail.text ?? '', /rita/);

    clock.advance(24 * 3600_000);
    assert.deepEqual(await deliverQueuedNotices(srv), { sent: 0, retried: 0, failed: 0 });
    assert.equal(smtp.messagesTo('rita@example.com').length, 1, 'sent exactly once');
    [row] = await queued('rita');
    assert.equal(row.status, 'done');
  });

  it('after the bounded retries, an undelivered notice shows to administrators (API, CLI, metrics)', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    await smtp.close();
    await resetWithApp('uma', 'copper lantern drizzle 62');
    const runs = [];
    for (let i = 1; i <= NOTICE_MAX_ATTEMPTS; i++) {
      runs.push(await deliverQueuedNotices(srv));
      clock.advance(noticeRetryDelay(i));
    }
    assert.deepEqual(
      runs.map((r) => [r.sent, r.retried, r.failed]),
      [...Array.from({ length: NOTICE_MAX_ATTEMPTS - 1 }, () => [0, 1, 0]), [0, 0, 1]],
      'retried with backoff, then given up',
    );
    const [row] = await queued('uma');
    assert.equal(row.status, 'failed');
    assert.equal(row.attempts, NOTICE_MAX_ATTEMPTS);
    clock.advance(24 * 3600_000);
    assert.deepEqual(await deliverQueuedNotices(srv), { sent: 0, retried: 0, failed: 0 }, 'no more tries');

    // The admin API.
    const machine = await addClientViaCli(srv, [
      'ops-machine',
      '--grant-type',
      'client_credentials',
      '--admin',
    ]);
    const oidc = await import('openid-client');
    const cfg = await discover(srv.issuer, machine.clientId, machine.secret);
    const token = (await oidc.clientCredentialsGrant(cfg, { scope: 'admin' })).access_token;
    const res = await fetch(`${srv.url}/api/admin/v1/notices?status=failed`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body.depth, { pending: 0, failed: 1 });
    assert.equal(body.notices.length, 1);
    assert.equal(body.notices[0].purpose, RESET);
    assert.equal(body.notices[0].login, 'uma');
    assert.equal(body.notices[0].attempts, NOTICE_MAX_ATTEMPTS);
    assert.match(body.notices[0].lastError, /^delivery\./);
    assert.ok(!JSON.stringify(body).includes('uma@example.com'), 'recipients are not shown');
    const bad = await fetch(`${srv.url}/api/admin/v1/notices?status=nonsense`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(bad.status, 400);

    // The CLI.
    const cli = await runCommand(['notice', 'list', '--failed'], undefined, {
      db: srv.db,
      box: srv.box,
      clock,
    });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /queue: 0 pending, 1 failed/);
    assert.match(cli.stdout, new RegExp(`${RESET}\\tuma\\t${NOTICE_MAX_ATTEMPTS} tries\\tfailed `));

    // The metrics gauge.
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    assert.match(metrics, /^tobira_notice_queue\{status="failed"\} 1$/m);
    assert.match(metrics, /^tobira_notice_queue\{status="pending"\} 0$/m);
  });

  it('a notice is not lost across a restart, nor by a worker that died mid-send', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    await resetWithApp('sam', 'velvet harbor sixty 9');
    assert.deepEqual(await deliverQueuedNotices(srv), { sent: 0, retried: 1, failed: 0 });
    clock.advance(noticeRetryDelay(1));
    // A worker claims the row and dies before it records anything.
    const claimed = await claimDueNotices(tdb.db, clock.now(), 10, NOTICE_LEASE_MS);
    assert.deepEqual(
      claimed.map((c) => c.purpose),
      [RESET],
    );
    // The instance goes away; another one starts over the same database, and mail is back.
    await srv.stop();
    smtp = await startSmtpPeer({ port: smtpPort });
    const db = usingPostgres ? tdb.connect() : tdb.db;
    srv = await startTestServer({ db, clock, env });
    assert.deepEqual(
      await deliverQueuedNotices(srv),
      { sent: 0, retried: 0, failed: 0 },
      'the dead worker holds the row until its lease ends',
    );
    assert.equal(smtp.messagesTo('sam@example.com').length, 0);
    clock.advance(NOTICE_LEASE_MS);
    assert.deepEqual(await deliverQueuedNotices(srv), { sent: 1, retried: 0, failed: 0 });
    clock.advance(24 * 3600_000);
    await deliverQueuedNotices(srv);
    const mails = smtp.messagesTo('sam@example.com');
    assert.equal(mails.length, 1, 'sent exactly once');
    assert.equal(mails[0].mail.subject, en('notice.passwordReset.subject'));
    const [row] = await queued('sam');
    assert.equal(row.status, 'done');
    assert.equal(row.attempts, 3);
  });
});

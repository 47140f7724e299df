import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { en } from '../../src/i18n/en/index.ts';
import { ja } from '../../src/i18n/ja/index.ts';
import { Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { MAIL_FROM, type SmtpPeer, startSmtpPeer } from '../helpers/peers.ts';
import { identifyForReset, registerAppInPortal } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool } from '../helpers/tools.ts';

/*
 * Notices speak the language of the flow that caused them (issue 13: after a Japanese reset the
 * notice came in English, the stored locale, while the text in the same flow was Japanese), over a
 * real SMTP server; and a signed-in user who switches the language keeps it as their preference.
 */

describe(`notices in the flow's language (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let smtp: SmtpPeer;
  const clock = new ManualClock(Date.now());
  const password = 'cedar lantern orbit 73';
  /** The password the reset sets (the second test signs in with it). */
  const next = 'ひかりの森 harbour 58';
  let yui: { id: string };

  before(async () => {
    [tdb, smtp] = await Promise.all([createTestDatabase(), startSmtpPeer()]);
    srv = await startTestServer({ db: tdb.db, clock, env: { SMTP_URL: smtp.url, MAIL_FROM } });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'off');
    await setPolicy(srv, 'resetGatesRequired', 1);
    await setPolicy(srv, 'resetMethods', ['app']);
    yui = await addUserViaCli(srv, 'yui', password, ['--email', 'yui@example.com']);
    // The stored preference is English: the reset below is done in Japanese.
    await tdb.db('users').where({ id: yui.id }).update({ locale: 'en' });
  });
  after(async () => {
    await srv?.stop();
    await Promise.all([tdb?.drop(), smtp?.close()]);
  });

  it('a reset done in Japanese sends a Japanese notice, though the stored language is English', async (t: TestContext) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const secret = await registerAppInPortal(srv.issuer, 'yui', password, clock);
    await deliverQueuedNotices(srv);
    const before = smtp.messagesTo('yui@example.com').length;
    const br = new Browser();
    br.acceptLanguage = 'ja';
    await identifyForReset(srv.issuer, 'yui', br);
    let page = await br.get('/reset/verify/app', srv.issuer);
    assert.match(page.text, /<html lang="ja">/);
    page = await br.follow(
      await br.post(
        formAction(page.text),
        { ...hiddenInputs(page.text), code: oathtoolCode(secret, clock.now()) },
        srv.issuer,
      ),
    );
    page = await br.post(
      '/reset/password',
      { ...hiddenInputs(page.text), password: next, confirm: next },
      srv.issuer,
    );
    assert.equal(page.status, 200, page.text.slice(0, 500));
    await deliverQueuedNotices(srv);
    const mails = smtp.messagesTo('yui@example.com').slice(before);
    assert.equal(mails.length, 1, 'one notice');
    const subject = mails[0].mail.subject ?? '';
    assert.ok(subject.includes(ja['notice.passwordReset.subject']), `a Japanese subject: ${subject}`);
    assert.ok(!subject.includes(en['notice.passwordReset.subject']));
    const row = await tdb.db('users').where({ id: yui.id }).first();
    assert.equal(row.locale, 'en', 'a reset (not signed in) leaves the stored preference alone');
  });

  it('a signed-in user who switches the language keeps it as their preference', async () => {
    const br = new Browser();
    let r = await br.follow(await br.get('/my/security-info', srv.issuer));
    if (/name="username"/.test(r.text)) {
      r = await br.follow(
        await br.post(
          formAction(r.text),
          { ...hiddenInputs(r.text), username: 'yui', password: next },
          r.url,
        ),
      );
    }
    assert.equal(new URL(r.url).pathname, '/my/security-info');
    assert.equal((await tdb.db('users').where({ id: yui.id }).first()).locale, 'en');
    r = await br.follow(await br.get('/lang/ja?return=/my/security-info', srv.issuer));
    assert.match(r.text, /<html lang="ja">/);
    assert.equal(
      (await tdb.db('users').where({ id: yui.id }).first()).locale,
      'ja',
      'the preference follows',
    );
    r = await br.follow(await br.get('/lang/en?return=/my/security-info', srv.issuer));
    assert.equal((await tdb.db('users').where({ id: yui.id }).first()).locale, 'en');
  });
});

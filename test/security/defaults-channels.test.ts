import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import { findUserByLogin } from '../../src/store/users.ts';
import { Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startSmtpPeer, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM } from '../helpers/peers.ts';
import { identifyForReset } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * In production nobody reads the outbox, so a method whose channel has no sender would tell the user
 * "code sent" while nothing leaves. Such methods are not offered at all: not in the portal, not at
 * sign-in, not at reset. With the channel configured they are.
 */

describe(`production offers no method whose channel is not configured (${backendName})`, () => {
  let tdb: TestDatabase;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    const bare = await startTestServer({ db: tdb.db, clock });
    await setPolicy(bare, 'registrationRequired', false);
    await addUserViaCli(bare, 'chan', password);
    await bare.stop();
    const u = (await findUserByLogin(tdb.db, 'chan'))!;
    // Registered while the channels worked: a mobile phone and an alternate email address.
    await insertCredential(
      tdb.db,
      u.id,
      { kind: 'phone', label: '', data: { e164: '+819023456722', country: 'JP', type: 'mobile' } },
      clock.now(),
    );
    await insertCredential(
      tdb.db,
      u.id,
      { kind: 'email', label: '', data: { address: 'alt@example.com' } },
      clock.now(),
    );
  });
  after(async () => {
    await tdb?.drop();
  });

  /** Signs in to the portal and returns its security-info page. */
  async function portal(srv: TestServer) {
    const br = new Browser();
    let r = await br.follow(await br.get('/my/security-info', srv.issuer));
    for (let i = 0; i < 3 && /\/interaction\//.test(r.url); i++) {
      r = await br.follow(
        await br.post(formAction(r.text), { ...hiddenInputs(r.text), username: 'chan', password }, r.url),
      );
    }
    assert.equal(new URL(r.url).pathname, '/my/security-info', r.text.slice(0, 500));
    return { br, page: r };
  }

  it('without SMTP and Twilio: no email, text or call anywhere, and nothing written to the outbox', async () => {
    const srv = await startTestServer({ db: tdb.db, clock, env: { NODE_ENV: 'production' } });
    try {
      assert.deepEqual(
        srv.app.deps.methods.all().map((m) => m.kind),
        ['app', 'securityKey', 'questions'],
      );
      // The attack: the user's only second factor (the phone) is switched off, so signing in with the
      // password alone would be a downgrade. The sign-in is refused, in the user's language, with no
      // code sent and nothing enrolled.
      for (const [lang, text] of [
        ['en', /second sign-in method cannot be used right now/],
        ['ja', /2 つ目のサインイン方法が現在利用できない/],
      ] as const) {
        const br = new Browser();
        br.acceptLanguage = lang;
        let r = await br.follow(await br.get('/my/security-info', srv.issuer));
        r = await br.post(formAction(r.text), { ...hiddenInputs(r.text), username: 'chan', password }, r.url);
        assert.equal(r.status, 503, r.text.slice(0, 300));
        assert.match(r.text, text);
      }
      const blocked = await tdb
        .db('audit_events')
        .where({ activity: 'signin.second_factor', reason: 'second_factor_unavailable' });
      assert.equal(blocked.length, 2);
      assert.ok(blocked.every((e) => e.result === 'blocked'));
      assert.equal(Number((await tdb.db('outbox').count({ n: '*' }))[0].n), 0, 'nothing kept in the outbox');
      assert.equal(
        Number((await tdb.db('credentials').count({ n: '*' }))[0].n),
        2,
        'nothing enrolled by the password alone',
      );

      // Where the administrator chose no second factor, the password is the whole sign-in.
      await setPolicy(srv, 'mfa', 'off');
      const { br, page } = await portal(srv);
      // Portal: the registered phone and address are listed (and can be removed), none can be added.
      assert.doesNotMatch(page.text, /href="\/my\/security-info\/add\/(sms|voice|email)"/);
      assert.match(page.text, /\+81 ••• •••• 22/);
      for (const kind of ['sms', 'voice', 'email']) {
        const r = await br.get(`/my/security-info/add/${kind}`, srv.issuer);
        assert.equal(r.status, 400, kind);
      }
      // Reset: with only those two methods the account cannot reset (it is not offered a gate).
      const { r } = await identifyForReset(srv.issuer, 'chan');
      assert.equal(r.status, 200);
      assert.equal(r.location, undefined, 'not sent on to the verification step');
      assert.equal(Number((await tdb.db('outbox').count({ n: '*' }))[0].n), 0);
    } finally {
      await srv.stop();
    }
  });

  it('with SMTP and Twilio configured: the same methods are offered', async () => {
    const smtp = await startSmtpPeer();
    const srv = await startTestServer({
      db: tdb.db,
      clock,
      env: {
        NODE_ENV: 'production',
        SMTP_URL: smtp.url,
        TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
        TWILIO_FROM,
      },
    });
    try {
      assert.deepEqual(
        srv.app.deps.methods
          .all()
          .map((m) => m.kind)
          .sort(),
        ['app', 'email', 'questions', 'securityKey', 'sms', 'voice'],
      );
      const { r } = await identifyForReset(srv.issuer, 'chan');
      assert.equal(r.status, 302);
      assert.equal(new URL(r.location!).pathname, '/reset/verify');
    } finally {
      await srv.stop();
      await smtp.close();
    }
  });
});

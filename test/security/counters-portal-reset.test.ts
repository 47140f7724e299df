import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { Browser, formAction, hiddenInputs, type Resp } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { identifyForReset, registerAppInPortal } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool, toolAvailable } from '../helpers/tools.ts';

/*
 * Two more check-then-act limits, attacked with parallel requests: the portal's current-password
 * check (it counts toward the sign-in lockout) and the reset flow's method lock (5 failures an hour).
 */
describe(`attacks on /my/password and the reset method lock (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const ids: Record<string, string> = {};
  let xenaSecret = '';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    ids.yuri = (await addUserViaCli(srv, 'yuri', password)).id;
    ids.xena = (await addUserViaCli(srv, 'xena', password, ['--email', 'xena@example.com'])).id;
    if (toolAvailable(OATHTOOL)) xenaSecret = await registerAppInPortal(srv.issuer, 'xena', password, clock);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  async function portal(path: string, login: string): Promise<{ br: Browser; page: Resp }> {
    const br = new Browser();
    let r = await br.follow(await br.get(path, srv.issuer));
    for (let i = 0; i < 4 && /\/interaction\//.test(r.url); i++) {
      const fields = { ...hiddenInputs(r.text), username: login, password };
      r = await br.follow(await br.post(formAction(r.text), fields, r.url));
    }
    assert.equal(new URL(r.url).pathname, path);
    return { br, page: r };
  }
  const audits = async (userId: string, activity: string) =>
    (await tdb.db('audit_events').where({ subject_id: userId, activity })) as Array<{
      result: string;
      reason: string | null;
    }>;

  it('/my/password: 15 parallel wrong current passwords check exactly 10 and lock the account', async () => {
    const before = await tdb.db('users').where({ id: ids.yuri }).first();
    const { br, page } = await portal('/my/password', 'yuri');
    const csrf = hiddenInputs(page.text)._csrf;
    const next = 'violet harbor lantern 42';
    const answers = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        br.postRaw(
          '/my/password',
          { _csrf: csrf, current: `guess ${i}`, password: next, confirm: next },
          srv.issuer,
        ),
      ),
    );
    // Every refusal answers 303 back to the form (post/redirect/get); what each did is in the audit.
    for (const r of answers) {
      assert.ok(r.status === 303 || r.status === 429, `303 or 429: ${r.status}`);
      if (r.status === 303) assert.equal(new URL(r.location!, srv.issuer).pathname, '/my/password');
    }
    const rows = await audits(ids.yuri, 'password.change');
    assert.equal(rows.filter((r) => r.reason === 'current password wrong').length, 10, 'ten checked');
    assert.equal(rows.filter((r) => r.result === 'blocked').length, 5, 'five refused unchecked');
    assert.equal((await audits(ids.yuri, 'signin.lockout')).length, 1);

    // The right current password is refused while the lock holds, and so is signing in.
    const right = await br.post(
      '/my/password',
      { _csrf: csrf, current: password, password: next, confirm: next },
      srv.issuer,
    );
    assert.equal(right.status, 429);
    assert.match(right.text, /locked for a while/);
    const signIn = await new Browser().follow(await new Browser().get('/my/', srv.issuer));
    const posted = await new Browser().post(
      formAction(signIn.text),
      { ...hiddenInputs(signIn.text), username: 'yuri', password },
      signIn.url,
    );
    assert.notEqual(posted.status, 302, 'the sign-in lockout holds for the password too');
    const user = await tdb.db('users').where({ id: ids.yuri }).first();
    assert.equal(user.password_hash, before.password_hash, 'the password was not changed');
  });

  it('reset: 20 parallel authenticator codes get exactly 5 checked, then the method is blocked', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const { br } = await identifyForReset(srv.issuer, 'xena');
    const page = await br.get('/reset/verify/app', srv.issuer);
    assert.equal(page.status, 200);
    const good = new Set(
      [-30_000, 0, 30_000].map((d) => oathtoolCode(xenaSecret, new Date(clock.now().getTime() + d))),
    );
    const wrong: string[] = [];
    for (let x = 234_567; wrong.length < 20; x = (x + 7919) % 1_000_000) {
      const code = String(x).padStart(6, '0');
      if (!good.has(code)) wrong.push(code);
    }
    const answers = await Promise.all(
      wrong.map((code) => br.postRaw('/reset/verify/app', { ...hiddenInputs(page.text), code }, srv.issuer)),
    );
    // Every refusal answers 303 back to the method's page (post/redirect/get), or 429 at once when
    // the block already holds as the post arrives; none goes further.
    for (const r of answers) {
      assert.ok(r.status === 303 || r.status === 429, `303 or 429: ${r.status}`);
      if (r.status === 303) assert.equal(new URL(r.location!, srv.issuer).pathname, '/reset/verify/app');
    }
    const rows = await audits(ids.xena, 'reset.verify');
    assert.equal(
      rows.filter((r) => r.reason !== 'method blocked').length,
      5,
      'exactly five codes were checked',
    );
    assert.ok(
      rows.every((r) => r.result !== 'succeeded'),
      'no wrong code passed',
    );

    const right = await br.post(
      '/reset/verify/app',
      { ...hiddenInputs(page.text), code: oathtoolCode(xenaSecret, clock.now()) },
      srv.issuer,
    );
    assert.equal(right.status, 429, 'the right code is refused: the method is blocked for 24 hours');
    const counter = await tdb
      .db('counters')
      .where({ key: `reset.method:${ids.xena}:app` })
      .first();
    assert.ok(new Date(counter.locked_until).getTime() - clock.now().getTime() > 23 * 3600_000);
  });
});

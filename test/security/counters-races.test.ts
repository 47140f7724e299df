import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { Browser, formAction, hiddenInputs, type Resp } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { solvePowInPage } from '../helpers/pow.ts';
import { addClientViaCli, addUserViaCli, discover, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * The attacks on check-then-act limits (issue 10), each through HTTP with truly parallel requests:
 * every attempt is reserved in one SQL statement before argon2 runs, so a burst gets exactly the
 * limit evaluated, on one instance or two sharing a PostgreSQL database (PGlite has one instance).
 */
describe(`attacks on the sign-in and reset limits (${backendName}${usingPostgres ? ', two instances' : ''})`, () => {
  let tdb: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let configA: oidc.Configuration;
  let configB: oidc.Configuration;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const users: Record<string, string> = {};

  before(async () => {
    tdb = await createTestDatabase();
    a = await startTestServer({ db: tdb.db, clock });
    // Two instances on one PostgreSQL database, each with its own connection pool.
    b = usingPostgres ? await startTestServer({ db: tdb.connect(), clock }) : a;
    await setPolicy(a, 'registrationRequired', false);
    for (const login of ['ruth', 'sam', 'tess', 'uma']) {
      users[login] = (await addUserViaCli(a, login, password, ['--email', `${login}@example.com`])).id;
    }
    const c = await addClientViaCli(a, ['race-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    configA = await discover(a.issuer, c.clientId, c.secret);
    configB = await discover(b.issuer, c.clientId, c.secret);
  });
  after(async () => {
    if (b !== a) await b.stop();
    await a.stop();
    await tdb.drop();
  });

  /** A fresh sign-in page on instance `i` (even: a, odd: b), ready to post a password. */
  async function signInPage(i: number): Promise<{ br: Browser; page: Resp }> {
    const config = i % 2 ? configB : configA;
    const br = new Browser();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const page = await br.follow(await br.get(url.href));
    assert.equal(page.status, 200);
    return { br, page };
  }
  /** n sign-in pages, alternating instances, loaded one after another (only the posts race). */
  async function loadPages(n: number) {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await signInPage(i));
    return out;
  }
  const postPassword = ({ br, page }: { br: Browser; page: Resp }, username: string, pw: string) =>
    br.post(formAction(page.text), { ...hiddenInputs(page.text), username, password: pw }, page.url);

  const audits = (userId: string, activity: string) =>
    tdb.db('audit_events').where({ subject_id: userId, activity }).select('result', 'reason');
  const count = (rows: { result: string; reason: string | null }[], result: string, reason?: string) =>
    rows.filter((r) => r.result === result && (reason === undefined || r.reason === reason)).length;

  it('30 parallel wrong passwords: exactly 10 are evaluated, then the right password is refused', async () => {
    // The pages are loaded first, so that the 30 posts really arrive together.
    const pages = await loadPages(30);
    const answers = await Promise.all(pages.map((p, i) => postPassword(p, 'ruth', `guess ${i}`)));
    const statuses = answers.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 401 || s === 429),
      `only "wrong" or "locked": ${statuses}`,
    );
    const rows = await audits(users.ruth, 'signin.password');
    assert.equal(count(rows, 'failed', 'invalid'), 10, 'exactly ten passwords were checked');
    assert.equal(count(rows, 'blocked', 'locked'), 20, 'the other twenty were refused unchecked');
    assert.equal((await audits(users.ruth, 'signin.lockout')).length, 1, 'one lock');
    assert.equal(statuses.filter((s) => s === 401).length + statuses.filter((s) => s === 429).length, 30);

    const right = await postPassword(await signInPage(0), 'ruth', password);
    assert.equal(right.status, 429, 'the right password is refused while the lock holds');
    const other = await postPassword(await signInPage(1), 'ruth', password);
    assert.equal(other.status, 429, 'on every instance');
    assert.equal(count(await audits(users.ruth, 'signin.password'), 'succeeded'), 0);
  });

  it('a right password racing the failures that lock the account is refused', async () => {
    // Nine failures already; then ten more and the right password all at once. At most ten of the
    // eleven are evaluated; if the right one is among them it signs in before the lock (and the
    // failures after it start a new count), else it is refused: never a 500, never a sign-in while
    // the account is locked.
    for (let i = 0; i < 9; i++)
      assert.equal((await postPassword(await signInPage(i), 'sam', `w${i}`)).status, 401);
    const pages = await loadPages(11);
    const answers = await Promise.all(
      pages.map((p, i) => postPassword(p, 'sam', i === 5 ? password : `burst ${i}`)),
    );
    const statuses = answers.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s < 500),
      `no server error: ${statuses}`,
    );
    const rows = await audits(users.sam, 'signin.password');
    const succeeded = count(rows, 'succeeded');
    // A success that leaves nothing to count deletes the row.
    const locks = (await tdb.db('counters').where({ key: 'signin:sam' }).first()) ?? { pending: 0 };
    assert.equal(locks.pending, 0, 'no reservation is left behind');
    if (succeeded === 0) {
      assert.equal(statuses[5], 429, 'the right password was refused');
      assert.ok(
        locks.locked_until && new Date(locks.locked_until) > clock.now(),
        'and the account is locked',
      );
    } else {
      assert.ok(statuses[5] === 302 || statuses[5] === 303, `the right password signed in: ${statuses[5]}`);
    }
    assert.equal(count(rows, 'failed') + count(rows, 'blocked', 'locked') + succeeded, 9 + 11);
  });

  it('a success racing failures: no 500, and every failure is counted', async () => {
    const pages = await loadPages(9);
    const answers = await Promise.all(
      pages.map((p, i) => postPassword(p, 'tess', i === 4 ? password : `mixed ${i}`)),
    );
    const statuses = answers.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s < 500),
      `no server error: ${statuses}`,
    );
    assert.equal(statuses.filter((s) => s === 401).length, 8, 'all eight wrong passwords were checked');
    assert.ok([302, 303].includes(statuses[4]), 'the right one signed in');
    const rows = await audits(users.tess, 'signin.password');
    assert.equal(count(rows, 'failed', 'invalid'), 8);
    assert.equal(count(rows, 'succeeded'), 1);
    // The success cleared the failures settled before it; those settled after it still count, so
    // exactly (10 - what is left) more failures lock the account.
    const row = (await tdb.db('counters').where({ key: 'signin:tess' }).first()) ?? { hits: 0, pending: 0 };
    assert.equal(row.pending, 0, 'no reservation is left behind');
    const left = Number(row.hits);
    assert.ok(left >= 0 && left <= 8);
    for (let i = 0; i < 9 - left; i++) {
      assert.equal((await postPassword(await signInPage(i), 'tess', `after ${i}`)).status, 401);
    }
    assert.equal((await postPassword(await signInPage(0), 'tess', 'the last straw')).status, 429);
  });

  it('12 parallel reset starts for one account: exactly 5 are accepted in the hour', async () => {
    const pages = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const br = new Browser();
        const srv = i % 2 ? b : a;
        const page = await br.get('/reset', srv.issuer);
        return { br, page, srv, altcha: await solvePowInPage(page.text) };
      }),
    );
    const answers = await Promise.all(
      pages.map(({ br, page, srv, altcha }) =>
        br.post('/reset', { ...hiddenInputs(page.text), username: 'uma', altcha }, srv.issuer),
      ),
    );
    const statuses = answers.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s < 500),
      `no server error: ${statuses}`,
    );
    assert.equal(statuses.filter((s) => s === 429).length, 7, `seven refused: ${statuses}`);
    const blocked = await tdb
      .db('audit_events')
      .where({ activity: 'reset.attempt', result: 'blocked', reason: 'too many attempts' });
    assert.equal(blocked.length, 7, 'seven refused attempts audited');
    // uma has no security info, so each accepted attempt ends at the "cannot verify" page.
    const sessions = await tdb.db('reset_sessions');
    assert.equal(sessions.length, 5, 'exactly five reset sessions were started');
    const accepted = await tdb.db('audit_events').where({ activity: 'reset.attempt', result: 'failed' });
    assert.equal(accepted.length, 5);
  });
});

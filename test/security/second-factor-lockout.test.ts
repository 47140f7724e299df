import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { alertText, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { registerAppInPortal } from '../helpers/reset.ts';
import {
  addClientViaCli,
  addUserViaCli,
  discover,
  REDIRECT_URI,
  StepFlow,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool, toolAvailable } from '../helpers/tools.ts';

/*
 * The attack of issue 10: a second factor guessed across many sign-in interactions (each one allowed
 * five wrong codes, and a new one cost nothing). Now 10 failures in any number of interactions lock
 * the account's second factor for the password lockout's doubling periods, the user is emailed, the
 * failures are audited, and a right code is refused while the lock holds. On PostgreSQL the guesses
 * are spread over two instances.
 */
describe(`attacks on the second factor (${backendName}${usingPostgres ? ', two instances' : ''})`, () => {
  let tdb: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let configs: oidc.Configuration[];
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};

  before(async () => {
    tdb = await createTestDatabase();
    a = await startTestServer({ db: tdb.db, clock });
    await setPolicy(a, 'registrationRequired', false);
    if (toolAvailable(OATHTOOL)) {
      for (const login of ['vera', 'walt']) {
        ids[login] = (await addUserViaCli(a, login, password, ['--email', `${login}@example.com`])).id;
        secrets[login] = await registerAppInPortal(a.issuer, login, password, clock);
      }
    }
    // The second instance starts after the portal was used on the first (the portal's own client is
    // registered for the newest instance's address).
    b = usingPostgres ? await startTestServer({ db: tdb.connect(), clock }) : a;
    const c = await addClientViaCli(a, ['mfa-race', '--redirect-uri', REDIRECT_URI, '--first-party']);
    configs = [
      await discover(a.issuer, c.clientId, c.secret),
      await discover(b.issuer, c.clientId, c.secret),
    ];
  });
  after(async () => {
    if (b && b !== a) await b.stop();
    await a.stop();
    await tdb.drop();
  });

  /** A sign-in on instance i % 2, past the password, at the second-factor form. */
  async function atSecondFactor(login: string, i: number): Promise<StepFlow> {
    const f = await StepFlow.start(configs[i % 2]);
    await f.submit({ username: login, password });
    assert.equal(f.page.status, 200);
    assert.match(f.page.text, /name="code"/, 'asks for the code');
    return f;
  }
  /** Codes the app does not show now (outside the ±1 step window). */
  function wrongCodes(login: string, n: number): string[] {
    const good = new Set(
      [-30_000, 0, 30_000].map((d) => oathtoolCode(secrets[login], new Date(clock.now().getTime() + d))),
    );
    const out: string[] = [];
    for (let x = 123_457; out.length < n; x = (x + 104_729) % 1_000_000) {
      const code = String(x).padStart(6, '0');
      if (!good.has(code) && !out.includes(code)) out.push(code);
    }
    return out;
  }
  const postCode = (f: StepFlow, code: string) =>
    f.br.post(formAction(f.page.text), { ...hiddenInputs(f.page.text), code }, f.page.url);
  const audits = async (login: string, activity = 'signin.second_factor') =>
    (await tdb.db('audit_events').where({ subject_id: ids[login], activity }).orderBy('id')) as Array<{
      result: string;
      reason: string | null;
    }>;
  const lockMails = async (login: string) => {
    await deliverQueuedNotices(a);
    return tdb
      .db('outbox')
      .where({ recipient: `${login}@example.com`, purpose: 'notice.second_factor_locked' });
  };

  it('30 parallel wrong codes over 10 interactions: exactly 10 are evaluated, then the lock holds', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const flows = await Promise.all(Array.from({ length: 10 }, (_, i) => atSecondFactor('vera', i)));
    const codes = wrongCodes('vera', 30);
    // Three guesses per interaction (under the five a single interaction allows), all at once.
    const answers = await Promise.all(
      codes.map((code, i) => {
        const f = flows[i % 10];
        return f.br.postRaw(formAction(f.page.text), { ...hiddenInputs(f.page.text), code }, f.page.url);
      }),
    );
    // Every refusal answers 303 back to its page (post/redirect/get), or 429 at once when the lock
    // already holds as the post arrives; none goes towards the app.
    answers.forEach((r, i) => {
      assert.ok(r.status === 303 || r.status === 429, `303 or 429: ${r.status}`);
      if (r.status === 303)
        assert.equal(
          new URL(r.location!, flows[i % 10].page.url).pathname,
          new URL(flows[i % 10].page.url).pathname,
        );
    });

    const rows = await audits('vera');
    const evaluated = rows.filter((r) => r.reason !== 'second_factor_locked');
    assert.equal(evaluated.length, 10, 'exactly ten codes were checked');
    assert.ok(evaluated.every((r) => r.result === 'failed' && r.reason === 'app.code_invalid'));
    assert.equal(
      rows.filter((r) => r.reason === 'second_factor_locked').length,
      20,
      'twenty refused unchecked',
    );
    const lockout = await audits('vera', 'signin.second_factor_lockout');
    assert.deepEqual(
      lockout.map((r) => [r.result, r.reason]),
      [['blocked', 'locked for 60s']],
    );
    assert.equal((await lockMails('vera')).length, 1, 'the user is emailed once');

    // The right code, in a new interaction on either instance, is refused while the lock holds.
    for (const i of [0, 1]) {
      const f = await atSecondFactor('vera', i);
      const r = await postCode(f, oathtoolCode(secrets.vera, clock.now()));
      assert.equal(r.status, 429, 'right code refused while locked');
      assert.match(alertText(r.text) ?? '', /too many unsuccessful verification attempts/);
    }
    // A minute later the lock is over and the right code signs in.
    clock.advance(61_000);
    const f = await atSecondFactor('vera', 1);
    await f.submit({ code: oathtoolCode(secrets.vera, clock.now()) });
    const claims = await f.claims();
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
  });

  it('50 wrong codes over 10 interactions lock after 10; the right code is then refused', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const codes = wrongCodes('walt', 50);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const f = await atSecondFactor('walt', i);
      for (let j = 0; j < 5; j++) statuses.push((await postCode(f, codes[i * 5 + j])).status);
    }
    assert.deepEqual(statuses.slice(0, 4), [400, 400, 400, 400]);
    assert.equal(statuses[4], 429, 'the fifth wrong code ends the first interaction');
    assert.deepEqual(statuses.slice(5, 9), [400, 400, 400, 400]);
    assert.ok(
      statuses.slice(9).every((s) => s === 429),
      'the tenth locks the second factor, whatever the interaction',
    );
    const rows = await audits('walt');
    assert.equal(rows.length, 50, 'every guess is audited');
    assert.equal(rows.filter((r) => r.reason !== 'second_factor_locked').length, 10, 'ten were checked');
    assert.equal(rows.filter((r) => r.reason === 'second_factor_locked').length, 40, 'forty refused');
    assert.equal((await audits('walt', 'signin.second_factor_lockout')).length, 1);
    const mails = await lockMails('walt');
    assert.equal(mails.length, 1);
    assert.match(mails[0].subject, /locked/i);

    const f = await atSecondFactor('walt', 0);
    const r = await postCode(f, oathtoolCode(secrets.walt, clock.now()));
    assert.equal(r.status, 429, 'the right code is refused while the lock holds');
    const detail = await tdb
      .db('counters')
      .where({ key: `2fa:${ids.walt}` })
      .first();
    assert.ok(new Date(detail.locked_until) > clock.now());
    assert.equal(detail.pending, 0);
  });
});

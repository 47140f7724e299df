import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { translator } from '../../src/i18n/index.ts';
import { alertText, Browser, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { solvePowInPage } from '../helpers/pow.ts';
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
 * Control characters (a NUL above all: PostgreSQL cannot store it) in a form field, a JSON string or
 * a query parameter are refused with a 400 in the reader's language before anything is counted,
 * stored or spent. On /reset that includes the proof of work: the same solution still works after.
 */

describe(`control characters are refused before any state changes (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const en = translator('en');
  const ja = translator('ja');

  const count = async (table: string) => Number((await tdb.db(table).count({ n: '*' }))[0].n);

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'nul-user', password);
    const c = await addClientViaCli(srv, ['nul-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  it('a NUL (or another control character) in the sign-in user ID: 400 in the user’s language, nothing counted', async () => {
    const audits = await count('audit_events');
    for (const [username, br, t] of [
      ['nul-user\u0000', new Browser(), en],
      ['nul\u0000user', Object.assign(new Browser(), { acceptLanguage: 'ja' }), ja],
      ['nul-user\u001b[31m', new Browser(), en],
      ['nul-user\u0085', new Browser(), en],
      ['nul-user\r\nX: y', new Browser(), en],
    ] as const) {
      const f = await StepFlow.start(config, {}, br);
      const r = await f.submit({ username, password });
      assert.equal(r.status, 400, JSON.stringify(username));
      assert.equal(alertText(r.text), t('error.controlCharacters'));
    }
    assert.equal(await count('audit_events'), audits, 'no sign-in attempt was recorded');
    // The same form with a clean user ID still signs in.
    const f = await StepFlow.start(config);
    await f.submit({ username: 'nul-user', password });
    assert.equal((await f.claims()).sub.length > 0, true);
  });

  it('a NUL in the reset user ID: 400 before the proof of work is redeemed; the same solution works after', async () => {
    const br = new Browser();
    const page = await br.get('/reset', srv.issuer);
    assert.equal(page.status, 200);
    const altcha = await solvePowInPage(page.text);
    const form = hiddenInputs(page.text);
    const tables = ['pow_redemptions', 'challenges', 'reset_locks', 'audit_events'];
    const before = await Promise.all(tables.map(count));
    const refused = await br.post('/reset', { ...form, username: 'nul-user\u0000', altcha }, srv.issuer);
    assert.equal(refused.status, 400);
    assert.equal(alertText(refused.text), en('error.controlCharacters'));
    assert.deepEqual(await Promise.all(tables.map(count)), before, `nothing written to ${tables.join(', ')}`);
    // The solution was not spent: it is accepted now (an account with too few methods gets its page).
    const again = await br.post('/reset', { ...form, username: 'nul-user', altcha }, srv.issuer);
    assert.notEqual(again.status, 500);
    assert.notEqual(alertText(again.text), en('reset.identify.pow'), 'the proof of work was not used up');
    assert.ok(again.status === 200 || again.status === 302, `status ${again.status}`);
    // And only once: the same solution a second time is refused as spent.
    const third = await br.post('/reset', { ...form, username: 'nul-user', altcha }, srv.issuer);
    assert.equal(third.status, 400);
    assert.equal(alertText(third.text), en('reset.identify.pow'));
  });

  it('a NUL in the administrator search (API and console), a path and a query key: 400, never 500', async () => {
    const api = await fetch(`${srv.url}/api/admin/v1/users?q=a%00b`, {
      headers: { 'accept-language': 'ja' },
    });
    assert.equal(api.status, 400);
    assert.deepEqual(await api.json(), {
      error: 'request.control_characters',
      error_description: ja('error.controlCharacters'),
    });
    const page = await fetch(`${srv.url}/admin/users?q=%00`);
    assert.equal(page.status, 400);
    assert.equal(alertText(await page.text()), en('error.controlCharacters'));
    // A NUL in a path segment, and a raw one in a query key.
    for (const p of ['/admin/users/%00', '/my/?%00=1', '/interaction/%00abc']) {
      const r = await fetch(`${srv.url}${p}`);
      assert.equal(r.status, 400, p);
    }
  });

  it('tab and line breaks are refused in single-line fields', async () => {
    const f = await StepFlow.start(config);
    const r = await f.submit({ username: 'nul-user\t', password });
    assert.equal(r.status, 400);
  });
});

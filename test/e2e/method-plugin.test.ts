import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { ACR_MFA } from '../../src/oidc/acr.ts';
import { pinMethod } from '../fixtures/methods/pin/index.ts';
import { alertText, Browser, formAction, hiddenInputs, type Resp } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
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
 * CONTRIBUTING.md, "Adding a verification method", proven: the PIN method of test/fixtures/methods/pin/
 * was written by following it (one folder: index.ts, its partials, its messages) and is registered
 * with `createApp({ methods: [pinMethod] })`. Over real HTTP a user registers it in the portal and
 * signs in with it as the second factor, in English and Japanese, while no file in src/ names it.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe(`a verification method added by following CONTRIBUTING.md (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const PIN = '246810';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock, methods: [pinMethod] });
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'pia', password, ['--email', 'pia@example.com']);
    const c = await addClientViaCli(srv, ['pin-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  /** Opens a portal page, signing in through the provider's pages when asked to. */
  async function open(br: Browser, where: string): Promise<Resp> {
    let r = await br.follow(await br.get(where, srv.issuer));
    for (let i = 0; i < 4 && /\/interaction\//.test(r.url); i++) {
      const fields: Record<string, string> = { ...hiddenInputs(r.text) };
      if (/name="username"/.test(r.text)) Object.assign(fields, { username: 'pia', password });
      r = await br.follow(await br.post(formAction(r.text), fields, r.url));
    }
    return r;
  }
  /** Posts the PIN form of a portal page (the page's first form is the navigation's sign-out). */
  const ADD = '/my/security-info/add/pin';
  const postPin = (br: Browser, page: Resp, pin: string) =>
    br.post(ADD, { _csrf: hiddenInputs(page.text)._csrf, pin }, srv.issuer);

  it('no file in src/ names the method: flows, registry and catalogue reach it only through the registry', () => {
    let hits = '';
    try {
      hits = execFileSync(
        'git',
        ['grep', '-n', '-E', `(['"\`/]pin['"\`/.])|pinMethod|'pin\\.`, '--', 'src', 'views'],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );
    } catch (e) {
      if ((e as { status?: number }).status !== 1) throw e; // 1: no match
    }
    assert.equal(hits.trim(), '');
  });

  it('the portal offers it and registers a PIN through its own partial and messages', async () => {
    const br = new Browser();
    const list = await open(br, '/my/security-info');
    assert.equal(new URL(list.url).pathname, '/my/security-info');
    assert.match(list.text, /href="\/my\/security-info\/add\/pin"/, 'offered among the methods to add');
    let page = await br.get('/my/security-info/add/pin', srv.issuer);
    assert.equal(page.status, 200);
    assert.match(
      page.text,
      /data-method="pin"/,
      "the method's own partial (test/fixtures/methods/pin/views)",
    );
    assert.match(page.text, /<h1>PIN<\/h1>/, 'named by its own `method.pin` message');
    assert.match(page.text, /Choose a PIN of 6 digits/);

    // A refusal of the method: its own localized message, as the portal shows any method's.
    assert.match(page.text, new RegExp(`<form method="post" action="${ADD}"`));
    const bad = await postPin(br, page, '12');
    page = bad.status === 303 ? await br.follow(bad) : bad;
    assert.equal(page.status, 400);
    assert.equal(alertText(page.text), 'A PIN is 6 digits.');
    assert.equal((await tdb.db('credentials').where({ kind: 'pin' })).length, 0, 'nothing half-written');

    const done = await br.follow(await postPin(br, page, PIN));
    assert.equal(new URL(done.url).pathname, '/my/security-info');
    assert.match(done.text, /PIN/);
    const rows = await tdb.db('credentials').where({ kind: 'pin' });
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows[0]).includes(PIN), 'the PIN is not stored in the clear');
    const added = await tdb.db('audit_events').where({ activity: 'security_info.add', result: 'succeeded' });
    assert.ok(
      added.some(
        (e: any) => (typeof e.details === 'string' ? JSON.parse(e.details) : e.details)?.kind === 'pin',
      ),
      'audited like any method',
    );
  });

  it('signs in with password + PIN: a wrong PIN is refused with its message, the right one completes MFA', async () => {
    const f = await StepFlow.start(config);
    await f.submit({ username: 'pia', password });
    assert.equal(f.page.status, 200);
    assert.match(f.page.text, /data-method="pin"/, 'the second step is the PIN partial');
    assert.match(f.page.text, /Type your PIN\./);
    await f.submit({ pin: '135790' });
    assert.equal(f.page.status, 400);
    assert.equal(alertText(f.page.text), 'That PIN is not right.');
    await f.submit({ pin: PIN });
    const claims = await f.claims();
    assert.deepEqual(claims.amr, ['pwd', 'pin', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    const second = await tdb.db('audit_events').where({ activity: 'signin.second_factor' });
    assert.deepEqual(second.map((e: any) => e.result).sort(), ['failed', 'succeeded']);
  });

  it('speaks Japanese from its own messages', async () => {
    const f = await StepFlow.start(config, { ui_locales: 'ja' });
    await f.submit({ username: 'pia', password });
    assert.match(f.page.text, /PIN を入力してください。/);
    await f.submit({ pin: '000000' });
    assert.equal(alertText(f.page.text), 'PIN が正しくありません。');
  });
});

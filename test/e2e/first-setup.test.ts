import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { en } from '../../src/i18n/en/index.ts';
import {
  alertText,
  Browser,
  decodeEntities,
  formAction,
  hiddenInputs,
  type Resp,
} from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addUserViaCli } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool } from '../helpers/tools.ts';

/*
 * After first setup the person continues where they were going: the registration wizard at sign-in
 * ends the sign-in and the portal shows the page first asked for. The first administrator, who
 * registered a second factor during that sign-in (which is not a second factor yet), is asked to
 * sign in again with it: on a form with the user ID filled in and a sentence that says why, never
 * an empty form; with the authenticator code the console opens.
 */

describe(`continuing after first setup (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'willow compass garnet 19';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    // The defaults: registration required at sign-in, one method that can reset.
    await addUserViaCli(srv, 'nora', password, ['--email', 'nora@example.com']);
    await addUserViaCli(srv, 'admin', password, ['--email', 'admin@example.com', '--admin']);
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  /** Signs in with the password at the page `r` shows, and registers the authenticator app in the wizard. */
  async function passwordThenWizard(
    br: Browser,
    r: Resp,
    login: string,
  ): Promise<{ r: Resp; secret: string }> {
    assert.match(r.text, /name="username"/, 'the sign-in form');
    r = await br.follow(
      await br.post(formAction(r.text), { ...hiddenInputs(r.text), username: login, password }, r.url),
    );
    assert.match(r.url, /\/interaction\/[A-Za-z0-9_-]+$/, 'the registration wizard');
    const add = /href="(\/interaction\/[^"]+\/register\/app)"/.exec(r.text);
    assert.ok(add, `the wizard offers the authenticator app: ${r.text.slice(0, 800)}`);
    r = await br.get(add[1], srv.issuer);
    const secret = decodeEntities(/<code translate="no">([^<]+)<\/code>/.exec(r.text)![1]).replace(
      /\s+/g,
      '',
    );
    r = await br.follow(
      await br.post(
        formAction(r.text),
        { ...hiddenInputs(r.text), code: oathtoolCode(secret, clock.now()) },
        r.url,
      ),
    );
    clock.advance(30_000);
    return { r, secret };
  }

  it('the portal page first asked for opens after the wizard', async (t: TestContext) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const br = new Browser();
    const first = await br.follow(await br.get('/my/activity', srv.issuer));
    const { r } = await passwordThenWizard(br, first, 'nora');
    assert.equal(r.status, 200, alertText(r.text) ?? r.text.slice(0, 500));
    assert.equal(new URL(r.url).pathname, '/my/activity', 'where the person was going');
  });

  it('the first administrator signs in again on a filled-in form that says why, then the console opens', async (t: TestContext) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const br = new Browser();
    const first = await br.follow(await br.get('/admin/', srv.issuer));
    let { r, secret } = await passwordThenWizard(br, first, 'admin');
    // Administrators need two methods: the second is an alternate email, with the code it receives.
    assert.match(r.text, /1 of 2 registered/);
    const add = /href="(\/interaction\/[^"]+\/register\/email)"/.exec(r.text)!;
    r = await br.get(add[1], srv.issuer);
    r = await br.follow(
      await br.post(
        formAction(r.text),
        { ...hiddenInputs(r.text), address: 'admin.home@example.org' },
        r.url,
      ),
    );
    const mail = await tdb.db('outbox').where({ recipient: 'admin.home@example.org' }).first();
    const code = /^\s+(\d{6})\s*$/m.exec(mail.body_text)![1];
    r = await br.follow(await br.post(formAction(r.text), { ...hiddenInputs(r.text), code }, r.url));
    assert.match(r.url, /\/interaction\/[A-Za-z0-9_-]+$/, 'a sign-in again, not the console yet');
    assert.match(r.text, /id="username"[^>]* value="admin"/, 'the user ID is filled in');
    const why = /<p class="notice" role="status" id="step-up">([^<]+)<\/p>/.exec(r.text);
    assert.ok(why, 'a sentence says why');
    assert.equal(
      decodeEntities(why[1]),
      en['signin.stepUpMfa'].replace('{client}', en['appName.admin'].replace('{org}', 'Tobira')),
    );
    r = await br.follow(
      await br.post(formAction(r.text), { ...hiddenInputs(r.text), username: 'admin', password }, r.url),
    );
    assert.match(r.url, /\/mfa\/app$/, 'the second factor');
    r = await br.follow(
      await br.post(
        formAction(r.text),
        { ...hiddenInputs(r.text), code: oathtoolCode(secret, clock.now()) },
        r.url,
      ),
    );
    assert.equal(r.status, 200, alertText(r.text) ?? r.text.slice(0, 500));
    assert.equal(new URL(r.url).pathname, '/admin/', 'the console');
  });
});

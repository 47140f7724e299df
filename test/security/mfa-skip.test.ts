import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { ACR_PASSWORD } from '../../src/oidc/acr.ts';
import { alertText, decodeEntities, hiddenInputs } from '../helpers/browser.ts';
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
import { OATHTOOL, oathtoolCode, requireTool } from '../helpers/tools.ts';

/**
 * Attack on `mfa: required` (issue 10, finding 5): a user without methods posted "skip" in the
 * registration wizard and received a code with acr pwd. The wizard is now left only by registering a
 * method or by signing out.
 */
describe(`mfa required: the registration wizard has no skip (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await addUserViaCli(srv, 'sam', password, ['--email', 'sam@example.com']);
    await addUserViaCli(srv, 'kim', password);
    const c = await addClientViaCli(srv, ['skip-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
    await setPolicy(srv, 'mfa', 'required');
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  const skipAction = (html: string) => /action="(\/interaction\/[^"]+\/register-skip)"/.exec(html)?.[1];
  const codesIssued = async () =>
    Number((await tdb.db('oidc_payloads').where({ model: 'AuthorizationCode' }).count({ n: '*' }))[0].n);

  it('posting "skip" is refused: no code is issued, the wizard stays, and the refusal is audited', async () => {
    const f = await StepFlow.start(config);
    // The browser's CSRF token (the same on every form of this browser), read from the sign-in page.
    const csrf = hiddenInputs(f.page.text)._csrf;
    assert.ok(csrf);
    await f.submit({ username: 'sam', password });
    assert.equal(f.page.status, 200);
    assert.match(f.page.text, /More information required/);
    assert.equal(skipAction(f.page.text), undefined, 'no skip button is rendered');
    assert.match(f.page.text, /href="\/interaction\/[^/]+\/abort">Sign out</, 'signing out is offered');
    const links = [...f.page.text.matchAll(/href="\/interaction\/[^/]+\/register\/(\w+)"/g)].map((m) => m[1]);
    assert.ok(links.includes('app'));
    assert.ok(!links.includes('email') && !links.includes('questions'), 'only sign-in methods are offered');

    // The attack: post the skip form anyway, as the old page did.
    const uid = /\/interaction\/([^/"]+)/.exec(f.page.url)![1];
    const codesBefore = await codesIssued();
    const r = await f.br.post(`/interaction/${uid}/register-skip`, { _csrf: csrf }, srv.issuer);
    assert.equal(r.status, 403);
    assert.equal(r.location, undefined, 'no redirect towards the app');
    assert.match(alertText(r.text) ?? '', /cannot skip this step/);
    assert.equal(await codesIssued(), codesBefore, 'no authorization code was issued');
    const refused = await tdb
      .db('audit_events')
      .where({ activity: 'security_info.registration_prompt', result: 'blocked' });
    assert.equal(refused.length, 1);
    assert.equal(refused[0].reason, 'second_factor_required');
    assert.equal(
      (
        await tdb
          .db('audit_events')
          .where({ activity: 'security_info.registration_prompt', result: 'cancelled' })
      ).length,
      0,
    );

    // The interaction is still in the wizard: going back shows it again, and skipping again is refused.
    const again = await f.br.get(`/interaction/${uid}`, srv.issuer);
    assert.equal(again.status, 200);
    assert.match(again.text, /More information required/);
    const r2 = await f.br.post(`/interaction/${uid}/register-skip`, { _csrf: csrf }, srv.issuer);
    assert.equal(r2.status, 403);
    assert.match(alertText(r2.text) ?? '', /cannot skip this step/);

    // Signing out ends the sign-in: the app gets access_denied, never a code.
    const out = await f.br.follow(await f.br.get(`/interaction/${uid}/abort`, srv.issuer), REDIRECT_URI);
    const back = new URL(out.location!);
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('code'), null);
    assert.equal(await codesIssued(), codesBefore);
  });

  it('skipping by a concurrent burst of posts is refused every time', async () => {
    const f = await StepFlow.start(config);
    const csrf = hiddenInputs(f.page.text)._csrf;
    await f.submit({ username: 'kim', password });
    const uid = /\/interaction\/([^/"]+)/.exec(f.page.url)![1];
    const codesBefore = await codesIssued();
    // Each refused post answers 303 back to the wizard (post/redirect/get), never towards the app.
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        f.br.postRaw(`/interaction/${uid}/register-skip`, { _csrf: csrf }, srv.issuer),
      ),
    );
    for (const r of results) {
      assert.equal(r.status, 303);
      assert.equal(new URL(r.location!, srv.issuer).pathname, `/interaction/${uid}`);
    }
    // The page then says why, and the interaction is still in the wizard.
    const page = await f.br.get(`/interaction/${uid}`, srv.issuer);
    assert.equal(page.status, 403);
    assert.match(alertText(page.text) ?? '', /cannot skip this step/);
    assert.match(page.text, /More information required/);
    assert.equal(
      (
        await tdb
          .db('audit_events')
          .where({ activity: 'security_info.registration_prompt', result: 'blocked' })
      ).length,
      2 + 8,
      'every refused skip is audited',
    );
    assert.equal(await codesIssued(), codesBefore);
  });

  it('registering a sign-in method is the way out (the sign-in completes with what was verified)', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const f = await StepFlow.start(config);
    await f.submit({ username: 'sam', password });
    const link = /href="(\/interaction\/[^"]+\/register\/app)"/.exec(f.page.text)![1];
    f.page = await f.br.get(link, srv.issuer);
    const secret = decodeEntities(/<code translate="no">([^<]+)<\/code>/.exec(f.page.text)![1]).replace(
      /\s+/g,
      '',
    );
    await f.submit({ code: oathtoolCode(secret, clock.now()), name: 'Phone' });
    const claims = await f.claims();
    assert.equal(claims.acr, ACR_PASSWORD);
    assert.equal((await tdb.db('credentials').where({ kind: 'app' })).length, 1);
  });

  it('with mfa "whenRegistered" the wizard (for reset methods) can still be skipped', async () => {
    await setPolicy(srv, 'mfa', 'whenRegistered');
    const f = await StepFlow.start(config);
    await f.submit({ username: 'kim', password });
    assert.match(f.page.text, /More information required/);
    const action = skipAction(f.page.text);
    assert.ok(action, 'the skip button is back');
    f.page = await f.br.follow(await f.br.post(action, hiddenInputs(f.page.text), f.page.url), REDIRECT_URI);
    assert.equal((await f.claims()).acr, ACR_PASSWORD);
  });
});

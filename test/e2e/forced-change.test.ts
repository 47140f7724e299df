import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { alertText, Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, discover, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe(`a temporary password must be changed at the next sign-in (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  let temporary = '';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'rita', 'correct horse battery staple');
    const c = await addClientViaCli(srv, ['fc-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
    const r = await runCommand(['user', 'reset-password', 'rita', '--json'], undefined, {
      db: srv.db,
      box: srv.box,
      clock: systemClock,
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    temporary = out.temporaryPassword ?? out.temporary_password ?? out.password;
    assert.ok(temporary, `a temporary password is printed: ${r.stdout}`);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  it('asks for a new password before the app gets a code; the temporary one then stops working', async () => {
    const br = new Browser();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    let page = await br.follow(await br.get(url.href), REDIRECT_URI);
    page = await br.follow(
      await br.post(
        formAction(page.text),
        { ...hiddenInputs(page.text), username: 'rita', password: temporary },
        page.url,
      ),
      REDIRECT_URI,
    );
    assert.equal(page.status, 200);
    assert.match(page.text, /temporary password/);
    let r = await br.post(
      formAction(page.text),
      { ...hiddenInputs(page.text), password: 'rita-rita-rita', confirm: 'rita-rita-rita' },
      page.url,
    );
    assert.equal(r.status, 400);
    assert.match(alertText(r.text) ?? r.text, /user ID/);
    const next = 'saffron kettle meadow 3';
    r = await br.follow(
      await br.post(
        formAction(page.text),
        { ...hiddenInputs(page.text), password: next, confirm: next },
        page.url,
      ),
      REDIRECT_URI,
    );
    assert.ok(r.location?.startsWith(REDIRECT_URI), 'the sign-in continues to the app');
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'password.change_required', result: 'succeeded' });
    assert.equal(audit.length, 1);

    const other = new Browser();
    let p = await other.follow(await other.get(url.href), REDIRECT_URI);
    p = await other.post(
      formAction(p.text),
      { ...hiddenInputs(p.text), username: 'rita', password: temporary },
      p.url,
    );
    assert.equal(p.status, 401, 'the temporary password no longer works');
  });
});

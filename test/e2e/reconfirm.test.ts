import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import { updateSecurityInfoConfirmed } from '../../src/store/users.ts';
import { Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, discover, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe(`reconfirming security info after the period (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  let ivan: { id: string };
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'mfa', 'off');
    ivan = await addUserViaCli(srv, 'ivan', password);
    await insertCredential(
      srv.db,
      ivan.id,
      { kind: 'app', label: 'Phone', data: { secret: 'sealed', lastStep: 0 } },
      clock.now(),
    );
    await updateSecurityInfoConfirmed(srv.db, ivan.id, clock.now());
    const c = await addClientViaCli(srv, ['rc-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  async function signIn() {
    const br = new Browser();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const page = await br.follow(await br.get(url.href));
    const r = await br.follow(
      await br.post(
        formAction(page.text),
        { ...hiddenInputs(page.text), username: 'ivan', password },
        page.url,
      ),
      REDIRECT_URI,
    );
    return { br, r };
  }

  it('does not ask within the period', async () => {
    clock.advance(179 * 86_400_000);
    const { r } = await signIn();
    assert.ok(r.location?.startsWith(REDIRECT_URI));
  });

  it('asks after the period; confirming finishes the sign-in and resets the period', async () => {
    clock.advance(2 * 86_400_000);
    const { br, r } = await signIn();
    assert.equal(r.status, 200);
    assert.match(r.text, /Is your security info still right\?/);
    assert.match(r.text, /Phone/);
    const done = await br.follow(
      await br.post(formAction(r.text), hiddenInputs(r.text), r.url),
      REDIRECT_URI,
    );
    assert.ok(done.location?.startsWith(REDIRECT_URI));
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'security_info.reconfirm', subject_id: ivan.id });
    assert.equal(audit.length, 1);
    const again = await signIn();
    assert.ok(again.r.location?.startsWith(REDIRECT_URI), 'not asked again');
  });

  it('never asks when the period is 0', async () => {
    await setPolicy(srv, 'reconfirmDays', 0);
    clock.advance(1000 * 86_400_000);
    const { r } = await signIn();
    assert.ok(r.location?.startsWith(REDIRECT_URI));
  });
});

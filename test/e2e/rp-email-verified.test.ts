import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * email_verified follows the administrator's mark: false at first, true once marked, false again
 * after the email changes; the ID token (claims parameter) and userinfo say the same.
 */
describe(`email_verified (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  let ada: { id: string };
  const password = 'correct horse battery staple';
  const cli = (args: string[]) =>
    runCommand(args, undefined, { db: srv.db, box: srv.box, clock: systemClock });

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    await setPolicy(srv, 'registrationRequired', false);
    ada = await addUserViaCli(srv, 'ada', password, ['--email', 'ada@example.test']);
    const c = await addClientViaCli(srv, ['app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  async function claims() {
    const { tokens } = await codeFlow(
      config,
      { username: 'ada', password },
      { extra: { claims: JSON.stringify({ id_token: { email_verified: null, email: null } }) } },
    );
    const info = await oidc.fetchUserInfo(config, tokens.access_token, ada.id);
    const id = tokens.claims()!;
    assert.equal(id.email_verified, info.email_verified, 'the ID token and userinfo agree');
    assert.equal(id.email, info.email);
    return { verified: info.email_verified, email: info.email };
  }

  it('is false until an administrator marks the email, then true', async () => {
    assert.deepEqual(await claims(), { verified: false, email: 'ada@example.test' });
    const r = await cli(['user', 'update', 'ada', '--email-verified', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).emailVerified, true);
    assert.deepEqual(await claims(), { verified: true, email: 'ada@example.test' });
  });

  it('changing the email clears the mark; setting the same email keeps it', async () => {
    await cli(['user', 'update', 'ada', '--email-verified']);
    const same = await cli(['user', 'update', 'ada', '--email', 'ada@example.test', '--json']);
    assert.equal(JSON.parse(same.stdout).emailVerified, true);
    const changed = await cli(['user', 'update', 'ada', '--email', 'ada@elsewhere.test', '--json']);
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(JSON.parse(changed.stdout).emailVerified, false);
    assert.deepEqual(await claims(), { verified: false, email: 'ada@elsewhere.test' });
  });

  it('refuses to mark a missing email verified, with a clear message', async () => {
    await cli(['user', 'update', 'ada', '--email', '']);
    const r = await cli(['user', 'update', 'ada', '--email-verified']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no email to mark as verified/);
  });
});

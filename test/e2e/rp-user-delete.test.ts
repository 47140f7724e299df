import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { PERMISSIONS } from '../../src/flows/admin/permissions.ts';
import * as svc from '../../src/flows/admin/service.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { LogoutReceiver } from '../helpers/logout-rp.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  failPasswords,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * `user delete`: every row of the user is gone, their tokens are refused, the apps they were signed in
 * to get a back-channel logout, and the audit events remain under a pseudonym without their login.
 */
describe(`user delete (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const rp = new LogoutReceiver();
  const password = 'correct horse battery staple';
  const actor = {
    id: 'client:test-automation',
    kind: 'client' as const,
    label: 'test-automation',
    permissions: new Set(PERMISSIONS),
    via: 'api' as const,
  };

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, env: { BACKCHANNEL_ALLOWED_NETWORKS: '127.0.0.0/8' } });
    await setPolicy(srv, 'registrationRequired', false);
    const uri = await rp.start(srv.issuer, 'app');
    const c = await addClientViaCli(srv, [
      'app',
      '--redirect-uri',
      REDIRECT_URI,
      '--backchannel-logout-uri',
      uri,
      '--backchannel-logout-session-required',
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'refresh_token',
    ]);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await rp.stop();
    await srv.stop();
    await tdb.drop();
  });

  /** Rows naming the user in any table (the audit trail is checked on its own). */
  async function rowsOf(id: string, login: string) {
    const db = srv.db;
    const count = async (q: any) => Number((await q.count({ n: '*' }).first()).n);
    return {
      users: await count(db('users').where({ id })),
      credentials: await count(db('credentials').where({ user_id: id })),
      group_members: await count(db('group_members').where({ user_id: id })),
      counters: await count(db('counters').where({ user_id: id })),
      first_party_sessions: await count(db('first_party_sessions').where({ user_id: id })),
      notice_queue: await count(db('notice_queue').where({ user_id: id })),
      password_history: await count(db('password_history').where({ user_id: id })),
      oidc_payloads: await count(db('oidc_payloads').where({ account_id: id })),
      audit_by_id: await count(db('audit_events').where({ subject_id: id }).orWhere({ actor_id: id })),
      audit_login: await count(db('audit_events').whereRaw('details::text like ?', [`%"${login}"%`])),
    };
  }

  it('erases the user, refuses their tokens, logs the apps out and keeps a pseudonymous audit trail', async () => {
    const ada = await addUserViaCli(srv, 'ada', password, ['--email', 'ada@example.test']);
    const cx = { db: srv.db, box: srv.box, clock: systemClock };
    await runCommand(['group', 'add', 'staff'], undefined, cx);
    await runCommand(['group', 'add-member', 'staff', 'ada'], undefined, cx);
    await svc.updateUser(srv.app.deps, actor, 'ada', { displayName: 'Ada' });
    await failPasswords(config, 'ada', 1);
    const { tokens } = await codeFlow(
      config,
      { username: 'ada', password },
      { scope: 'openid offline_access', extra: { prompt: 'consent' } },
    );
    assert.ok(tokens.refresh_token);
    const before = await rowsOf(ada.id, 'ada');
    assert.equal(before.users, 1);
    assert.equal(before.group_members, 1);
    assert.ok(before.oidc_payloads > 0, 'the user has provider sessions and tokens');
    assert.ok(before.audit_by_id > 0, 'the user has audit events');

    const r = await svc.deleteUser(srv.app.deps, actor, 'ada');
    assert.match(r.pseudonym, /^deleted:/);
    await srv.app.deps.backchannel.idle();

    const afterRows = await rowsOf(ada.id, 'ada');
    assert.deepEqual(
      Object.entries(afterRows).filter(([, n]) => n !== 0),
      [],
      'no row names the user any more',
    );
    // Tokens are refused.
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!));
    const info = await fetch(`${srv.issuer}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(info.status, 401);
    // The app got a logout token for the user's session.
    await rp.waitFor(1);
    assert.equal(rp.received[0].claims.sub, ada.id);
    assert.ok(rp.received[0].claims.sid);
    // The audit trail remains under the pseudonym, the deletion itself included.
    const kept = await srv.db('audit_events').where({ subject_id: r.pseudonym });
    assert.ok(kept.length >= 2, 'earlier events kept');
    assert.ok(kept.some((e: any) => e.activity === 'admin.user.delete'));
    // The login is free again.
    const again = await addUserViaCli(srv, 'ada', password);
    assert.notEqual(again.id, ada.id);
  });

  it('refuses an unknown user and an administrator deleting themselves', async () => {
    await assert.rejects(svc.deleteUser(srv.app.deps, actor, 'nobody'), (e: any) => e.status === 404);
    const grace = await addUserViaCli(srv, 'grace', password, ['--admin']);
    await assert.rejects(
      svc.deleteUser(srv.app.deps, { ...actor, id: grace.id, kind: 'user' as never }, 'grace'),
      (e: any) => e.status === 409,
    );
    const cli = await runCommand(['user', 'delete', 'grace', '--json'], undefined, {
      db: srv.db,
      box: srv.box,
      clock: systemClock,
    });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).deleted, 'grace');
  });
});

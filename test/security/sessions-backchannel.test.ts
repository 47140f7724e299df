import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { PERMISSIONS } from '../../src/flows/admin/permissions.ts';
import * as svc from '../../src/flows/admin/service.ts';
import { DestinationPolicy } from '../../src/oidc/backchannel.ts';
import { updateClientRow } from '../../src/store/client-admin.ts';
import { findClient } from '../../src/store/clients.ts';
import { formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { LogoutReceiver } from '../helpers/logout-rp.ts';
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
 * Back-channel logout to an app on a private or loopback address: refused (and audited) unless the
 * operator lists the network in BACKCHANNEL_ALLOWED_NETWORKS; with it, delivered with a verified
 * signature, `sid` when the client requires it, and a bounded number of retries after failures.
 * Two instances on one database: `open` allows 127.0.0.0/8, `closed` allows nothing.
 */
describe(`back-channel logout destinations (${backendName})`, () => {
  let tdb: TestDatabase;
  let open: TestServer;
  let closed: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const withSid = new LogoutReceiver();
  const withoutSid = new LogoutReceiver();
  const apps: Record<string, { clientId: string; secret?: string }> = {};
  const actor = {
    id: 'client:test-automation',
    kind: 'client' as const,
    label: 'test-automation',
    permissions: new Set(PERMISSIONS),
    via: 'api' as const,
  };

  async function register(srv: TestServer, name: string, rp: LogoutReceiver, sessionRequired: boolean) {
    const c = await addClientViaCli(srv, [name, '--redirect-uri', REDIRECT_URI]);
    const uri = await rp.start(open.issuer, c.clientId);
    const row = (await findClient(srv.db, c.clientId))!;
    await updateClientRow(
      srv.db,
      c.clientId,
      {
        metadata: {
          ...row.metadata,
          backchannel_logout_uri: uri,
          backchannel_logout_session_required: sessionRequired,
        },
      },
      clock.now(),
    );
    for (const s of [open, closed]) s.app.deps.clients.invalidate();
    apps[name] = c;
  }

  before(async () => {
    tdb = await createTestDatabase();
    open = await startTestServer({
      db: tdb.db,
      clock,
      env: { BACKCHANNEL_ALLOWED_NETWORKS: '127.0.0.0/8, ::1' },
    });
    closed = await startTestServer({ db: tdb.db, clock });
    await setPolicy(open, 'registrationRequired', false);
    await setPolicy(open, 'mfa', 'off');
    await register(open, 'bc-sid', withSid, true);
    await register(open, 'bc-plain', withoutSid, false);
    // Retries are due at once in tests (queued rows the test drains, not delays it waits out).
    open.app.deps.backchannel.retryDelaysMs = [0, 0, 0];
  });
  after(async () => {
    await open.stop();
    await closed.stop();
    await withSid.stop();
    await withoutSid.stop();
    await tdb.drop();
  });

  /** Signs `login` in to an app on `srv` and returns the ID token's claims and the token itself. */
  async function signIn(srv: TestServer, app: string, login: string) {
    const config = await discover(srv.issuer, apps[app].clientId, apps[app].secret);
    const flow = await codeFlow(config, { username: login, password });
    return { config, flow, claims: flow.tokens.claims()! };
  }

  /** The first delivery, then the queued retries until none is due (what the background job does). */
  async function settle(srv: TestServer) {
    await srv.app.deps.backchannel.idle();
    while (await srv.app.deliverLogouts()) {}
  }

  const audits = (subject: string) =>
    tdb.db('audit_events').where({ activity: 'oidc.backchannel_logout', subject_id: subject }).orderBy('id');
  const detailsOf = (row: { details: unknown }) =>
    (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<string, unknown>;

  it('without the allow-list nothing is sent to a loopback app, and the refusal is audited', async () => {
    const u = await addUserViaCli(open, 'bc-closed', password);
    const { claims } = await signIn(closed, 'bc-sid', 'bc-closed');
    assert.ok(claims.sid);
    const hits = withSid.hits;
    await svc.setUserStatus(closed.app.deps, actor, 'bc-closed', 'disabled');
    await settle(closed);
    assert.equal(withSid.hits, hits, 'no request reached the app');
    const rows = await audits(u.id);
    assert.equal(rows.length, 1, 'one refusal, not retried');
    assert.equal(rows[0].result, 'blocked');
    assert.match(rows[0].reason, /BACKCHANNEL_ALLOWED_NETWORKS/);
    assert.equal(detailsOf(rows[0]).clientId, apps['bc-sid'].clientId);
  });

  it('with the allow-list the app receives a verified logout token with its sid', async () => {
    const u = await addUserViaCli(open, 'bc-open', password);
    const { claims } = await signIn(open, 'bc-sid', 'bc-open');
    const n = withSid.received.length;
    await svc.resetPassword(open.app.deps, actor, 'bc-open');
    await open.app.deps.backchannel.idle();
    await withSid.waitFor(n + 1);
    const got = withSid.received.slice(n);
    assert.equal(got.length, 1);
    assert.equal(got[0].claims.sub, u.id);
    assert.equal(got[0].claims.sid, claims.sid);
    assert.equal(got[0].claims.iss, open.issuer);
    assert.equal(got[0].claims.nonce, undefined, 'a logout token has no nonce');
    const rows = await audits(u.id);
    assert.deepEqual(
      rows.map((r) => r.result),
      ['succeeded'],
    );
  });

  it('an app that does not require the session gets no sid in the logout token, yet its ID token has one', async () => {
    const u = await addUserViaCli(open, 'bc-nosid', password);
    const { claims } = await signIn(open, 'bc-plain', 'bc-nosid');
    assert.ok(claims.sid, 'ID tokens carry sid for every client');
    const n = withoutSid.received.length;
    await svc.setUserStatus(open.app.deps, actor, 'bc-nosid', 'disabled');
    await open.app.deps.backchannel.idle();
    await withoutSid.waitFor(n + 1);
    const got = withoutSid.received.slice(n);
    assert.equal(got[0].claims.sub, u.id);
    assert.equal(got[0].claims.sid, undefined);
  });

  it('a failed delivery is retried with backoff, a bounded number of times, each attempt audited', async () => {
    const u = await addUserViaCli(open, 'bc-retry', password);
    await signIn(open, 'bc-sid', 'bc-retry');
    const n = withSid.received.length;
    const hits = withSid.hits;
    withSid.failNext = 2;
    await svc.setUserStatus(open.app.deps, actor, 'bc-retry', 'disabled');
    await settle(open);
    assert.equal(withSid.hits - hits, 3, 'two failures, then the delivery');
    assert.equal(withSid.received.length, n + 1);
    const rows = await audits(u.id);
    assert.deepEqual(
      rows.map((r) => [r.result, detailsOf(r).attempt]),
      [
        ['failed', 1],
        ['failed', 2],
        ['succeeded', 3],
      ],
    );

    // An app that never answers well is given up after 1 + 3 attempts.
    const v = await addUserViaCli(open, 'bc-giveup', password);
    await signIn(open, 'bc-sid', 'bc-giveup');
    const hits2 = withSid.hits;
    withSid.failNext = 100;
    try {
      await svc.setUserStatus(open.app.deps, actor, 'bc-giveup', 'disabled');
      await settle(open);
      assert.equal(withSid.hits - hits2, 4);
      const failed = await audits(v.id);
      assert.deepEqual(
        failed.map((r) => r.result),
        ['failed', 'failed', 'failed', 'failed'],
      );
      assert.equal(
        await tdb
          .db('backchannel_logouts')
          .count({ n: '*' })
          .first()
          .then((r) => Number(r?.n)),
        0,
        'given up: nothing left queued',
      );
    } finally {
      withSid.failNext = 0;
    }
  });

  it('RP-initiated logout at /session/end reaches the loopback app too, and is audited', async () => {
    const u = await addUserViaCli(open, 'bc-rpinit', password);
    const { config, flow, claims } = await signIn(open, 'bc-sid', 'bc-rpinit');
    const n = withSid.received.length;
    const end = oidc.buildEndSessionUrl(config, { id_token_hint: flow.tokens.id_token! });
    let r = await flow.browser.get(end.href);
    assert.equal(r.status, 200);
    r = await flow.browser.post(formAction(r.text), { ...hiddenInputs(r.text), logout: 'yes' }, r.url);
    assert.equal(r.status, 303);
    await withSid.waitFor(n + 1);
    await open.app.deps.backchannel.idle();
    assert.equal(withSid.received[n].claims.sid, claims.sid);
    assert.equal(withSid.received[n].claims.sub, u.id);
    assert.deepEqual(
      (await audits(u.id)).map((row) => row.result),
      ['succeeded'],
    );
  });

  it('the destination policy: public allowed; private, loopback, link-local refused unless listed', () => {
    const none = new DestinationPolicy([]);
    for (const ip of ['8.8.8.8', '2606:4700:4700::1111']) assert.ok(none.allows(ip), ip);
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
    ])
      assert.equal(none.allows(ip), false, ip);
    const some = new DestinationPolicy(['10.0.0.0/8', '::1']);
    assert.ok(some.allows('10.20.30.40'));
    assert.ok(some.allows('::1'));
    assert.equal(some.allows('192.168.1.1'), false);
    assert.throws(() => loadConfig({ BACKCHANNEL_ALLOWED_NETWORKS: '10.0.0.0/33' }), ConfigError);
    assert.throws(() => loadConfig({ BACKCHANNEL_ALLOWED_NETWORKS: 'intranet' }), ConfigError);
    assert.deepEqual(
      loadConfig({ BACKCHANNEL_ALLOWED_NETWORKS: '10.0.0.0/8, 127.0.0.1' }).backchannelAllowedNetworks,
      ['10.0.0.0/8', '127.0.0.1'],
    );
    assert.deepEqual(loadConfig({}).backchannelAllowedNetworks, []);
  });
});

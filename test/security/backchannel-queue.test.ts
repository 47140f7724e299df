import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import type { Db } from '../../src/db/knex.ts';
import { PERMISSIONS } from '../../src/flows/admin/permissions.ts';
import * as svc from '../../src/flows/admin/service.ts';
import { enqueueLogouts, pendingLogouts } from '../../src/store/backchannel-queue.ts';
import { updateClientRow } from '../../src/store/client-admin.ts';
import { findClient } from '../../src/store/clients.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { LogoutReceiver } from '../helpers/logout-rp.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server.ts';

/**
 * The durable back-channel logout queue, attacked where an in-memory retry would lose a logout: the
 * instance that saw the first delivery fail stops before the retry; the CLI ends sessions in its own
 * process with no server in it; two instances drain the same queue at once. `main` owns the issuer the
 * relying party verifies against; `other` is a second instance of the same deployment (same issuer,
 * same keys, same database, its own connection pool on PostgreSQL).
 */
describe(`back-channel logout queue (${backendName})`, () => {
  let tdb: TestDatabase;
  let main: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const rp = new LogoutReceiver();
  let app: { clientId: string; secret?: string };
  const env = { BACKCHANNEL_ALLOWED_NETWORKS: '127.0.0.0/8' };
  const actor = {
    id: 'client:test-automation',
    kind: 'client' as const,
    label: 'test-automation',
    permissions: new Set(PERMISSIONS),
    via: 'api' as const,
  };

  /** Another instance on the same database (its own pool on PostgreSQL), serving main's issuer. */
  function otherInstance(): Promise<TestServer> {
    const db: Db = usingPostgres ? tdb.connect() : tdb.db;
    return startTestServer({ db, clock, env: { ...env, ISSUER: main.issuer } });
  }

  before(async () => {
    tdb = await createTestDatabase();
    main = await startTestServer({ db: tdb.db, clock, env });
    await setPolicy(main, 'registrationRequired', false);
    await setPolicy(main, 'mfa', 'off');
    app = await addClientViaCli(main, ['bcq', '--redirect-uri', REDIRECT_URI]);
    const uri = await rp.start(main.issuer, app.clientId);
    const row = (await findClient(main.db, app.clientId))!;
    await updateClientRow(
      main.db,
      app.clientId,
      {
        metadata: { ...row.metadata, backchannel_logout_uri: uri, backchannel_logout_session_required: true },
      },
      clock.now(),
    );
    main.app.deps.clients.invalidate();
  });
  after(async () => {
    await main.stop();
    await rp.stop();
    await tdb.drop();
  });

  /** A user signed in to the app (through main); returns their id and the ID token's sid. */
  async function signedIn(login: string) {
    const u = await addUserViaCli(main, login, password);
    const config = await discover(main.issuer, app.clientId, app.secret);
    const flow = await codeFlow(config, { username: login, password });
    return { id: u.id, sid: flow.tokens.claims()!.sid as string };
  }

  const audits = (subject: string) =>
    tdb.db('audit_events').where({ activity: 'oidc.backchannel_logout', subject_id: subject }).orderBy('id');
  const detailsOf = (row: { details: unknown }) =>
    (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<string, unknown>;

  it('a failed first delivery survives the instance that sent it: another instance retries it once, when due', async () => {
    const u = await signedIn('bcq-stopped');
    const sender = await otherInstance();
    const received = rp.received.length;
    const hits = rp.hits;
    rp.failNext = 1;
    await svc.setUserStatus(sender.app.deps, actor, 'bcq-stopped', 'disabled');
    await sender.app.deps.backchannel.idle();
    assert.equal(rp.hits - hits, 1, 'the first attempt reached the app and failed');
    const [row] = await tdb.db('backchannel_logouts').where({ sub: u.id });
    assert.equal(row.attempt, 2);
    assert.equal(new Date(row.due_at).getTime(), clock.now().getTime() + 5_000, 'the first retry delay');
    assert.match(row.last_error, /500|status/i);
    // The instance stops before the retry is due: nothing of the retry lived in its memory.
    await sender.stop();

    assert.equal(await main.app.deliverLogouts(), 0, 'not due yet');
    assert.equal(rp.hits - hits, 1);
    clock.advance(5_000);
    assert.equal(await main.app.deliverLogouts(), 1);
    assert.equal(rp.received.length, received + 1, 'delivered by the surviving instance');
    const got = rp.received[received].claims;
    assert.equal(got.sub, u.id);
    assert.equal(got.sid, u.sid);
    assert.equal(got.iss, main.issuer);
    assert.equal(await main.app.deliverLogouts(), 0, 'delivered once');
    clock.advance(600_000);
    assert.equal(await main.app.deliverLogouts(), 0);
    assert.equal(rp.received.length, received + 1);
    assert.equal(await pendingLogouts(tdb.db), 0);
    assert.deepEqual(
      (await audits(u.id)).map((r) => [r.result, detailsOf(r).attempt]),
      [
        ['failed', 1],
        ['succeeded', 2],
      ],
    );
  });

  it('the CLI disabling a user in its own process queues the logout; the running server delivers a valid token', async () => {
    const u = await signedIn('bcq-cli');
    const received = rp.received.length;
    if (usingPostgres) {
      // The real command line, a separate process on DATABASE_URL, with no server inside it.
      const root = path.resolve(import.meta.dirname, '../..');
      const child = spawn(
        process.execPath,
        [path.join(root, 'bin/tobira.js'), 'user', 'disable', 'bcq-cli'],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
            DATABASE_URL: tdb.url!,
            SECRET_KEY: TEST_SECRET,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
      const code = await new Promise((r) => child.once('exit', r));
      assert.equal(code, 0, stderr);
    } else {
      // PGlite: one process only; the command's own path without a server's sender (as when run alone).
      const r = await runCommand(['user', 'disable', 'bcq-cli'], undefined, {
        db: tdb.db,
        box: main.box,
        clock,
      });
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(rp.received.length, received, 'the CLI sent nothing itself');
    assert.equal(await pendingLogouts(tdb.db), 1);
    // The separate CLI's clock is the system clock; the server's is moved past it (never back).
    clock.set(Math.max(clock.now().getTime(), Date.now()) + 1_000);
    assert.equal(await main.app.deliverLogouts(), 1);
    assert.equal(rp.received.length, received + 1);
    const got = rp.received[received].claims;
    assert.equal(got.sub, u.id);
    assert.equal(got.sid, u.sid);
    assert.equal(got.iss, main.issuer);
    assert.equal(got.aud, app.clientId);
    assert.equal(await pendingLogouts(tdb.db), 0);
    assert.deepEqual(
      (await audits(u.id)).map((r) => [r.result, detailsOf(r).attempt]),
      [['succeeded', 1]],
    );
  });

  it('two instances draining the same queue at once deliver every row exactly once', async () => {
    const other = await otherInstance();
    try {
      const n = 120;
      const subs = Array.from({ length: n }, (_, i) => `bcq-race-${i}`);
      await enqueueLogouts(
        tdb.db,
        subs.map((sub) => ({ clientId: app.clientId, sub })),
        { attempt: 1, dueAt: clock.now(), now: clock.now() },
      );
      const received = rp.received.length;
      const [a, b] = await Promise.all([main.app.deliverLogouts(), other.app.deliverLogouts()]);
      assert.equal(a + b, n, `claimed ${a} + ${b}`);
      const got = rp.received.slice(received).map((r) => r.claims.sub as string);
      assert.equal(got.length, n);
      assert.deepEqual([...new Set(got)].sort(), [...subs].sort(), 'each sub once');
      assert.equal(await pendingLogouts(tdb.db), 0);
      const rows = await tdb
        .db('audit_events')
        .where({ activity: 'oidc.backchannel_logout' })
        .whereIn('subject_id', subs);
      assert.equal(rows.length, n, 'one audit event per delivery');
    } finally {
      await other.stop();
    }
  });
});

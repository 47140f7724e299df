import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { affected } from '../../src/db/knex.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
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
 * Client-credentials tokens commit without waiting for the WAL flush (CLIENT_TOKEN_COMMIT=async, the
 * default; adapter.ts RELAXED_MODELS, db/knex.ts createRelaxedCommitDb). The guarantees, each as the
 * attack or accident that would break it: only those tokens and new sign-in interactions are relaxed
 * on that pool, and only the sign-in counter's statements elsewhere (never a session, a grant, a code,
 * a user's token, a consumption or a revocation); a token is known on every instance the moment it is
 * issued; a revocation on one instance ends it on all; and a token the database lost can only be
 * refused.
 */
describe(`client-credentials tokens commit without waiting for the disk (${backendName})`, () => {
  let tdb: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let machine: { clientId: string; secret?: string };
  let web: { clientId: string; secret?: string };

  before(async () => {
    tdb = await createTestDatabase();
    a = await startTestServer({ db: tdb.db });
    // Postgres: a pool of its own, as another process would have; PGlite: one handle shared.
    b = await startTestServer({ db: usingPostgres ? tdb.connect() : tdb.db });
    machine = await addClientViaCli(a, ['robot', '--grant-type', 'client_credentials', '--admin']);
    web = await addClientViaCli(a, ['web', '--redirect-uri', REDIRECT_URI, '--first-party']);
    await addUserViaCli(a, 'erin', 'correct horse battery staple 9');
    // A plain password sign-in: no "More information required" step.
    await setPolicy(a, 'registrationRequired', false);
    b.app.deps.clients.invalidate();
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await tdb?.drop();
  });

  const token = async (srv: TestServer) => {
    const config = await discover(srv.issuer, machine.clientId, machine.secret);
    return (await oidc.clientCredentialsGrant(config, { scope: 'admin' })).access_token;
  };
  const adminMe = async (srv: TestServer, accessToken: string) =>
    (await fetch(`${srv.url}/api/admin/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } }))
      .status;
  const post = async (srv: TestServer, path: string, form: Record<string, string>) => {
    const r = await fetch(`${srv.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams(form),
    });
    return {
      status: r.status,
      body: r.headers.get('content-type')?.includes('json') ? await r.json() : null,
    };
  };

  it('only client-credentials tokens go through the relaxed pool, and only it skips the wait', async (t) => {
    if (!usingPostgres) {
      assert.equal(a.app.relaxedDb, undefined, 'the embedded database has one connection: no second pool');
      return t.skip('PostgreSQL only: the embedded database commits everything one way');
    }
    const relaxed = a.app.relaxedDb;
    assert.ok(relaxed, 'on PostgreSQL the default is CLIENT_TOKEN_COMMIT=async');
    const setting = async (db: typeof relaxed) =>
      (await db.raw('show synchronous_commit')).rows[0].synchronous_commit;
    assert.equal(await setting(relaxed), 'off');
    assert.equal(await setting(tdb.db), 'on', 'the main pool waits for the disk');

    // Statements the relaxed pool itself ran (its own events, not the main pool's), and the statements
    // of the main pool that relax their own commit (db/knex.ts relaxedCommit).
    const seen: { sql: string; bindings: unknown[] }[] = [];
    const listen = (q: { sql: string; bindings?: unknown[] }) =>
      seen.push({ sql: q.sql, bindings: q.bindings ?? [] });
    const ownRelaxed: string[] = [];
    const listenMain = (q: { sql: string }) => {
      if (q.sql.includes('synchronous_commit')) ownRelaxed.push(q.sql);
    };
    relaxed.on('query', listen);
    a.db.on('query', listenMain);
    try {
      const t1 = await token(a);
      assert.equal(seen.length, 1, 'the token is one statement on the relaxed pool');
      assert.ok(seen[0].bindings.flat().includes(t1), 'and it is that token');

      seen.length = 0;
      // A user's sign-in (interaction, session, grant, code) and its token exchange, then a revocation.
      const config = await discover(a.issuer, web.clientId, web.secret);
      const { tokens } = await codeFlow(config, {
        username: 'erin',
        password: 'correct horse battery staple 9',
      });
      assert.ok(tokens.access_token);
      assert.equal((await post(a, '/token/revocation', { token: t1 })).status, 200);
      // Only the interaction the sign-in started went through the relaxed pool: an insert of
      // Interaction rows (the models are the statement's first array), nothing else.
      assert.ok(seen.length >= 1, 'the new interaction');
      for (const q of seen) {
        assert.match(q.sql.trim(), /^insert into oidc_payloads/);
        assert.deepEqual([...new Set([q.bindings[0]].flat())], ['Interaction'], q.sql);
      }
      // On the main pool, only the lockout counter's reservation and its clear relax their commit.
      assert.equal(ownRelaxed.length, 2, ownRelaxed.join('\n'));
      assert.ok(ownRelaxed.every((sql) => /\bcounters\b/.test(sql) && !/set consumed_at/.test(sql)));
    } finally {
      relaxed.removeListener('query', listen);
      a.db.off('query', listenMain);
    }
  });

  it('CLIENT_TOKEN_COMMIT=sync leaves every commit waiting for the disk', async () => {
    const s = await startTestServer({
      db: usingPostgres ? tdb.connect() : tdb.db,
      env: { CLIENT_TOKEN_COMMIT: 'sync' },
    });
    try {
      assert.equal(s.app.relaxedDb, undefined);
      s.app.deps.clients.invalidate();
      assert.equal(await adminMe(s, await token(s)), 200, 'tokens still work');
      // Nor does any statement relax its own commit: a whole sign-in, every commit waiting.
      const relaxing: string[] = [];
      const listen = (q: { sql: string }) => {
        if (q.sql.includes('synchronous_commit')) relaxing.push(q.sql);
      };
      s.db.on('query', listen);
      try {
        const config = await discover(s.issuer, web.clientId, web.secret);
        const { tokens } = await codeFlow(config, {
          username: 'erin',
          password: 'correct horse battery staple 9',
        });
        assert.ok(tokens.access_token);
      } finally {
        s.db.off('query', listen);
      }
      assert.deepEqual(relaxing, []);
    } finally {
      await s.stop();
    }
  });

  it('a token issued on one instance is known on the other at once; a revocation on either ends it on both', async () => {
    const t = await token(a);
    // The very next request, on the other instance: the commit did not wait, but it is visible.
    assert.equal(await adminMe(b, t), 200);
    const seen = await post(b, '/token/introspection', { token: t });
    assert.equal(seen.body.active, true);
    assert.equal(seen.body.client_id, machine.clientId);

    assert.equal((await post(b, '/token/revocation', { token: t })).status, 200);
    assert.equal(await adminMe(a, t), 401, 'revoked on b, refused on a');
    assert.equal((await post(a, '/token/introspection', { token: t })).body.active, false);
  });

  it('parallel grants on both instances each get a working token, and parallel revocations end every one for good', async () => {
    // Truly parallel grants: several tokens share one statement of the relaxed lane on each instance.
    const issued = await Promise.all(Array.from({ length: 24 }, (_, i) => token(i % 2 ? a : b)));
    assert.equal(new Set(issued).size, issued.length, 'a distinct token for every grant');
    const live = await Promise.all(issued.map((t, i) => adminMe(i % 2 ? b : a, t)));
    assert.deepEqual(
      live,
      issued.map(() => 200),
      'each works at once on the other instance',
    );

    // Revocations (the durable lane) in parallel on both instances, with uses of the same tokens racing
    // them; then no token may have come back.
    await Promise.all([
      ...issued.map(async (t, i) => {
        const r = await post(i % 2 ? a : b, '/token/revocation', { token: t });
        assert.equal(r.status, 200);
      }),
      ...issued.map((t, i) => adminMe(i % 2 ? b : a, t)),
    ]);
    const after = await Promise.all(issued.flatMap((t) => [adminMe(a, t), adminMe(b, t)]));
    assert.deepEqual(
      after,
      after.map(() => 401),
      'every revoked token is refused on both instances',
    );
    const rows = await tdb.db('oidc_payloads').where({ model: 'ClientCredentials' }).whereIn('id', issued);
    assert.equal(rows.length, 0, 'no revoked row remains');
  });

  it('a token the database lost (what a crash before the flush loses) is refused, and the app gets a new one', async () => {
    const t = await token(a);
    assert.equal(await adminMe(a, t), 200);
    // What a crash of PostgreSQL before the WAL flush would lose: the row, nothing else.
    const gone = await tdb.db('oidc_payloads').where({ model: 'ClientCredentials', id: t }).delete();
    assert.equal(affected(gone), 1);
    for (const srv of [a, b]) {
      assert.equal(await adminMe(srv, t), 401, 'a lost token is refused, never accepted');
      assert.equal((await post(srv, '/token/introspection', { token: t })).body.active, false);
    }
    assert.equal(await adminMe(b, await token(a)), 200, "the app's next grant works, as after an expiry");
  });
});

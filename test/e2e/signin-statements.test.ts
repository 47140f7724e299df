import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, codeFlow, discover, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * The statements one password sign-in sends to the database, counted through Knex's query event
 * (every statement the server's code sends passes there). A count, not a timing: a regression on the
 * hot path (the policy read per step, the user read again and again) shows up here in CI.
 *
 * 9 since issue 12 (was 28, then 19, 14, 12 and 10): authorize 1 (the interaction), sign-in page 1 (the
 * interaction with its sign-in state and what a failed post left for the page: store/oidc.ts
 * findInteractionWith), form 3 (the interaction with the user the form names, the lockout counter
 * reserved, then cleared in one statement with the audit event, the interaction's leftovers and its
 * result (store/together.ts)), resume 2 (the interaction read with the user it signed in, then
 * grant + code + session written in one statement), token 2 (the code read with its grant, session
 * and user, then the code consumed + the access token written in one statement).
 */
const MAX_STATEMENTS = 9;
const MAX_SETTINGS_READS = 0;

describe(`statements per password sign-in (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    // On PostgreSQL the server listens for settings changes (LISTEN/NOTIFY) as it does in production.
    srv = await startTestServer({ db: tdb.db, env: tdb.url ? { DATABASE_URL: tdb.url } : {} });
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'alice', password);
    const c = await addClientViaCli(srv, [
      'app',
      '--redirect-uri',
      'http://127.0.0.1:9/callback',
      '--first-party',
    ]);
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  it(`one sign-in (authorize, form, code, token) sends at most ${MAX_STATEMENTS} statements and never re-reads the settings`, async () => {
    // A first sign-in warms the caches that serve every later one (clients, keys, the policy).
    await codeFlow(config, { username: 'alice', password });
    const seen: string[] = [];
    const onQuery = (q: { sql: string }) => seen.push(q.sql);
    srv.db.on('query', onQuery);
    try {
      const { tokens } = await codeFlow(config, { username: 'alice', password });
      assert.ok(tokens.access_token, 'the sign-in completed');
    } finally {
      srv.db.off('query', onQuery);
    }
    const byTable = new Map<string, number>();
    for (const sql of seen) {
      const table = /(?:from|into|update)\s+"?([a-z_]+)"?/i.exec(sql)?.[1] ?? sql.slice(0, 30);
      const verb = sql.trim().split(/\s+/)[0].toLowerCase();
      const k = `${verb} ${table}`;
      byTable.set(k, (byTable.get(k) ?? 0) + 1);
    }
    const breakdown = [...byTable].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`);
    const settingsReads = [...byTable]
      .filter(([k]) => k === 'select settings')
      .reduce((n, [, c]) => n + c, 0);
    assert.ok(
      seen.length <= MAX_STATEMENTS,
      `${seen.length} statements:\n${breakdown.join('\n')}\n\nin order:\n${seen.map((s) => s.slice(0, 120)).join('\n')}`,
    );
    // No challenge row for a password-only sign-in (issue 12).
    assert.ok(!byTable.has('insert challenges'), `a challenge was written:\n${breakdown.join('\n')}`);
    assert.ok(
      settingsReads <= MAX_SETTINGS_READS,
      `settings read ${settingsReads} times:\n${breakdown.join('\n')}`,
    );
    // Durability (issue 12): only the counter's reservation and its clear (with what rides along)
    // commit without waiting for the WAL flush; what consumes (the interaction at the resume, the
    // code at the token endpoint) always waits for it.
    const relaxed = seen.filter((sql) => sql.includes("set_config('synchronous_commit', 'off'"));
    assert.equal(relaxed.length, 2, `relaxed:\n${relaxed.join('\n')}`);
    assert.ok(relaxed.every((sql) => /\bcounters\b/.test(sql)));
    const consuming = seen.filter((sql) => /delete from oidc_payloads|set consumed_at/.test(sql));
    assert.equal(consuming.length, 2, 'the resume and the token request consume');
    assert.ok(!consuming.some((sql) => sql.includes('synchronous_commit')));
    console.log(`# ${seen.length} statements per sign-in (${backendName}): ${breakdown.join(', ')}`);
  });

  it('a right password while another attempt is in flight still signs in: its result is then saved on its own', async () => {
    // Another attempt for this login holds a reservation, so the success cannot clear the counter and
    // nothing rides along with it (store/counters.ts clearIfOnlyAttempt).
    const now = new Date();
    await srv.db('counters').insert({
      key: 'signin:alice',
      hits: 1,
      pending: 1,
      window_ends: new Date(now.getTime() + 15 * 60_000),
      locked_until: null,
      lock_count: 0,
      user_id: null,
      updated_at: now,
    });
    try {
      const { tokens } = await codeFlow(config, { username: 'alice', password });
      assert.ok(tokens.access_token, 'the sign-in completed');
      const row = await srv.db('counters').where({ key: 'signin:alice' }).first();
      assert.equal(Number(row?.pending), 1, 'only the other attempt is still in flight');
    } finally {
      await srv.db('counters').where({ key: 'signin:alice' }).delete();
    }
  });
});

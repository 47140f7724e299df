import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDb, type Db, PREPARED_PER_CONNECTION, preparable } from '../../src/db/knex.ts';
import { SIGN_IN_RULE } from '../../src/policy/counters.ts';
import { reserve } from '../../src/store/counters.ts';
import { applyPayloadOps, payloadRow } from '../../src/store/oidc.ts';
import { createUser, findUserById, findUserByLogin } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';

/**
 * The statements the server repeats are named prepared statements on PostgreSQL (src/db/knex.ts,
 * issue 12): parsed and planned once per connection. What must hold: they are prepared; the ones
 * whose result columns are `*` are not, so a rolling upgrade's migration that adds a column cannot
 * break an instance that is still running; each connection keeps a bounded number; and
 * DATABASE_PREPARED_STATEMENTS=off names none, for a pooler that cannot keep them.
 */
describe(`prepared statements (${backendName})`, () => {
  let tdb: TestDatabase;
  const now = new Date('2026-12-01T12:00:00Z');
  let userId: string;
  before(async () => {
    tdb = await createTestDatabase();
    userId = (await createUser(tdb.db, { login: 'alice' }, now)).id;
  });
  after(() => tdb.drop());

  /** A pool of one connection, so that pg_prepared_statements (per session) shows what it prepared. */
  const oneConnection = (preparedStatements?: boolean): Db => {
    const u = tdb.url as string;
    return createDb({ databaseUrl: u, poolMax: 1, preparedStatements });
  };
  const preparedOn = async (db: Db) =>
    (
      (await db.raw('select name, statement from pg_prepared_statements')) as {
        rows: { name: string; statement: string }[];
      }
    ).rows;

  it('tells statements with named result columns from `*` ones', () => {
    assert.equal(preparable('select "id", "login" from "users" where "id" = $1 limit $2'), true);
    assert.equal(preparable('select count(*) as n from users'), true);
    assert.equal(preparable('with s as (select payload from t) select 0 as k, payload from s'), true);
    assert.equal(preparable('insert into t (a) values ($1) returning "a"'), true);
    // A multiplication is no result column (the lockout counter's lock length is one): prepared.
    assert.equal(
      preparable(
        "update c set locked_until = cast($1 as timestamptz) + $2 * interval '1 millisecond' returning hits",
      ),
      true,
    );
    assert.equal(preparable('select * from "users" where "id" = $1'), false);
    assert.equal(preparable('SELECT *\nFROM users'), false);
    assert.equal(preparable('select distinct * from users'), false);
    assert.equal(preparable('select id, * from users'), false);
    assert.equal(preparable('with s as (select payload from t) select s.* from s'), false);
    assert.equal(preparable('select "users".* from "users"'), false);
    assert.equal(preparable('select groups.*, count(x) from groups'), false);
    assert.equal(preparable('insert into "users" ("id") values ($1) returning *'), false);
    assert.equal(preparable('begin'), false);
    assert.equal(preparable('set local statement_timeout = 1000'), false);
  });

  it('prepares the hot reads once per connection, and neither `select *` nor what is off', async (t) => {
    if (!usingPostgres)
      return t.skip('PostgreSQL only: the embedded database has no prepared statements to keep');
    const db = oneConnection();
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal((await findUserById(db, userId))?.login, 'alice');
        assert.equal((await findUserByLogin(db, 'ALICE'))?.id, userId);
      }
      // The sign-in's lockout reservation (its lock length multiplies: no `*` result column).
      for (let i = 0; i < 3; i++)
        await reserve(db, 'signin:alice', SIGN_IN_RULE, new Date(), { settle: 'later', userId });
      await db.raw('select * from users where id = ?', [userId]);
      const prepared = await preparedOn(db);
      const users = prepared.filter((p) => /from "users"/.test(p.statement));
      assert.equal(users.length, 2, `one statement per read, prepared once: ${JSON.stringify(prepared)}`);
      assert.equal(
        prepared.filter((p) => /insert into counters/.test(p.statement)).length,
        1,
        'the lockout reservation is prepared once',
      );
      assert.ok(
        !prepared.some((p) => /select \*/.test(p.statement)),
        'a `select *` was prepared: a migration adding a column would break it',
      );
    } finally {
      await db.destroy();
    }
    const off = oneConnection(false);
    try {
      await findUserById(off, userId);
      // The provider's upsert names its statement explicitly; off strips that name too.
      await applyPayloadOps(off, [
        { op: 'upsert', row: payloadRow('Session', 's-off', { uid: 'u-off' }, null), consumedAt: null },
      ]);
      assert.deepEqual(await preparedOn(off), []);
    } finally {
      await off.destroy();
    }
  });

  it('keeps running when a migration adds a column to a table its prepared reads use (a rolling upgrade)', async (t) => {
    if (!usingPostgres) return t.skip('PostgreSQL only');
    const db = oneConnection();
    try {
      // Past PostgreSQL's five custom plans, so that the generic plan is cached too.
      for (let i = 0; i < 8; i++) await findUserById(db, userId);
      // What a prepared `select *` does here, for contrast: the attack this guards against.
      const star = () => db.raw('select * from users where id = ?', [userId]).options({ name: 'star_probe' });
      for (let i = 0; i < 8; i++) await star();
      // The newer instance migrates while this one runs.
      await tdb.db.raw('alter table users add column rolling_probe text');
      assert.equal((await findUserById(db, userId))?.login, 'alice', 'the prepared read survives');
      await assert.rejects(star(), /cached plan must not change result type/);
    } finally {
      await tdb.db.raw('alter table users drop column if exists rolling_probe');
      await db.destroy();
    }
  });

  it(`keeps at most ${PREPARED_PER_CONNECTION} statements per connection`, async (t) => {
    if (!usingPostgres) return t.skip('PostgreSQL only');
    const db = oneConnection();
    try {
      // Statements whose text varies (an attacker cannot cause this, but an IN list of any length can).
      for (let i = 0; i < PREPARED_PER_CONNECTION + 30; i++)
        await db('users').select('id').where({ id: userId }).andWhereRaw(`${i} = ${i}`);
      const n = (await preparedOn(db)).length;
      assert.equal(n, PREPARED_PER_CONNECTION);
      // A statement prepared before the budget ran out keeps being used.
      await db('users').select('id').where({ id: userId }).andWhereRaw('0 = 0');
      assert.equal((await preparedOn(db)).length, PREPARED_PER_CONNECTION);
    } finally {
      await db.destroy();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runNamed, runStatement } from '../../src/db/knex.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/**
 * The store's hot statements skip Knex's builder and runner (db/knex.ts runStatement, issue 12). What
 * the rest of the server relies on must still hold: every statement is seen by the query events
 * (statement counts, tracing spans open and close), errors reach the caller with the database's code,
 * a transaction's statements run on the transaction's connection, and a forgotten value is refused
 * instead of being sent as NULL.
 */
describe(`statements run without the query builder (${backendName})`, () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase();
    await tdb.db.raw('create table run_statement_t (id text primary key, n int not null)');
  });
  after(() => tdb.drop());

  const events = () => {
    const seen: string[] = [];
    const open = new Set<string>();
    const onQuery = (q: { sql: string; __knexQueryUid: string }) => {
      seen.push(`query ${q.sql}`);
      open.add(q.__knexQueryUid);
    };
    const onResponse = (_r: unknown, q: { __knexQueryUid: string }) => {
      seen.push('response');
      open.delete(q.__knexQueryUid);
    };
    const onError = (_e: unknown, q: { __knexQueryUid: string }) => {
      seen.push('error');
      open.delete(q.__knexQueryUid);
    };
    tdb.db.on('query', onQuery).on('query-response', onResponse).on('query-error', onError);
    return {
      seen,
      open,
      stop: () => {
        tdb.db.off('query', onQuery).off('query-response', onResponse).off('query-error', onError);
      },
    };
  };

  it('returns rows and counts, and fires the query events around each statement', async () => {
    const e = events();
    try {
      const ins = await runStatement(tdb.db, 'insert into run_statement_t (id, n) values (?, ?), (?, ?)', [
        'a',
        1,
        'b',
        2,
      ]);
      assert.equal(ins.rowCount, 2);
      const sel = await runStatement<{ id: string; n: number }>(
        tdb.db,
        'select id, n from run_statement_t where n >= ? order by id',
        [1],
      );
      assert.deepEqual(
        sel.rows.map((r) => [r.id, Number(r.n)]),
        [
          ['a', 1],
          ['b', 2],
        ],
      );
    } finally {
      e.stop();
    }
    assert.deepEqual(e.seen, [
      'query insert into run_statement_t (id, n) values ($1, $2), ($3, $4)',
      'response',
      'query select id, n from run_statement_t where n >= $1 order by id',
      'response',
    ]);
    assert.equal(e.open.size, 0, 'every statement that opened was closed (a tracing span per statement)');
  });

  it("hands the database's error to the caller and fires query-error", async () => {
    const e = events();
    try {
      await assert.rejects(
        runStatement(tdb.db, 'insert into run_statement_t (id, n) values (?, ?)', ['a', 3]),
        (err: { code?: string }) => err.code === '23505',
      );
    } finally {
      e.stop();
    }
    assert.deepEqual(e.seen.slice(1), ['error']);
    assert.equal(e.open.size, 0);
    // The connection went back to the pool: the next statement runs.
    const { rows } = await runStatement<{ n: number }>(
      tdb.db,
      'select count(*)::int as n from run_statement_t',
      [],
    );
    assert.equal(Number(rows[0].n), 2);
  });

  it('takes named values (a name used twice, a :: cast left alone) and refuses a missing one', async () => {
    const { rows } = await runNamed<{ a: string; b: number; c: string }>(
      tdb.db,
      'select :a::text as a, cast(:b as int) + :b::int as b, :c as c',
      { a: 'x', b: 2, c: 'y' },
    );
    assert.deepEqual({ ...rows[0], b: Number(rows[0].b) }, { a: 'x', b: 4, c: 'y' });
    await assert.rejects(runNamed(tdb.db, 'select :a::text as a', {}), /no value for :a/);
  });

  it('refuses an undefined value instead of sending NULL', async () => {
    await assert.rejects(
      runStatement(tdb.db, 'select id from run_statement_t where id = ?', [undefined]),
      /undefined binding/,
    );
  });

  it("runs inside a transaction on the transaction's connection, and is undone with it", async () => {
    await assert.rejects(
      tdb.db.transaction(async (trx) => {
        await runStatement(trx, 'insert into run_statement_t (id, n) values (?, ?)', ['c', 3]);
        const { rows } = await runStatement<{ n: number }>(
          trx,
          'select count(*)::int as n from run_statement_t',
          [],
        );
        assert.equal(Number(rows[0].n), 3, 'the transaction sees its own write');
        throw new Error('roll back');
      }),
      /roll back/,
    );
    const { rows } = await runStatement<{ id: string }>(
      tdb.db,
      'select id from run_statement_t where id = ?',
      ['c'],
    );
    assert.equal(rows.length, 0, 'the write was rolled back with the transaction');
  });

  it('keeps statements apart under concurrency (each on its own connection, each gets its own answer)', async () => {
    const got = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        runStatement<{ v: string }>(tdb.db, 'select ?::text as v', [`v${i}`]).then((r) => r.rows[0].v),
      ),
    );
    assert.deepEqual(
      got,
      Array.from({ length: 40 }, (_, i) => `v${i}`),
    );
  });
});

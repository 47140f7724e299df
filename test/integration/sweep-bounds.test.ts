import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sweepChallenges } from '../../src/store/challenges.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/** A backlog is swept in small transactions with a cap per run; the next run continues (issue 12). */
describe(`bounded sweeps (${backendName})`, () => {
  let tdb: TestDatabase;
  const now = new Date('2026-11-20T10:00:00Z');

  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb.drop());

  it('deletes at most batch x maxBatches rows per run, one statement per batch, and leaves live rows', async () => {
    const old = new Date(now.getTime() - 3 * 86_400_000);
    await tdb.db.raw(
      `insert into challenges (id, flow, kind, created_at, expires_at)
       select gen_random_uuid(), 'test', 'sweep', ?, ? from generate_series(1, 250)`,
      [old, old],
    );
    await tdb.db.raw(
      `insert into challenges (id, flow, kind, created_at, expires_at)
       select gen_random_uuid(), 'test', 'live', ?, ? from generate_series(1, 5)`,
      [now, new Date(now.getTime() + 600_000)],
    );
    const deletes: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/^delete/i.test(q.sql.trim())) deletes.push(q.sql);
    };
    tdb.db.on('query', onQuery);
    try {
      assert.equal(await sweepChallenges(tdb.db, now, { batch: 100, maxBatches: 2 }), 200);
      assert.equal(deletes.length, 2, 'one statement (its own transaction) per batch');
      assert.match(deletes[0], /limit/i);
      assert.equal(
        await sweepChallenges(tdb.db, now, { batch: 100, maxBatches: 2 }),
        50,
        'the next run continues',
      );
      assert.equal(await sweepChallenges(tdb.db, now, { batch: 100, maxBatches: 2 }), 0);
    } finally {
      tdb.db.off('query', onQuery);
    }
    const left = await tdb.db('challenges').where({ flow: 'test' }).select('kind');
    assert.deepEqual(
      left.map((r) => r.kind),
      ['live', 'live', 'live', 'live', 'live'],
    );
  });
});

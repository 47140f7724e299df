import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAdapterClass, withPayloadBatch } from '../../src/oidc/adapter.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/** The provider's writes of concurrent requests share statements (src/oidc/adapter.ts, PayloadWriter). */
describe(`group commit of the provider's writes (${backendName})`, () => {
  let tdb: TestDatabase;
  let statements = 0;
  before(async () => {
    tdb = await createTestDatabase();
    tdb.db.on('query', () => {
      statements++;
    });
  });
  after(() => tdb.drop());

  const adapter = (model: string) => new (createAdapterClass(tdb.db, async () => undefined))(model);
  const ids = async (model: string) =>
    (await tdb.db('oidc_payloads').where({ model }).orderBy('id').pluck('id')) as string[];

  it('twenty concurrent requests write every row in at most four statements', async () => {
    const tokens = adapter('AccessToken');
    const names = Array.from({ length: 20 }, (_, i) => `at-${String(i).padStart(2, '0')}`);
    statements = 0;
    await Promise.all(
      names.map((id) => withPayloadBatch(tdb.db, () => tokens.upsert(id, { accountId: id } as any, 60))),
    );
    assert.ok(statements <= 4, `${statements} statements`);
    assert.deepEqual(await ids('AccessToken'), names);
    assert.equal((await tokens.find('at-07'))?.accountId, 'at-07');
  });

  it('two requests writing the same row are neither combined nor in flight together, and the later write stays', async () => {
    const sessions = adapter('Session');
    // Statements touching the row 'same' that are in flight at once (sent and not yet answered).
    const open = new Set<string>();
    let most = 0;
    const sent = (q: { __knexQueryUid: string; bindings?: unknown[] }) => {
      // Bindings are values, or (the prepared upsert) one array per column.
      if (!q.bindings?.flat().includes('same')) return;
      open.add(q.__knexQueryUid);
      most = Math.max(most, open.size);
    };
    const done = (_r: unknown, q: { __knexQueryUid: string }) => open.delete(q.__knexQueryUid);
    tdb.db
      .on('query', sent)
      .on('query-response', done)
      .on('query-error', (_e: unknown, q: any) => done(_e, q));
    try {
      await Promise.all(
        ['first', 'second', 'third'].map((v) =>
          withPayloadBatch(tdb.db, () => sessions.upsert('same', { accountId: v } as any, 60)),
        ),
      );
    } finally {
      tdb.db.removeListener('query', sent).removeListener('query-response', done);
      tdb.db.removeAllListeners('query-error');
    }
    assert.equal(most, 1, 'two statements wrote the same row at once, so their order was up to the database');
    assert.equal((await sessions.find('same'))?.accountId, 'third');
  });

  it("one request's failing write fails that request alone, also inside a combined statement", async () => {
    const grants = adapter('Grant');
    // The first two leave alone; the other three go together, fail, and are sent again one by one.
    const results = await Promise.allSettled(
      ['g-1', 'g-2', 'g-3', 'g-bad', 'g-4'].map((id) =>
        withPayloadBatch(tdb.db, () =>
          // jsonb refuses \u0000: this request's statement fails in the database.
          grants.upsert(id, { accountId: id === 'g-bad' ? 'a\u0000b' : id } as any, 60),
        ),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(await ids('Grant'), ['g-1', 'g-2', 'g-3', 'g-4']);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAdapterClass, takeAheadUser, withPayloadBatch } from '../../src/oidc/adapter.ts';
import { createUser, findUserById, type UserRow, userFromRow } from '../../src/store/users.ts';
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

  it('client-credentials tokens issued in one turn of the event loop leave as one statement, the first included', async () => {
    const tokens = adapter('ClientCredentials');
    const names = Array.from({ length: 8 }, (_, i) => `cc-${i}`);
    statements = 0;
    await Promise.all(
      names.map((id, i) =>
        withPayloadBatch(tdb.db, async () => {
          // Each request is ready a little later than the one before, as requests handled in turn are.
          for (let tick = 0; tick < i * 3; tick++) await Promise.resolve();
          await tokens.upsert(id, { clientId: 'app' } as any, 60);
        }),
      ),
    );
    // Sent at once, the first token would have left alone and the other seven after it.
    assert.equal(statements, 1);
    assert.deepEqual(await ids('ClientCredentials'), names);
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

  /** A code naming a grant and a session, as a sign-in leaves them. */
  async function signedIn(tag: string) {
    await adapter('Grant').upsert(`grant-${tag}`, { accountId: 'a' } as any, 60);
    await adapter('Session').upsert(`sess-${tag}`, { uid: `uid-${tag}`, accountId: 'a' } as any, 60);
    await adapter('AuthorizationCode').upsert(
      `code-${tag}`,
      { grantId: `grant-${tag}`, sessionUid: `uid-${tag}`, accountId: 'a' } as any,
      60,
    );
  }

  it("a code's grant and session are read with it: one statement where the token endpoint made three", async () => {
    await signedIn('one');
    statements = 0;
    const [code, grant, session] = await withPayloadBatch(tdb.db, async () => {
      const c = await adapter('AuthorizationCode').find('code-one');
      return [c, await adapter('Grant').find('grant-one'), await adapter('Session').findByUid('uid-one')];
    });
    assert.equal(statements, 1);
    assert.equal(code?.grantId, 'grant-one');
    assert.equal(grant?.accountId, 'a');
    assert.equal(session?.uid, 'uid-one');
    // Outside a request's batch, and for what was read as absent, the answers are the same.
    await adapter('Grant').destroy('grant-one');
    const again = await withPayloadBatch(tdb.db, async () => {
      await adapter('AuthorizationCode').find('code-one');
      return adapter('Grant').find('grant-one');
    });
    assert.equal(again, undefined);
  });

  it("a code's account is read with it, exactly as findUserById reads it; an id that is no user's finds none", async () => {
    const user = await createUser(tdb.db, { login: 'ahead', email: 'ahead@example.com' }, new Date());
    for (const model of ['AuthorizationCode', 'RefreshToken']) {
      await adapter(model).upsert(`${model}-acct`, { accountId: user.id, grantId: 'none' } as any, 60);
      statements = 0;
      const row = await withPayloadBatch(tdb.db, async () => {
        await adapter(model).find(`${model}-acct`);
        const r = takeAheadUser(user.id);
        assert.equal(takeAheadUser(user.id), undefined, 'read ahead answers once');
        return r;
      });
      assert.equal(statements, 1);
      assert.ok(row, `${model}: the user was read with it`);
      assert.deepEqual(userFromRow(row), await findUserById(tdb.db, user.id));
    }
    // The interaction a sign-in finished names its account under result.login.
    await adapter('Interaction').upsert('ia', { result: { login: { accountId: user.id } } } as any, 60);
    const viaInteraction = await withPayloadBatch(tdb.db, async () => {
      await adapter('Interaction').find('ia');
      return takeAheadUser(user.id);
    });
    assert.deepEqual(userFromRow(viaInteraction as UserRow), await findUserById(tdb.db, user.id));
    // Whatever a payload names, the statement neither fails nor finds a user for it.
    for (const bad of [
      'not-a-uuid',
      '------------------------------------',
      "x'; select 1; --",
      '0'.repeat(36),
    ]) {
      await adapter('AuthorizationCode').upsert('code-bad', { accountId: bad } as any, 60);
      const got = await withPayloadBatch(tdb.db, async () => {
        const code = await adapter('AuthorizationCode').find('code-bad');
        return { code, user: takeAheadUser(bad) };
      });
      assert.equal(got.code?.accountId, bad);
      assert.equal(got.user, null, `${bad}: read as absent`);
      assert.equal(await findUserById(tdb.db, bad), undefined, `${bad}: findUserById agrees`);
    }
    // Outside a provider request nothing is read ahead.
    await adapter('AuthorizationCode').find('AuthorizationCode-acct');
    assert.equal(takeAheadUser(user.id), undefined);
  });

  it('attack: what was read ahead never answers after this request changed it, nor twice', async () => {
    await signedIn('two');
    await withPayloadBatch(tdb.db, async () => {
      await adapter('AuthorizationCode').find('code-two');
      // The request revokes the grant (a code used twice does): the grant is gone for it, also once
      // its writes were sent (a lookup by uid sends them first).
      await adapter('Grant').destroy('grant-two');
      assert.equal(await adapter('Grant').find('grant-two'), undefined);
      await adapter('Session').findByUid('no-such-uid');
      assert.equal(await adapter('Grant').find('grant-two'), undefined);
      // It writes the session: the lookup by uid sees the new one, not what was read ahead.
      await adapter('Session').upsert('sess-two', { uid: 'uid-two', accountId: 'b' } as any, 60);
      assert.equal((await adapter('Session').findByUid('uid-two'))?.accountId, 'b');
    });
    await signedIn('three');
    statements = 0;
    await withPayloadBatch(tdb.db, async () => {
      await adapter('AuthorizationCode').find('code-three');
      await adapter('Grant').find('grant-three');
      await adapter('Grant').find('grant-three');
    });
    assert.equal(statements, 2, 'the second lookup of the grant went to the database');
    await signedIn('four');
    await withPayloadBatch(tdb.db, async () => {
      await adapter('AuthorizationCode').find('code-four');
      // A revocation by grant (a code replayed) drops everything read ahead.
      await adapter('AccessToken').revokeByGrantId('grant-four');
      await adapter('Grant').destroy('grant-four');
      assert.equal(await adapter('Grant').find('grant-four'), undefined);
    });
  });
});

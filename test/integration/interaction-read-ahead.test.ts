import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAdapterClass, withInteractionAhead } from '../../src/oidc/adapter.ts';
import { challengeFromRow, createChallenge } from '../../src/store/challenges.ts';
import { findInteractionWith, findPayload, upsertPayload } from '../../src/store/oidc.ts';
import { createUser, findUserByLogin, normalizeLogin, userFromRow } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/**
 * A sign-in page reads its interaction with the rows it needs besides, in one statement (issue 12):
 * the page, its state and flash; the password post, the user its form names. The combined read must
 * answer exactly what the separate reads answer, and answer the provider's lookup of that interaction
 * only (never another interaction's, such as the one a tampered or stale cookie names).
 */
describe(`an interaction read with its page's rows (${backendName})`, () => {
  let tdb: TestDatabase;
  let statements = 0;
  const now = new Date();
  const later = (ms: number) => new Date(now.getTime() + ms);
  const flow = 'signin:page-uid-0001';
  let userId: string;

  before(async () => {
    tdb = await createTestDatabase();
    tdb.db.on('query', () => {
      statements++;
    });
    userId = (await createUser(tdb.db, { login: 'Page.Reader', email: 'p@example.test' }, now)).id;
    await upsertPayload(
      tdb.db,
      'Interaction',
      'page-uid-0001',
      { uid: 'page-uid-0001', kind: 'Interaction' },
      later(600_000),
    );
    await upsertPayload(tdb.db, 'Interaction', 'page-uid-gone', { uid: 'page-uid-gone' }, later(-1_000));
    await upsertPayload(tdb.db, 'Interaction', 'page-uid-other', { uid: 'page-uid-other' }, later(600_000));
    // The flow's rows: two states (newest wins), a flash for this page, one for another page, an
    // expired and a consumed state, and a state of another flow.
    await createChallenge(
      tdb.db,
      { flow, userId, kind: 'signin.state', data: { n: 1 } },
      later(-2_000),
      60_000,
    );
    await createChallenge(
      tdb.db,
      { flow, userId, kind: 'signin.state', data: { n: 2 } },
      later(-1_000),
      60_000,
    );
    await createChallenge(tdb.db, { flow, userId: null, kind: 'flash:/here', data: { e: 'x' } }, now, 60_000);
    await createChallenge(tdb.db, { flow, userId: null, kind: 'flash:/elsewhere' }, now, 60_000);
    await createChallenge(
      tdb.db,
      { flow, userId, kind: 'signin.state', data: { n: 0 } },
      later(-120_000),
      60_000,
    );
    const consumed = await createChallenge(tdb.db, { flow, userId, kind: 'signin.state' }, now, 60_000);
    await tdb.db('challenges').where({ id: consumed.id }).update({ consumed_at: now });
    await createChallenge(tdb.db, { flow: 'signin:another', userId, kind: 'signin.state' }, now, 60_000);
  });
  after(() => tdb.drop());

  const kinds = ['signin.state', 'flash:/here'] as const;
  /** The separate read the combined one must equal: the flow's live challenges of these kinds, newest first. */
  const findLiveChallenges = async (f: string, k: readonly string[], at: Date) =>
    (
      await tdb
        .db('challenges')
        .where({ flow: f })
        .whereIn('kind', k)
        .whereNull('consumed_at')
        .andWhere('expires_at', '>', at)
        .orderBy('created_at', 'desc')
    ).map(challengeFromRow);

  it('answers what the separate reads answer, in one statement', async () => {
    for (const id of ['page-uid-0001', 'page-uid-gone', 'page-uid-none']) {
      for (const login of ['page.reader', 'PAGE.READER ', 'nobody']) {
        statements = 0;
        const got = await findInteractionWith(tdb.db, id, now, {
          challenges: { flow, kinds, now },
          userLogin: normalizeLogin(login),
        });
        assert.equal(statements, 1);
        assert.deepEqual(got.source, await findPayload(tdb.db, 'Interaction', id, now), id);
        assert.deepEqual(
          got.challenges.map((c) => [c.id, c.kind, c.data, c.createdAt.getTime(), c.expiresAt.getTime()]),
          (await findLiveChallenges(flow, kinds, now)).map((c) => [
            c.id,
            c.kind,
            c.data,
            c.createdAt.getTime(),
            c.expiresAt.getTime(),
          ]),
        );
        const user = got.user?.row ? userFromRow(got.user.row) : undefined;
        assert.deepEqual(user, await findUserByLogin(tdb.db, login), login);
      }
    }
  });

  it("judges the challenges by the server's clock it is given, not the wall clock", async () => {
    const tomorrow = later(24 * 3600_000);
    const got = await findInteractionWith(tdb.db, 'page-uid-0001', now, {
      challenges: { flow, kinds, now: tomorrow },
    });
    assert.ok(got.source, 'the interaction is judged by the provider time');
    assert.deepEqual(got.challenges, [], 'every challenge has expired by the given time');
    assert.deepEqual(got.challenges, await findLiveChallenges(flow, kinds, tomorrow));
  });

  it('reads only what it is asked for', async () => {
    const got = await findInteractionWith(tdb.db, 'page-uid-0001', now, {});
    assert.ok(got.source);
    assert.deepEqual(got.challenges, []);
    assert.equal(got.user, undefined);
    const withUser = await findInteractionWith(tdb.db, 'page-uid-0001', now, { userLogin: 'nobody' });
    assert.deepEqual(withUser.user, { row: undefined }, 'asked for and absent is not "not asked"');
  });

  it("answers the provider's lookup of that interaction once, and no other interaction's", async () => {
    const interactions = new (createAdapterClass(tdb.db, async () => undefined))('Interaction');
    statements = 0;
    const { value, rows } = await withInteractionAhead(tdb.db, 'page-uid-0001', {}, async () => {
      const first = await interactions.find('page-uid-0001');
      const counted = statements;
      // A cookie naming another interaction: read from the database, never from what was read ahead.
      const other = await interactions.find('page-uid-other');
      return { first, counted, other, total: statements };
    });
    assert.equal(value.counted, 1, 'the lookup was answered by the read ahead');
    assert.deepEqual(value.first, rows.source?.payload);
    assert.equal(value.other?.uid, 'page-uid-other');
    assert.equal(value.total, 2, 'the other interaction needed a statement of its own');

    // Absent or expired: read ahead as absent, so the provider sees none (SessionNotFound), as before.
    for (const id of ['page-uid-gone', 'page-uid-none']) {
      const r = await withInteractionAhead(tdb.db, id, {}, () => interactions.find(id));
      assert.equal(r.value, undefined, id);
    }
  });

  it('sends what the provider wrote while it looked', async () => {
    const interactions = new (createAdapterClass(tdb.db, async () => undefined))('Interaction');
    await withInteractionAhead(tdb.db, 'page-uid-0001', {}, async () => {
      const p = await interactions.find('page-uid-0001');
      await interactions.upsert('page-uid-0001', { ...p, touched: true } as never, 600);
    });
    assert.equal((await findPayload(tdb.db, 'Interaction', 'page-uid-0001', now))?.payload.touched, true);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Activity, recordAudit } from '../../src/store/audit.ts';
import { queryAudit } from '../../src/store/audit-query.ts';
import { searchUsers } from '../../src/store/directory.ts';
import { createUser, listUsers } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/** The directory queries rewritten for scale (issue 12): same answers, index-friendly shapes. */
describe(`directory and audit queries at scale (${backendName})`, () => {
  let tdb: TestDatabase;
  const now = new Date('2026-11-20T10:00:00Z');
  const ids: Record<string, string> = {};

  before(async () => {
    tdb = await createTestDatabase();
    for (const [login, email, displayName] of [
      ['al', 'al@example.com', 'Al Smith'],
      ['alice', 'alice@example.com', 'Alice Liddell'],
      ['alicia', 'ALICIA@Example.com', 'Alicia Keys'],
      ['bob', null, 'Bob (alice fan)'],
      ['x_y', null, ''],
    ] as const)
      ids[login] = (await createUser(tdb.db, { login, email: email ?? undefined, displayName }, now)).id;
  });
  after(() => tdb.drop());

  const logins = (p: { users: Array<{ login: string }> }) => p.users.map((u) => u.login);

  it('an exact login or email finds that user alone; a partial query lists every substring match', async () => {
    assert.deepEqual(logins(await searchUsers(tdb.db, { q: 'ALICE' })), ['alice']);
    assert.deepEqual(logins(await searchUsers(tdb.db, { q: 'alicia@example.com' })), ['alicia']);
    assert.deepEqual(logins(await searchUsers(tdb.db, { q: 'alic' })), ['alice', 'alicia', 'bob']);
    assert.deepEqual(logins(await searchUsers(tdb.db, { q: 'x_' })), ['x_y']);
    assert.deepEqual(logins(await searchUsers(tdb.db, { q: '_' })), ['x_y'], 'LIKE wildcards are literal');
    assert.deepEqual(logins(await searchUsers(tdb.db, { q: 'alice', status: 'disabled' })), []);
  });

  it('keyset pages visit every user once, in login order, and the last page says it is the last', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await searchUsers(tdb.db, { limit: 2, after });
      seen.push(...logins(page));
      if (!page.next) break;
      after = page.next;
    }
    assert.deepEqual(seen, ['al', 'alice', 'alicia', 'bob', 'x_y']);
    const first = await listUsers(tdb.db, { limit: 3 });
    assert.equal(first.more, true);
    const rest = await listUsers(tdb.db, { limit: 3, after: 'alicia' });
    assert.deepEqual(
      rest.users.map((u) => u.login),
      ['bob', 'x_y'],
    );
    assert.equal(rest.more, false);
  });

  it('audit by user matches subject or actor; time ranges keep exact bounds', async () => {
    const at = (h: number) => new Date(now.getTime() + h * 3_600_000);
    await recordAudit(tdb.db, {
      at: at(0),
      actorId: ids.al,
      subjectId: ids.bob,
      activity: 'admin.user.update',
      result: 'succeeded',
    });
    await recordAudit(tdb.db, {
      at: at(1),
      actorId: ids.bob,
      subjectId: ids.bob,
      activity: 'signin.password',
      result: 'succeeded',
    });
    await recordAudit(tdb.db, {
      at: at(2),
      actorId: null,
      subjectId: ids.alice,
      activity: 'admin.other' as Activity,
      result: 'failed',
    });
    await recordAudit(tdb.db, {
      at: at(30),
      actorId: ids.al,
      subjectId: ids.al,
      activity: 'administrator' as Activity,
      result: 'succeeded',
    });
    const acts = (rows: Array<{ activity: string }>) => rows.map((r) => r.activity);
    assert.deepEqual(acts(await queryAudit(tdb.db, { userId: ids.bob }, 50)), [
      'signin.password',
      'admin.user.update',
    ]);
    assert.deepEqual(acts(await queryAudit(tdb.db, { userId: ids.al }, 50)), [
      'administrator',
      'admin.user.update',
    ]);
    // Each side (subject, actor) stops at the limit on its own: pages still come out in id order,
    // each event once, and the next page continues below the last id.
    const first = await queryAudit(tdb.db, { userId: ids.al }, 1);
    assert.deepEqual(acts(first), ['administrator']);
    assert.deepEqual(acts(await queryAudit(tdb.db, { userId: ids.al, beforeId: first[0].id }, 1)), [
      'admin.user.update',
    ]);
    assert.deepEqual(acts(await queryAudit(tdb.db, { userId: ids.bob, activity: 'admin.*' }, 50)), [
      'admin.user.update',
    ]);
    assert.deepEqual(
      acts(await queryAudit(tdb.db, { from: at(1), to: at(2) }, 50)),
      ['signin.password'],
      'from inclusive, to exclusive',
    );
    assert.deepEqual(acts(await queryAudit(tdb.db, { from: at(3) }, 50)), ['administrator']);
    assert.deepEqual(acts(await queryAudit(tdb.db, { to: at(0) }, 50)), []);
    assert.deepEqual(
      acts(await queryAudit(tdb.db, { activity: 'admin.*' }, 50)),
      ['admin.other', 'admin.user.update'],
      "the prefix is 'admin.', not 'admin'",
    );
  });
});

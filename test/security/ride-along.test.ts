import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { checkPassword } from '../../src/account/lockout.ts';
import { ManualClock } from '../../src/clock.ts';
import { SIGN_IN_RULE } from '../../src/policy/counters.ts';
import { guard, signInCounter, signInKey } from '../../src/security/counters.ts';
import { hashSecret } from '../../src/security/passwords.ts';
import { type AuditEvent, auditAlong, listAudit, observeAudit } from '../../src/store/audit.ts';
import { createChallenge, flowChallengesAlong } from '../../src/store/challenges.ts';
import { readCounter, reserve } from '../../src/store/counters.ts';
import { whenChanged } from '../../src/store/together.ts';
import { createUser, normalizeLogin, type User } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/**
 * Writes that ride along with the statement deciding a step (issue 12: a successful password post
 * clears its lockout counter, records its audit event and drops what its interaction kept in ONE
 * statement). What must hold, written as the ways it could break:
 * - the writes never happen when the deciding statement changed nothing (a racing attempt in flight,
 *   a lock set by racing failures), so a refused success leaves no "succeeded" event and keeps the
 *   interaction's state;
 * - all of it commits or none of it does;
 * - a success is audited exactly once on either path.
 */
describe(`writes that ride along (${backendName})`, () => {
  let tdb: TestDatabase;
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 9));
  const meta = { ip: '203.0.113.7', userAgent: 'ride-along-test' };
  const password = 'correct horse battery staple';
  let user: User;
  let n = 0;
  const flow = () => `signin:ride-along-${n}`;

  before(async () => {
    tdb = await createTestDatabase();
    user = await createUser(
      tdb.db,
      { login: 'ride.along', passwordHash: await hashSecret(password) },
      clock.now(),
    );
  });
  after(async () => {
    await tdb.drop();
  });
  beforeEach(async () => {
    n++;
    await tdb.db('counters').delete();
    await tdb.db('audit_events').delete();
    await tdb.db('challenges').delete();
  });

  /** The head these tests decide with: a counter's delete. */
  const dropCounter = (key: string) => ({ sql: 'delete from counters where key = ?', bindings: [key] });
  const leftovers = async (f: string) =>
    Number((await tdb.db('challenges').where({ flow: f }).count({ n: '*' }))[0].n);
  const keep = async (f: string) => {
    await createChallenge(tdb.db, { flow: f, userId: user.id, kind: 'signin.state' }, clock.now(), 60_000);
    await createChallenge(tdb.db, { flow: f, userId: user.id, kind: 'flash:/' }, clock.now(), 60_000);
  };
  const event = (over: Partial<AuditEvent> = {}): AuditEvent => ({
    at: clock.now(),
    actorId: user.id,
    subjectId: user.id,
    activity: 'signin.password',
    result: 'succeeded',
    reason: null,
    ip: meta.ip,
    userAgent: meta.userAgent,
    details: null,
    ...over,
  });

  it('writes along only when the deciding statement changed a row, and exactly what was described', async () => {
    const mine = flow();
    const other = `${mine}-other`;
    await keep(mine);
    await keep(other);
    await reserve(tdb.db, 'k:ride', SIGN_IN_RULE, clock.now(), { settle: 'later' });

    // Nothing matches: nothing rides along.
    const none = await whenChanged(tdb.db, dropCounter('k:absent'), [
      auditAlong(event()),
      flowChallengesAlong(mine),
    ]);
    assert.equal(none, 0);
    assert.equal((await listAudit(tdb.db)).length, 0, 'no audit event without the change');
    assert.equal(await leftovers(mine), 2, 'the flow keeps its rows without the change');

    const details = { login: 'ユーザー', n: 1 };
    const changed = await whenChanged(tdb.db, dropCounter('k:ride'), [
      auditAlong(event({ details, reason: 'why' })),
      flowChallengesAlong(mine),
    ]);
    assert.equal(changed, 1);
    assert.equal((await readCounter(tdb.db, 'k:ride')).hits, 0, 'the head ran');
    const [row] = await listAudit(tdb.db);
    assert.equal(row.activity, 'signin.password');
    assert.equal(row.result, 'succeeded');
    assert.equal(row.actorId, user.id);
    assert.equal(row.subjectId, user.id);
    assert.equal(row.reason, 'why');
    assert.equal(row.ip, meta.ip);
    assert.equal(row.userAgent, meta.userAgent);
    assert.deepEqual(row.details, details);
    assert.equal(new Date(row.at).getTime(), clock.now().getTime());
    assert.equal(await leftovers(mine), 0, "the flow's rows are gone");
    assert.equal(await leftovers(other), 2, "another flow's rows stay");
  });

  it('commits all of it or none of it: a failing write along undoes the deciding statement', async () => {
    await reserve(tdb.db, 'k:atomic', SIGN_IN_RULE, clock.now(), { settle: 'later' });
    await keep(flow());
    await assert.rejects(
      whenChanged(tdb.db, dropCounter('k:atomic'), [
        flowChallengesAlong(flow()),
        // activity is NOT NULL: this write fails inside the statement.
        auditAlong(event({ activity: null as never })),
      ]),
    );
    assert.equal((await readCounter(tdb.db, 'k:atomic')).pending, 1, 'the counter was not cleared');
    assert.equal(await leftovers(flow()), 2, 'the delete along was undone');
  });

  it('takes only a delete or an update without returning as its head, and only plain identifiers', async () => {
    await assert.rejects(
      whenChanged(tdb.db, { sql: 'select key from counters', bindings: [] }, []),
      /delete or an update/,
    );
    await assert.rejects(
      whenChanged(tdb.db, { sql: 'delete from counters where key = ? returning key', bindings: ['x'] }, []),
      /without returning/,
    );
    await assert.rejects(
      whenChanged(tdb.db, dropCounter('x'), [
        { table: 'audit_events"; drop table users; --', deleteWhere: { id: '1' } },
      ]),
      /not an identifier/,
    );
    await assert.rejects(
      whenChanged(tdb.db, dropCounter('x'), [{ table: 'challenges', deleteWhere: {} }]),
      /needs a condition/,
    );
    // An upsert's conflict clause is the store's own fixed text: nothing else, no second statement.
    for (const onConflict of [
      'on conflict do nothing; drop table users',
      'on conflict (key) do update set hits = ?',
      'do nothing',
    ]) {
      await assert.rejects(
        whenChanged(tdb.db, dropCounter('x'), [{ table: 'counters', insert: { key: 'y' }, onConflict }]),
        /not an on conflict clause/,
      );
    }
    assert.ok(await tdb.db.schema.hasTable('users'));
  });

  it('a clean password success clears the counter, audits once and drops the leftovers in one statement', async () => {
    await keep(flow());
    const seen: AuditEvent[] = [];
    const stop = observeAudit((e) => seen.push(e));
    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => statements.push(q.sql);
    tdb.db.on('query', onQuery);
    try {
      const r = await checkPassword({ db: tdb.db, clock }, 'ride.along', password, meta, [
        flowChallengesAlong(flow()),
      ]);
      assert.ok(r.ok && r.alongWritten, 'the writes rode along');
    } finally {
      tdb.db.off('query', onQuery);
      stop();
    }
    // The user, the reservation, then the clear with everything along: three statements.
    assert.equal(statements.length, 3, statements.join('\n'));
    assert.equal(await leftovers(flow()), 0);
    const events = await listAudit(tdb.db);
    assert.deepEqual(
      events.map((e) => [e.activity, e.result, e.subjectId, e.ip]),
      [['signin.password', 'succeeded', user.id, meta.ip]],
    );
    assert.equal(seen.length, 1, 'the observers (metrics) see the event once');
    assert.equal((await readCounter(tdb.db, signInKey(normalizeLogin('ride.along')))).hits, 0);
  });

  it('attack: a success racing another attempt in flight writes nothing along; the fallback audits once', async () => {
    await keep(flow());
    const key = signInKey(normalizeLogin('ride.along'));
    // Another attempt of the same login is in flight (reserved, not settled).
    await reserve(tdb.db, key, SIGN_IN_RULE, clock.now(), { settle: 'later', userId: user.id });
    const seen: AuditEvent[] = [];
    const stop = observeAudit((e) => seen.push(e));
    try {
      const r = await checkPassword({ db: tdb.db, clock }, 'ride.along', password, meta, [
        flowChallengesAlong(flow()),
      ]);
      assert.ok(r.ok, 'the right password still signs in');
      assert.equal(r.alongWritten, false, 'nothing rode along: the counter was not cleared in one statement');
    } finally {
      stop();
    }
    assert.equal(await leftovers(flow()), 2, 'the leftovers are the caller’s to drop');
    const events = await listAudit(tdb.db);
    assert.deepEqual(
      events.map((e) => [e.activity, e.result]),
      [['signin.password', 'succeeded']],
      'audited once, by the fallback',
    );
    assert.equal(seen.length, 1);
    assert.equal((await readCounter(tdb.db, key)).pending, 1, 'the racing reservation is kept');
  });

  it('attack: failures that lock the counter while a right answer is checked leave no success behind', async () => {
    await keep(flow());
    const spec = signInCounter('ride.lock', user.id);
    const g = await guard(
      { db: tdb.db, clock },
      spec,
      async () => {
        // Racing failures lock the counter while this attempt is being checked.
        await tdb
          .db('counters')
          .where({ key: spec.key })
          .update({ locked_until: new Date(clock.now().getTime() + 60_000), lock_count: 1 });
        return { value: 'right', outcome: 'success' };
      },
      () => [auditAlong(event()), flowChallengesAlong(flow())],
    );
    assert.equal(g.refused, false);
    assert.ok(!g.refused && g.blocked, 'the lock holds against the success');
    assert.ok(!g.refused && !g.rode, 'nothing rode along');
    assert.equal((await listAudit(tdb.db)).length, 0, 'no "succeeded" event for a refused success');
    assert.equal(await leftovers(flow()), 2, "the interaction's state is kept");
  });

  it('a failure never writes along', async () => {
    await keep(flow());
    const r = await checkPassword({ db: tdb.db, clock }, 'ride.along', 'wrong password', meta, [
      flowChallengesAlong(flow()),
    ]);
    assert.equal(r.ok, false);
    assert.equal(await leftovers(flow()), 2);
    assert.deepEqual(
      (await listAudit(tdb.db)).map((e) => e.result),
      ['failed'],
    );
  });
});

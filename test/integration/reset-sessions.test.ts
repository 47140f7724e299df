import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RESET_SESSION_MS } from '../../src/flows/reset/machine.ts';
import {
  changeResetSession,
  createResetSession,
  findResetSession,
  type ResetSession,
  sweepResetSessions,
} from '../../src/store/reset-sessions.ts';
import { createUser } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/** The reset flow's table (issue 14): row-locked transitions, expiry, and the bounded sweep. */
describe(`reset sessions (${backendName})`, () => {
  let tdb: TestDatabase;
  let userId: string;
  const now = new Date('2026-12-01T06:00:00Z');
  const later = (ms: number) => new Date(now.getTime() + ms);
  const start = (at = now, user: string | null = userId) =>
    createResetSession(
      tdb.db,
      { bind: 'b', login: 'rita', userId: user, interaction: null },
      at,
      RESET_SESSION_MS,
    );

  before(async () => {
    tdb = await createTestDatabase();
    userId = (await createUser(tdb.db, { login: 'rita' }, now)).id;
  });
  after(() => tdb.drop());

  it('starts in stage verifying with nothing passed, and is found until it expires', async () => {
    const s = await start();
    assert.deepEqual(
      [s.stage, s.gates, s.methods, s.prechecked, s.activeMethod, s.userId],
      ['verifying', [], [], [], null, userId],
    );
    assert.equal(s.expiresAt.getTime() - s.startedAt.getTime(), RESET_SESSION_MS);
    assert.equal((await findResetSession(tdb.db, s.id, later(RESET_SESSION_MS - 1)))?.id, s.id);
    assert.equal(await findResetSession(tdb.db, s.id, later(RESET_SESSION_MS)), undefined);
    const expired = await changeResetSession(tdb.db, s.id, later(RESET_SESSION_MS), () => ({
      result: 'ran',
    }));
    assert.equal(expired, undefined, 'an expired session takes no transition');
  });

  it('parallel transitions apply one after the other, each to the state the previous one left', async () => {
    const s = await start();
    // Ten requests each add their own gate; the same gate twice is refused, as the machine does.
    const add = (gate: string) =>
      changeResetSession(tdb.db, s.id, later(1000), (cur: ResetSession) =>
        cur.gates.includes(gate)
          ? { result: false }
          : {
              result: true,
              change: {
                stage: cur.gates.length + 1 >= 10 ? 'passed' : 'verifying',
                gates: [...cur.gates, gate],
                methods: [...cur.methods, gate],
                prechecked: cur.prechecked,
                activeMethod: null,
              },
            },
      );
    const gates = Array.from({ length: 10 }, (_, i) => `g${i}`);
    const results = await Promise.all([...gates, 'g0', 'g1'].map(add));
    assert.equal(results.filter((r) => r === true).length, 10, 'each distinct gate counted once');
    assert.equal(results.filter((r) => r === false).length, 2, 'the repeated gates refused');
    const after = await findResetSession(tdb.db, s.id, later(1000));
    assert.deepEqual([...(after?.gates ?? [])].sort(), gates);
    assert.equal(after?.stage, 'passed');
  });

  it('sweeps expired sessions in bounded batches, recording each unfinished one as abandoned once', async () => {
    await tdb.db('reset_sessions').delete();
    const old = later(-2 * RESET_SESSION_MS);
    const unfinished = await Promise.all(Array.from({ length: 5 }, () => start(old)));
    const finished = await start(old);
    await changeResetSession(tdb.db, finished.id, old, (cur) => ({
      result: null,
      change: { ...cur, stage: 'finished' },
    }));
    await start(old, null); // an ineligible user ID: nothing to record
    const live = await start(now);
    const audited = () =>
      tdb.db('audit_events').where({ activity: 'reset.attempt', result: 'abandoned', subject_id: userId });
    // Two sweeps at once, each at most 2 batches of 2: 7 expired rows go in at most 4 batches.
    const counts = await Promise.all([
      sweepResetSessions(tdb.db, now, { batch: 2, maxBatches: 2 }),
      sweepResetSessions(tdb.db, now, { batch: 2, maxBatches: 2 }),
    ]);
    let left = Number((await tdb.db('reset_sessions').count('* as n'))[0].n);
    assert.ok(left >= 1 && left <= 4, `bounded: ${left} rows left after the first runs`);
    counts.push(await sweepResetSessions(tdb.db, now, { batch: 2, maxBatches: 10 }));
    left = Number((await tdb.db('reset_sessions').count('* as n'))[0].n);
    assert.equal(left, 1, 'only the live session is left');
    assert.equal((await findResetSession(tdb.db, live.id, now))?.id, live.id);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      unfinished.length,
    );
    const events = await audited();
    assert.equal(events.length, unfinished.length, 'each unfinished session recorded once');
    assert.deepEqual(
      typeof events[0].details === 'string' ? JSON.parse(events[0].details) : events[0].details,
      { gates: 0, methods: [] },
    );
    assert.equal(await sweepResetSessions(tdb.db, now, { maxBatches: 5 }), 0);
  });
});

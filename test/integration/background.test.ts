import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BackgroundRunner } from '../../src/app/background.ts';
import { createLogger } from '../../src/logger.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';

/** A job that runs until the test lets it finish, counting how many runs are inside it at once. */
function gatedJob(name: string) {
  let inside = 0;
  let most = 0;
  let runs = 0;
  let release: () => void = () => {};
  let entered: () => void = () => {};
  let enteredP = new Promise<void>((r) => (entered = r));
  return {
    job: {
      name,
      everyMs: 60_000,
      scope: 'cluster' as const,
      run: async () => {
        inside++;
        runs++;
        most = Math.max(most, inside);
        const gate = new Promise<void>((r) => (release = r));
        entered();
        await gate;
        inside--;
      },
    },
    entered: () => enteredP,
    release: () => {
      release();
      enteredP = new Promise<void>((r) => (entered = r));
    },
    stats: () => ({ runs, most }),
  };
}

describe(`background jobs run once at a time (${backendName})`, () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(async () => {
    await tdb.drop();
  });
  const logger = createLogger('silent');

  it('a second process (another replica or worker) skips a cluster job while the first runs it', async () => {
    const g = gatedJob('sweep');
    const a = new BackgroundRunner(tdb.db, logger);
    // On PostgreSQL a separate pool, as another process has; on PGlite there is only one process.
    const b = new BackgroundRunner(usingPostgres ? tdb.connect() : tdb.db, logger);
    a.add(g.job);
    b.add(g.job);
    const first = a.runOnce('sweep');
    await g.entered();
    // Both at once, as two replicas whose timers fire together.
    const [second, third] = await Promise.all([b.runOnce('sweep'), b.runOnce('sweep')]);
    assert.equal(second, 'skipped');
    assert.equal(third, 'skipped');
    g.release();
    assert.equal(await first, 'ran');
    assert.deepEqual(g.stats(), { runs: 1, most: 1 });
    // The lock is gone with the round: the other process runs the next one.
    const next = b.runOnce('sweep');
    await g.entered();
    g.release();
    assert.equal(await next, 'ran');
    await a.stop();
    await b.stop();
  });

  it('stop waits for the round in progress and runs nothing after it', async () => {
    const g = gatedJob('notices');
    const r = new BackgroundRunner(tdb.db, logger);
    r.add(g.job);
    const round = r.runOnce('notices');
    await g.entered();
    let stopped = false;
    const stopping = r.stop().then(() => (stopped = true));
    await Promise.resolve();
    assert.equal(stopped, false, 'stop waits for the job');
    g.release();
    await stopping;
    assert.equal(await round, 'ran');
    assert.equal(await r.runOnce('notices'), 'stopped');
    assert.equal(g.stats().runs, 1);
  });

  it('a failing job is reported and does not stop later rounds', async () => {
    let calls = 0;
    const r = new BackgroundRunner(tdb.db, logger);
    const seen: string[] = [];
    r.onRun = (job, result) => seen.push(`${job}:${result}`);
    r.add({
      name: 'flaky',
      everyMs: 60_000,
      scope: 'cluster',
      run: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
    });
    assert.equal(await r.runOnce('flaky'), 'failed');
    assert.equal(await r.runOnce('flaky'), 'ran');
    assert.deepEqual(seen, ['flaky:failed', 'flaky:ran']);
    await r.stop();
  });
});

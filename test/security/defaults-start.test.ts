import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { ConfigError } from '../../src/config.ts';
import { start } from '../../src/main.ts';
import { insertOutbox } from '../../src/store/outbox.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { startTestServer, TEST_SECRET } from '../helpers/server.ts';

/*
 * Safe defaults at start: development listens on loopback only; an https issuer that nothing can
 * serve fails at once with a message instead of a 500 on every form; production says which channels
 * are off; the development outbox does not keep codes forever.
 */

describe(`safe defaults at start (${backendName})`, () => {
  let tdb: TestDatabase;
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tobira-defaults-'));
    dirs.push(d);
    return d;
  };
  /** The environment of a real start on this test's database (PostgreSQL) or a fresh embedded one. */
  const baseEnv = (extra: Record<string, string>) => ({
    PORT: '0',
    LOG_LEVEL: 'silent',
    SECRET_KEY: TEST_SECRET,
    ...(usingPostgres ? { DATABASE_URL: tdb.url! } : { DATA_DIR: tmp() }),
    ...extra,
  });

  /** Runs start() with stdout captured, stops the server, and returns what it printed. */
  async function startAndStop(env: Record<string, string>, check: (addr: AddressInfo) => void) {
    const out: string[] = [];
    const write = process.stdout.write;
    // Only the banner is kept back; everything else (the test runner's own reports) passes through.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (typeof chunk === 'string' && chunk.startsWith('Tobira is listening')) {
        out.push(chunk);
        return true;
      }
      return write.call(process.stdout, chunk, ...rest);
    }) as typeof process.stdout.write;
    let running: Awaited<ReturnType<typeof start>> | undefined;
    try {
      running = await start(env);
    } finally {
      process.stdout.write = write;
    }
    try {
      check(running.server.address() as AddressInfo);
    } finally {
      await running.stop();
    }
    return out.join('');
  }

  before(async () => {
    tdb = await createTestDatabase();
  });
  after(async () => {
    await tdb?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('an https issuer without a trusted proxy fails at start with a clear message, creating nothing', async () => {
    const dir = tmp();
    await assert.rejects(
      start({ ISSUER: 'https://id.example.com', DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.equal(err.problems.length, 1);
        assert.match(err.problems[0], /^ISSUER: an https issuer needs a reverse proxy that terminates TLS/);
        assert.match(err.problems[0], /TRUST_PROXY/);
        return true;
      },
    );
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing was created in DATA_DIR');
  });

  it('development listens on 127.0.0.1 unless HOST says otherwise', async () => {
    const printed = await startAndStop(baseEnv({}), (addr) => assert.equal(addr.address, '127.0.0.1'));
    assert.match(printed, /\(127\.0\.0\.1 port \d+, development mode\)/);
    assert.doesNotMatch(printed, /channels off/, 'development keeps unconfigured channels in the outbox');
  });

  it('production says at start which channels are off and which methods are not offered', async () => {
    const printed = await startAndStop(
      baseEnv({ NODE_ENV: 'production', HOST: '127.0.0.1', ISSUER: 'http://localhost:3000' }),
      (addr) => assert.equal(addr.address, '127.0.0.1'),
    );
    assert.match(printed, /production mode/);
    assert.match(
      printed,
      /channels off \(not configured\): email, sms, voice; methods not offered: sms, voice, email/,
    );
  });

  it('outbox messages older than 24 hours are swept; newer ones stay', async () => {
    const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
    const srv = await startTestServer({ db: tdb.db, clock });
    try {
      const msg = (to: string) => ({
        channel: 'sms' as const,
        recipient: to,
        locale: 'en',
        bodyText: 'code 123456',
        purpose: 'test',
      });
      await insertOutbox(tdb.db, msg('+819000000001'), clock.now());
      clock.advance(12 * 3600_000);
      await insertOutbox(tdb.db, msg('+819000000002'), clock.now());
      clock.advance(12 * 3600_000);
      await srv.app.sweep();
      const left = () => tdb.db('outbox').orderBy('id').pluck('recipient');
      assert.deepEqual(await left(), ['+819000000001', '+819000000002'], 'exactly 24 hours old: kept');
      clock.advance(1);
      await srv.app.sweep();
      assert.deepEqual(await left(), ['+819000000002'], 'the code from a day ago is gone');
      clock.advance(12 * 3600_000);
      await srv.app.sweep();
      assert.deepEqual(await left(), []);
    } finally {
      await srv.stop();
    }
  });
});

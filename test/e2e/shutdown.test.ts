import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { start } from '../../src/main.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';

function get(agent: http.Agent | false, url: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socket: unknown }>(
    (resolve, reject) => {
      const req = http.get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socket: req.socket }),
        );
      });
      req.on('error', reject);
    },
  );
}

describe(`graceful shutdown (${backendName})`, () => {
  let tdb: TestDatabase | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tobira-shutdown-'));
  after(async () => {
    await tdb?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('turns /readyz to 503 first, keeps serving with Connection: close while draining, then refuses connections', async () => {
    if (usingPostgres) tdb = await createTestDatabase();
    const running = await start({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      DATA_DIR: dir,
      SECRET_KEY: crypto.randomBytes(32).toString('base64'),
      SHUTDOWN_DRAIN_SECONDS: '1',
      ...(tdb ? { DATABASE_URL: tdb.url, WORKERS: '1' } : {}),
    });
    const base = running.url;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await get(agent, `${base}/readyz`);
    assert.equal(before.status, 200);
    assert.notEqual(before.headers.connection, 'close', 'keep-alive before shutdown');

    const stopping = running.stop();
    assert.equal(running.app.shuttingDown, true, 'readiness turns at once');
    const during = await get(agent, `${base}/readyz`);
    assert.equal(during.status, 503);
    assert.equal(JSON.parse(during.body).status, 'shutting down');
    assert.equal(during.socket, before.socket, 'the kept-alive connection was still served');
    assert.equal(during.headers.connection, 'close', 'and asked to close');
    const fresh = await get(false, `${base}/healthz`);
    assert.equal(fresh.status, 200, 'new connections are still served while draining');
    assert.equal(fresh.headers.connection, 'close');
    assert.equal(await running.app.background.runOnce('sweep'), 'stopped', 'background jobs are stopped');

    await stopping;
    await assert.rejects(get(false, `${base}/healthz`), /ECONNREFUSED/);
    agent.destroy();
  });
});

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { restoreEmbedded } from '../../src/backup.ts';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { createDb, type Db } from '../../src/db/knex.ts';
import { migrateLatest } from '../../src/db/migrate.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import { createTestDatabase, usingPostgres } from '../helpers/db.ts';
import { codeFlow, discover, REDIRECT_URI } from '../helpers/rp.ts';
import { startTestServer } from '../helpers/server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/tobira.js');
const MAIN = path.join(ROOT, 'src/main.ts');
const PASSWORD = 'backup and restore passphrase';
const SECRET = crypto.randomBytes(32).toString('base64');
const box = new SecretBox(Buffer.from(SECRET, 'base64'));

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tobira-backup-'));
  tempDirs.push(d);
  return d;
};
const env = (dataDir: string, extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? os.tmpdir(),
  DATA_DIR: dataDir,
  SECRET_KEY: SECRET,
  LOG_LEVEL: 'warn',
  ...extra,
});

function tobira(
  dataDir: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: env(dataDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startServer(dataDir: string) {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: env(dataDir, { PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
  child.once('exit', (code, signal) => {
    if (code !== 0) process.stderr.write(`server on ${dataDir} exited (${code ?? signal}):\n${out}\n`);
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`server not ready: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    issuer,
    /** What the server printed (its log), for a failure to show. */
    log: () => out,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Users, security info, clients, groups and policy: what a restore must bring back, row for row. */
async function snapshot(db: Db) {
  const out: Record<string, unknown[]> = {};
  for (const [t, key] of [
    ['users', 'id'],
    ['credentials', 'id'],
    ['clients', 'client_id'],
    ['groups', 'id'],
    ['group_members', 'user_id'],
    ['settings', 'key'],
    ['apis', 'identifier'],
    ['api_grants', 'client_id'],
  ] as const)
    out[t] = await db(t).select('*').orderBy(key);
  return out;
}

/** Seeds a directory through the CLI's own code: users (one with a method), a group, a client, a policy. */
async function seed(db: Db) {
  const cx = { db, box, clock: systemClock };
  const run = async (argv: string[], stdin?: string) => {
    const r = await runCommand([...argv, '--json'], stdin, cx);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout || 'null');
  };
  const alice = await run(
    ['user', 'add', 'alice', '--email', 'alice@example.com', '--password-stdin'],
    `${PASSWORD}\n`,
  );
  await run(['user', 'add', 'bob', '--password-stdin'], `${PASSWORD}\n`);
  await run(['group', 'add', 'staff']);
  await run(['group', 'add-member', 'staff', 'alice']);
  await run(['policy', 'set', 'registrationRequired', 'false']);
  await insertCredential(
    db,
    alice.id,
    { kind: 'email', label: 'a***@alt.example', data: { address: 'alice@alt.example' } },
    new Date(),
  );
  const web = await run(['client', 'add', 'web', '--redirect-uri', REDIRECT_URI, '--first-party']);
  await run(['api', 'add', 'https://orders.example.com', '--name', 'Orders', '--scope', 'orders.read']);
  await run(['api', 'grant', 'https://orders.example.com', 'web', '--scope', 'orders.read']);
  return web as { client_id: string; client_secret: string };
}

describe('tobira backup and restore (embedded database)', {
  skip: usingPostgres && 'embedded database only',
}, () => {
  it('backs up while sign-ins run; the restore into a fresh DATA_DIR has every user, method and client, and signs in', async () => {
    const source = tempDir();
    const seedDb = createDb({ dataDir: source });
    await migrateLatest(seedDb);
    const web = await seed(seedDb);
    await seedDb.destroy();

    const server = await startServer(source);
    const config = await discover(server.issuer, web.client_id, web.client_secret);
    const file = path.join(tempDir(), 'tobira.backup');
    let backupDone = false;
    let during = 0;
    const signIns = (async () => {
      let n = 0;
      while (!backupDone || n < 2) {
        const started = !backupDone;
        const { tokens } = await codeFlow(config, { username: 'alice', password: PASSWORD });
        assert.ok(tokens.id_token);
        if (started) during++;
        n++;
      }
      return n;
    })();
    // Give the sign-ins a head start: the backup runs while they are in flight.
    await new Promise((r) => setTimeout(r, 0));
    const backup = await tobira(source, ['backup', file]);
    backupDone = true;
    const total = await signIns.catch((err) => {
      process.stderr.write(`the server's log:\n${server.log()}\n`);
      throw err;
    });
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /backup written/);
    assert.ok(during >= 1, 'sign-ins ran while the backup was taken');
    assert.ok(total >= 2);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'the backup is readable by its owner only');

    const busy = await tobira(source, ['restore', file]);
    assert.equal(busy.code, 2, 'restore into the directory of a running server is refused');
    assert.match(busy.stderr, /stop the server first/);
    await server.stop();

    const target = tempDir();
    const restored = await tobira(target, ['restore', file]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /2 users/);
    await assert.rejects(
      restoreEmbedded(target, file),
      /already holds a database/,
      'a database is never overwritten',
    );
    const junk = path.join(tempDir(), 'junk');
    fs.writeFileSync(junk, 'not a backup');
    await assert.rejects(restoreEmbedded(tempDir(), junk), /not a Tobira backup/);
    const a = createDb({ dataDir: source });
    const before = await snapshot(a);
    await a.destroy();
    const b = createDb({ dataDir: target });
    const afterRestore = await snapshot(b);
    await b.destroy();
    assert.equal((before.users as unknown[]).length, 2);
    assert.equal((before.credentials as unknown[]).length, 1);
    assert.ok((before.clients as Array<{ client_id: string }>).some((c) => c.client_id === 'web'));
    assert.deepEqual(afterRestore, before, 'users, methods, clients, groups and policy are back');

    const again2 = await startServer(target);
    try {
      const cfg = await discover(again2.issuer, web.client_id, web.client_secret);
      const { tokens } = await codeFlow(cfg, { username: 'alice', password: PASSWORD });
      assert.equal(
        tokens.claims()?.sub,
        (before.users as Array<{ id: string; login: string }>).find((u) => u.login === 'alice')?.id,
      );
    } finally {
      await again2.stop();
    }
  });
});

describe('moving between the embedded database and PostgreSQL (tobira export / import)', {
  skip: !usingPostgres && 'needs TEST_DATABASE_URL',
}, () => {
  it('refuses backup on PostgreSQL, exports from the embedded database and imports into PostgreSQL, where users sign in', async () => {
    const embedded = createDb({});
    await migrateLatest(embedded);
    const web = await seed(embedded);
    const file = path.join(tempDir(), 'export.json');
    const cx = (db: Db) => ({ db, box, clock: systemClock });
    const exp = await runCommand(['export', file, '--json'], undefined, cx(embedded));
    assert.equal(exp.code, 0, exp.stderr);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const before = await snapshot(embedded);
    await embedded.destroy();

    const tdb = await createTestDatabase();
    try {
      const refused = await runCommand(['backup', path.join(tempDir(), 'x')], undefined, cx(tdb.db));
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /pg_dump/);
      const srv = await startTestServer({ db: tdb.db, secret: SECRET });
      try {
        const imp = await runCommand(['import', file, '--json'], undefined, cx(tdb.db));
        assert.equal(imp.code, 0, imp.stderr);
        srv.app.deps.clients.invalidate();
        const twice = await runCommand(['import', file], undefined, cx(tdb.db));
        assert.equal(twice.code, 3, 'a second import into a database with users is refused');
        const bad = fs.writeFileSync(path.join(tempDir(), 'bad.json'), '{"format":"other"}');
        void bad;
        const now = await snapshot(tdb.db);
        assert.deepEqual(
          JSON.parse(JSON.stringify(now.users)),
          JSON.parse(JSON.stringify(before.users)),
          'users arrive unchanged',
        );
        assert.deepEqual(
          JSON.parse(JSON.stringify(now.credentials)),
          JSON.parse(JSON.stringify(before.credentials)),
        );
        assert.deepEqual(
          JSON.parse(JSON.stringify(now.group_members)),
          JSON.parse(JSON.stringify(before.group_members)),
        );
        for (const t of ['apis', 'api_grants']) {
          assert.equal(now[t].length, 1, `${t} arrive`);
          assert.deepEqual(JSON.parse(JSON.stringify(now[t])), JSON.parse(JSON.stringify(before[t])));
        }
        const cfg = await discover(srv.issuer, web.client_id, web.client_secret);
        const { tokens } = await codeFlow(cfg, { username: 'alice', password: PASSWORD });
        assert.ok(tokens.id_token);
      } finally {
        await srv.stop();
      }
    } finally {
      await tdb.drop();
    }
  });
});

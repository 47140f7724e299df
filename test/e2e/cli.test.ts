import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { codeFlow, discover, REDIRECT_URI } from '../helpers/rp.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/tobira.js');
const MAIN = path.join(ROOT, 'src/main.ts');
const PASSWORD = 'a long enough passphrase';

/** Every process this file starts, so that `after` can kill whatever is still running. */
const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tobira-cli-'));
  tempDirs.push(d);
  return d;
}

/** A minimal environment, so that nothing from the test runner's (DATABASE_URL, NODE_ENV...) leaks in. */
function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...extra };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Runs `node bin/tobira.js ARGS`; `stdin` is piped when given, otherwise stdin is empty. */
function tobira(env: Record<string, string>, args: string[], stdin?: string): Promise<Run> {
  const child = track(
    spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: baseEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
  child.stdin!.on('error', () => {});
  child.stdin!.end(stdin ?? '');
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

function parseJson<T = any>(r: Run): T {
  assert.equal(r.code, 0, `exit code 0 expected; stderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
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

/** Polls `check` every 50 ms until it returns a value, up to `limitMs`. */
async function poll<T>(what: string, check: () => Promise<T | undefined>, limitMs = 60_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function jwksKids(base: string): Promise<string[]> {
  const res = await fetch(`${base}/jwks`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { keys: Array<{ kid: string }> };
  return body.keys.map((k) => k.kid);
}

/**
 * Exercises the error exit codes of the contract; identical in both modes. Through the socket the
 * commands may run at once; on the embedded database without a server only one process may open it.
 */
async function checkErrorCodes(env: Record<string, string>, concurrent: boolean) {
  const runs: Array<[string[], string | undefined]> = [
    [['frobnicate', 'now'], undefined],
    [['user', 'add', 'alice', '--password-stdin'], `${PASSWORD}\n`],
    [['user', 'set-password', 'nobody', '--password-stdin'], `${PASSWORD}\n`],
    [['user', 'add', 'x', '--password-stdin'], 'abc\n'],
    [['user', 'add', 'bob', '--password', 'secret'], undefined],
  ];
  const results: Run[] = [];
  if (concurrent) results.push(...(await Promise.all(runs.map(([args, stdin]) => tobira(env, args, stdin)))));
  else for (const [args, stdin] of runs) results.push(await tobira(env, args, stdin));
  const [unknown, dup, nobody, short, argPassword] = results;

  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /unknown command: frobnicate/);

  assert.equal(dup.code, 3, dup.stderr);
  assert.match(dup.stderr, /already exists/);
  assert.match(dup.stderr, /alice/);

  assert.equal(nobody.code, 4, nobody.stderr);
  assert.match(nobody.stderr, /no such user: nobody/);

  assert.equal(short.code, 2, short.stderr);
  assert.match(short.stderr, /password: at least 8 characters/);

  assert.equal(argPassword.code, 2, argPassword.stderr);
  assert.match(argPassword.stderr, /Unknown option '--password'/);

  const users = parseJson<Array<{ login: string }>>(await tobira(env, ['user', 'list', '--json']));
  assert.deepEqual(
    users.map((u) => u.login).sort(),
    ['alice'],
    'neither x (short password) nor bob (password as an argument) was created',
  );
}

describe(`tobira CLI against a running server on the embedded database (control socket)`, () => {
  let dataDir: string;
  let port: number;
  let base: string;
  let issuer: string;
  let env: Record<string, string>;
  let server: ChildProcess;
  let serverOut = '';
  let serverExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let alice: { id: string; login: string };
  let web: { client_id: string; client_secret: string };

  before(async () => {
    dataDir = tempDir();
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    issuer = `http://localhost:${port}`;
    env = { DATA_DIR: dataDir };
    server = track(
      spawn(process.execPath, [MAIN], {
        cwd: ROOT,
        env: baseEnv({
          DATA_DIR: dataDir,
          PORT: String(port),
          HOST: '127.0.0.1',
          ISSUER: issuer,
          LOG_LEVEL: 'warn',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    server.stdout!.setEncoding('utf8').on('data', (d) => (serverOut += d));
    server.stderr!.setEncoding('utf8').on('data', (d) => (serverOut += d));
    serverExit = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
    await poll(`${base}/readyz`, async () => {
      if (server.exitCode !== null) throw new Error(`server exited early (${server.exitCode}): ${serverOut}`);
      const r = await fetch(`${base}/readyz`);
      return r.status === 200 ? true : undefined;
    }).catch((err) => {
      throw new Error(`${err.message}\n${serverOut}`);
    });
  });

  after(() => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  });

  it('listens on the control socket, readable only by its owner', () => {
    assert.match(serverOut, new RegExp(`listening on ${issuer}`));
    const sock = path.join(dataDir, 'control.sock');
    const st = fs.statSync(sock);
    assert.ok(st.isSocket(), 'control.sock is a Unix socket');
    assert.equal(st.mode & 0o777, 0o600);
  });

  it('refuses to work on a database other than the running server’s, unless --force-database; always names it', async () => {
    // The attack on the administrator: the same ISSUER, another DATA_DIR. The command used to create
    // a second, empty database and print "created"; the server never saw the user.
    const elsewhere = path.join(tempDir(), 'other-data');
    const other = { DATA_DIR: elsewhere, ISSUER: issuer };
    const refused = await tobira(other, ['user', 'add', 'mallory', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      new RegExp(`the server running for ${issuer} \\(pid \\d+\\) uses embedded `),
    );
    assert.ok(refused.stderr.includes(fs.realpathSync(dataDir)), 'names the server’s database');
    assert.ok(refused.stderr.includes(elsewhere), 'names the database it would have used');
    assert.match(refused.stderr, /--force-database/);
    assert.ok(!fs.existsSync(path.join(elsewhere, 'pgdata')), 'no database was created');

    const forced = await tobira(other, ['user', 'list', '--json', '--force-database']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, new RegExp(`^tobira: database: embedded ${elsewhere} \\(new: `, 'm'));

    // The server's own DATA_DIR: forwarded over the control socket, and said so.
    const same = await tobira({ DATA_DIR: dataDir, ISSUER: issuer }, ['user', 'list', '--json']);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stderr, /^tobira: database: embedded .+ \(through the running server\)$/m);
  });

  it('creates a user (password on stdin) and a confidential client; the user signs in through openid-client', async () => {
    // The sign-in here is about the CLI: no "More information required" step after the password.
    const noWizard = await tobira(env, ['policy', 'set', 'registrationRequired', 'false']);
    assert.equal(noWizard.code, 0, noWizard.stderr);
    alice = parseJson(
      await tobira(
        env,
        ['user', 'add', 'alice', '--name', 'Alice', '--password-stdin', '--json'],
        `${PASSWORD}\n`,
      ),
    );
    assert.equal(alice.login, 'alice');
    assert.match(alice.id, /\S/);

    web = parseJson(
      await tobira(env, ['client', 'add', 'web', '--redirect-uri', REDIRECT_URI, '--first-party', '--json']),
    );
    assert.equal(web.client_id, 'web');
    assert.equal(typeof web.client_secret, 'string');
    assert.ok(web.client_secret.length >= 32);

    const config = await discover(issuer, web.client_id, web.client_secret);
    const { tokens } = await codeFlow(config, { username: 'alice', password: PASSWORD });
    assert.equal(tokens.claims()?.sub, alice.id);
    assert.equal(tokens.claims()?.aud, 'web');
  });

  it('lists users, and manages groups', async () => {
    const users = parseJson<Array<{ id: string; login: string; name: string; status: string }>>(
      await tobira(env, ['user', 'list', '--json']),
    );
    assert.equal(users.length, 1);
    assert.equal(users[0].id, alice.id);
    assert.equal(users[0].login, 'alice');
    assert.equal(users[0].name, 'Alice');

    const g = parseJson(await tobira(env, ['group', 'add', 'staff', '--json']));
    assert.equal(g.name, 'staff');
    const m = parseJson(await tobira(env, ['group', 'add-member', 'staff', 'alice', '--json']));
    assert.deepEqual(m, { group: 'staff', login: 'alice', added: true });
    const groups = parseJson(await tobira(env, ['group', 'list', '--json']));
    assert.deepEqual(groups, [{ name: 'staff', members: 1 }]);

    const noGroup = await tobira(env, ['group', 'add-member', 'nope', 'alice']);
    assert.equal(noGroup.code, 4, noGroup.stderr);
  });

  it('shows and sets the policy, refusing a bad value with a message naming the key', async () => {
    const before = parseJson(await tobira(env, ['policy', 'show', '--json']));
    assert.equal(before.mfa, 'whenRegistered');

    const set = await tobira(env, ['policy', 'set', 'mfa', 'required']);
    assert.equal(set.code, 0, set.stderr);
    const afterSet = parseJson(await tobira(env, ['policy', 'show', '--json']));
    assert.equal(afterSet.mfa, 'required');
    const human = await tobira(env, ['policy', 'show']);
    assert.match(human.stdout, /^mfa = "required"$/m);

    const bad = await tobira(env, ['policy', 'set', 'mfa', 'bogus']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /tobira: mfa: /);
    const unchanged = parseJson(await tobira(env, ['policy', 'show', '--json']));
    assert.equal(unchanged.mfa, 'required');

    // Back to the default, so that the sign-ins of the next tests need no second factor.
    const reset = await tobira(env, ['policy', 'set', 'mfa', 'whenRegistered']);
    assert.equal(reset.code, 0, reset.stderr);
  });

  it('rotates keys: the running server publishes the new ones', async () => {
    const beforeKids = await jwksKids(base);
    assert.ok(beforeKids.length >= 2);
    const r = parseJson<{ kids: string[] }>(await tobira(env, ['keys', 'rotate', '--json']));
    assert.equal(r.kids.length, 4, 'one new key per algorithm: ES256, RS256, PS256, EdDSA');
    const afterKids = await poll('the new keys in /jwks', async () => {
      const kids = await jwksKids(base);
      return kids.length > beforeKids.length ? kids : undefined;
    });
    for (const kid of [...beforeKids, ...r.kids]) assert.ok(afterKids.includes(kid), `${kid} is published`);
    // New tokens are signed with a new key.
    const config = await discover(issuer, web.client_id, web.client_secret);
    const { tokens } = await codeFlow(config, { username: 'alice', password: PASSWORD });
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0], 'base64url').toString());
    assert.ok(r.kids.includes(header.kid), 'signed with a rotated-in key');
  });

  it('returns the documented exit codes', async () => {
    await checkErrorCodes(env, true);
    const none = await tobira(env, []);
    assert.equal(none.code, 2);
    assert.match(none.stdout, /Usage: tobira/);
  });

  it('shuts down gracefully on SIGTERM and leaves no usable control socket', async () => {
    server.kill('SIGTERM');
    const exit = await serverExit;
    assert.deepEqual(exit, { code: 0, signal: null }, serverOut);
    const sock = path.join(dataDir, 'control.sock');
    if (fs.existsSync(sock)) {
      await assert.rejects(
        new Promise<void>((resolve, reject) => {
          const s = net.connect(sock);
          s.once('connect', () => {
            s.destroy();
            resolve();
          });
          s.once('error', reject);
        }),
        'nothing answers on a leftover socket',
      );
    }
    // With the server gone, the CLI opens the embedded database itself and sees what was done through the socket.
    const users = parseJson<Array<{ login: string }>>(await tobira(env, ['user', 'list', '--json']));
    assert.deepEqual(
      users.map((u) => u.login),
      ['alice'],
    );
  });
});

describe(`tobira CLI in direct mode, no server (${usingPostgres ? 'postgres via DATABASE_URL' : 'embedded database'})`, () => {
  let tdb: TestDatabase | undefined;
  let env: Record<string, string>;

  before(async () => {
    if (usingPostgres) {
      tdb = await createTestDatabase();
      env = {
        DATABASE_URL: tdb.url!,
        SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
        DATA_DIR: tempDir(),
      };
    } else {
      env = { DATA_DIR: tempDir() };
    }
  });
  after(async () => {
    await tdb?.drop();
  });

  it(`creates and lists a user (${backendName})`, async () => {
    const created = parseJson(
      await tobira(
        env,
        ['user', 'add', 'alice', '--email', 'alice@example.com', '--password-stdin', '--json'],
        `${PASSWORD}\n`,
      ),
    );
    assert.equal(created.login, 'alice');
    const users = parseJson<Array<{ id: string; login: string; email: string }>>(
      await tobira(env, ['user', 'list', '--json']),
    );
    assert.deepEqual(
      users.map((u) => [u.id, u.login, u.email]),
      [[created.id, 'alice', 'alice@example.com']],
    );
    if (tdb) {
      const row = await tdb.db('users').where({ id: created.id }).first();
      assert.equal(row?.login, 'alice', 'the user is in the DATABASE_URL database');
      assert.match(String(row?.password_hash), /^\$argon2id\$/);
    } else {
      assert.ok(!fs.existsSync(path.join(env.DATA_DIR, 'control.sock')), 'no server socket was involved');
      assert.ok(fs.existsSync(path.join(env.DATA_DIR, 'pgdata')), 'the embedded database is in DATA_DIR');
    }
  });

  it('returns the documented exit codes', async () => {
    await checkErrorCodes(env, !!tdb);
  });

  it('exits 1 on a bad environment', async () => {
    const r = await tobira({ ...env, LOG_LEVEL: 'loud' }, ['user', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /LOG_LEVEL:/);
  });
});

describe('tobira COMMAND --help (issue 13)', () => {
  it('answers `--help` on every command with its own usage, without opening any database', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tobira-help-'));
    try {
      const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
      const update = await tobira(env, ['user', 'update', '--help']);
      assert.equal(update.code, 0, update.stderr);
      assert.match(update.stdout, /^Usage: tobira user update \.\.\./);
      assert.match(update.stdout, /user update LOGIN \[--name N\]/);
      assert.match(update.stdout, /--password-managed local\|external/, 'with its continuation line');
      assert.doesNotMatch(update.stdout, /client add/, 'only the command asked about');
      const add = await tobira(env, ['client', 'add', '-h']);
      assert.equal(add.code, 0);
      assert.match(add.stdout, /client add CLIENT_ID --redirect-uri URI/);
      const group = await tobira(env, ['user', 'frobnicate', '--help']);
      assert.equal(group.code, 0);
      assert.match(group.stdout, /user add LOGIN/, 'an unknown sub-command shows its group');
      for (const cmd of [
        ['migrate'],
        ['policy', 'set'],
        ['keys', 'rotate'],
        ['backup'],
        ['user', 'disable'],
      ]) {
        const r = await tobira(env, [...cmd, '--help']);
        assert.equal(r.code, 0, `${cmd.join(' ')} --help: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(cmd.join(' ')), cmd.join(' '));
      }
      assert.deepEqual(fs.readdirSync(dataDir), [], 'no database was created');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('tobira starts from V8’s compile cache (issue 12)', () => {
  it('keeps the cache next to the installed packages, and NODE_DISABLE_COMPILE_CACHE turns it off', async () => {
    // The command runs as `node bin/tobira.js` does (here without arguments: its usage, exit 2), then
    // the same process says where Node keeps its compile cache.
    const probe = `import m from 'node:module';
      await import(${JSON.stringify(pathToFileURL(CLI).href)});
      process.stderr.write('\\ncache: ' + (m.getCompileCacheDir() ?? 'none') + '\\n');`;
    const run = (extra: Record<string, string>) =>
      new Promise<Run>((resolve, reject) => {
        const child = track(
          spawn(process.execPath, ['--input-type=module', '-e', probe], {
            cwd: os.tmpdir(),
            env: baseEnv({ LOG_LEVEL: 'silent', ...extra }),
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        );
        let stdout = '';
        let stderr = '';
        child.stdout!.setEncoding('utf8').on('data', (d) => (stdout += d));
        child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, stdout, stderr }));
      });
    const on = await run({});
    assert.equal(on.code, 2, on.stderr);
    assert.match(on.stdout, /^Usage: tobira/);
    assert.match(on.stderr, /\ncache: (.*)\n/);
    // Node keeps one subdirectory per version of itself in the directory it was given.
    assert.equal(
      path.dirname(on.stderr.match(/\ncache: (.*)\n/)![1]),
      path.join(ROOT, 'node_modules/.cache/tobira-cli'),
      'in the installation, not in a shared temporary directory',
    );
    const off = await run({ NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(off.code, 2, off.stderr);
    assert.match(off.stderr, /\ncache: none\n/);
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, serveWarnings } from '../../src/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const KEY = Buffer.alloc(32, 7).toString('base64');

/** Runs loadConfig and returns the ConfigError it throws (fails the test when it does not throw one). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has a documented default for everything', () => {
    const c = loadConfig({});
    assert.equal(c.production, false);
    assert.equal(c.issuer, 'http://localhost:3000');
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1', 'development listens on loopback only');
    assert.equal(loadConfig({ NODE_ENV: 'production' }).host, '0.0.0.0');
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0', 'an explicit HOST wins');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.dataDir, './data');
    assert.equal(c.secretKey, undefined);
    assert.equal(c.smtpUrl, undefined);
    assert.equal(c.mailFrom, 'Tobira <no-reply@localhost>');
    assert.equal(c.twilio, undefined);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.defaultLocale, 'en');
    assert.equal(c.trustProxy, false);
    assert.deepEqual(c.proxy, { kind: 'none' });
    assert.equal(c.metricsToken, undefined);
    assert.equal(c.organizationCountry, 'JP');
    assert.equal(c.clientTokenCommit, 'async');
    assert.equal(c.databasePreparedStatements, true);
    assert.ok(Object.isFrozen(c), 'the config is frozen');
  });

  it('treats empty variables as unset and normalizes the issuer', () => {
    const c = loadConfig({ ISSUER: 'https://id.example.com/tenant/', PORT: '', LOG_LEVEL: '  ' });
    assert.equal(c.issuer, 'https://id.example.com/tenant');
    assert.equal(c.port, 3000);
    assert.equal(c.logLevel, 'info');
  });

  it('reads valid values', () => {
    const c = loadConfig({
      ISSUER: 'https://id.example.com',
      PORT: '8080',
      SECRET_KEY: KEY,
      LOG_LEVEL: 'warn',
      DEFAULT_LOCALE: 'ja',
      TRUST_PROXY: 'true',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      CLIENT_TOKEN_COMMIT: 'SYNC',
      DATABASE_PREPARED_STATEMENTS: 'OFF',
    });
    assert.equal(c.clientTokenCommit, 'sync');
    assert.equal(c.databasePreparedStatements, false);
    assert.equal(c.port, 8080);
    assert.deepEqual(c.secretKey, Buffer.alloc(32, 7));
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.defaultLocale, 'ja');
    assert.equal(c.trustProxy, true);
    assert.deepEqual(c.proxy, { kind: 'hops', hops: 1 }, 'true means one proxy');
    assert.equal(c.databaseUrl, 'postgres://u:p@127.0.0.1:5432/db');
  });

  it('reports every bad variable at once, each problem naming its variable', () => {
    const problems = problemsOf({
      ISSUER: 'not a url',
      PORT: '99999',
      SECRET_KEY: 'c2hvcnQ=',
      LOG_LEVEL: 'loud',
      DEFAULT_LOCALE: 'fr',
      TRUST_PROXY: 'maybe',
      CLIENT_TOKEN_COMMIT: 'later',
      DATABASE_PREPARED_STATEMENTS: 'sometimes',
    });
    const vars = [
      'ISSUER',
      'PORT',
      'SECRET_KEY',
      'LOG_LEVEL',
      'DEFAULT_LOCALE',
      'TRUST_PROXY',
      'CLIENT_TOKEN_COMMIT',
      'DATABASE_PREPARED_STATEMENTS',
    ];
    assert.equal(problems.length, vars.length, problems.join('\n'));
    for (const v of vars) {
      assert.equal(
        problems.filter((p) => p.startsWith(`${v}:`)).length,
        1,
        `exactly one problem names ${v}: ${problems.join(' | ')}`,
      );
    }
    // The message lists them all too, so an operator sees every one in a single run.
    try {
      loadConfig({ PORT: '99999', LOG_LEVEL: 'loud' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /PORT:.*99999/);
      assert.match(err.message, /LOG_LEVEL:/);
    }
  });

  it('rejects a non-http issuer and a non-numeric port', () => {
    const problems = problemsOf({ ISSUER: 'ftp://id.example.com', PORT: '80a' });
    assert.equal(problems.length, 2);
    assert.ok(problems.some((p) => p.startsWith('ISSUER:')));
    assert.ok(problems.some((p) => p.startsWith('PORT:')));
  });

  it('in production, refuses DATABASE_URL without SECRET_KEY and an http issuer other than localhost', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      ISSUER: 'http://id.example.com',
    });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('SECRET_KEY:') && /production/.test(p)));
    assert.ok(problems.some((p) => p.startsWith('ISSUER:') && /https/.test(p)));
  });

  it('in production, accepts https, http on localhost, and the embedded database without SECRET_KEY', () => {
    const a = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      SECRET_KEY: KEY,
      ISSUER: 'https://id.example.com',
    });
    assert.equal(a.production, true);
    assert.equal(a.issuer, 'https://id.example.com');
    const b = loadConfig({ NODE_ENV: 'production', ISSUER: 'http://localhost:3000' });
    assert.equal(b.production, true);
    assert.equal(b.secretKey, undefined);
    // Outside production the same http issuer and missing key are fine.
    const c = loadConfig({
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      ISSUER: 'http://id.example.com',
    });
    assert.equal(c.production, false);
  });
});

describe('node src/main.ts with a bad environment', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tobira-config-'));
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('exits with code 1 and prints every problem to stderr, without a stack trace', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      ISSUER: 'not a url',
      PORT: '99999',
      SECRET_KEY: 'c2hvcnQ=',
      LOG_LEVEL: 'loud',
      DEFAULT_LOCALE: 'fr',
      TRUST_PROXY: 'maybe',
    };
    const child = spawn(process.execPath, ['src/main.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    clearTimeout(killer);

    assert.equal(code, 1, `stderr: ${stderr}`);
    for (const v of ['ISSUER', 'PORT', 'SECRET_KEY', 'LOG_LEVEL', 'DEFAULT_LOCALE', 'TRUST_PROXY']) {
      assert.match(stderr, new RegExp(`^\\s*- ${v}: `, 'm'), `stderr names ${v}`);
    }
    assert.doesNotMatch(stderr, /^\s+at\s/m, 'no stack trace');
    assert.doesNotMatch(stdout, /listening/, 'the server did not start');
    assert.deepEqual(fs.readdirSync(dataDir), [], 'nothing was created in DATA_DIR');
  });
});

describe('start-up warnings (issue 13)', () => {
  it('warns that an IP-address ISSUER breaks passkeys, and not for a domain name', () => {
    for (const issuer of ['http://192.168.1.10:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000']) {
      const w = serveWarnings(loadConfig({ ISSUER: issuer }));
      assert.equal(w.length, 1, issuer);
      assert.match(w[0], /IP address; passkeys and security keys need a domain name/);
    }
    for (const issuer of ['http://localhost:3000', 'https://id.example.com']) {
      assert.deepEqual(serveWarnings(loadConfig({ ISSUER: issuer, TRUST_PROXY: '1' })), [], issuer);
    }
  });

  it('the engines field asks for the Node that the package brings (the node devDependency)', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const brought = /^\^?(\d+\.\d+)/.exec(pkg.devDependencies.node)?.[1];
    assert.ok(brought, 'a node devDependency');
    assert.equal(pkg.engines.node, `>=${brought}`);
    assert.ok(
      Number(process.versions.node.split('.')[0]) >= Number(brought.split('.')[0]),
      'the tests run on the Node the package brings',
    );
  });
});

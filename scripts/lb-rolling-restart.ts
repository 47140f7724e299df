/**
 * Load-balanced rolling restart (run by .ci/run; `npm run test:cluster`).
 *
 * HAProxy (Debian's package) in front of three Tobira processes on one fresh PostgreSQL database,
 * health-checking /readyz. A bounded load runs on loopback throughout: virtual users walk complete
 * code flows (authorization endpoint, sign-in page, password, code, token) and refresh their tokens.
 * Each instance in turn gets SIGTERM and is started again once it has exited; then PostgreSQL itself
 * is restarted (pg_ctlcluster restart; it is left running). Flows started before the restarts (held
 * at the sign-in page, and refresh tokens issued) are finished afterwards.
 *
 * Expectation: zero failed requests while instances restart and after PostgreSQL is back. While
 * PostgreSQL restarts, requests may fail (every backend's /readyz turns 503 and HAProxy answers 503);
 * those are counted separately, and the cluster must be serving again within 60 seconds.
 *
 * Prints requests, errors and p95 latency per phase. Environment: LB_TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test, a fresh database is created next to it and dropped),
 * LB_TEST_PG_RESTART=0 skips the PostgreSQL restart (e.g. on a workstation where other work uses
 * the server), TOBIRA_REQUIRE_TOOLS=1 fails instead of skipping when haproxy is missing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Browser, formAction, hiddenInputs, type Resp } from '../test/helpers/browser.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HAPROXY = '/usr/sbin/haproxy';
const BASE_URL = process.env.LB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RESTART_PG = process.env.LB_TEST_PG_RESTART !== '0';
const VIRTUAL_USERS = 4;
const PASSWORD = 'rolling restart passphrase 42';
const REDIRECT_URI = 'http://127.0.0.1:9/callback';

type Phase = 'warm-up' | 'rolling restart' | 'postgres restart' | 'after';
let phase: Phase = 'warm-up';
const stats = new Map<Phase, { latencies: number[]; errors: string[] }>();
const record = (ms: number, error?: string) => {
  let s = stats.get(phase);
  if (!s) stats.set(phase, (s = { latencies: [], errors: [] }));
  s.latencies.push(ms);
  if (error) s.errors.push(error);
};

/** A Browser whose every request is timed and counted; a network error or a 5xx is an error. */
class CountingBrowser extends Browser {
  override async request(method: string, url: string, opts: Parameters<Browser['request']>[2] = {}) {
    const started = performance.now();
    let r: Resp;
    try {
      r = await super.request(method, url, opts);
    } catch (err) {
      record(performance.now() - started, `${method} ${new URL(url, opts.base).pathname}: ${(err as Error).message}`);
      throw err;
    }
    record(
      performance.now() - started,
      r.status >= 500 ? `${method} ${new URL(url, opts.base).pathname}: ${r.status}` : undefined,
    );
    return r;
  }
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => Promise<T | undefined>, limitMs = 60_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function cli(env: NodeJS.ProcessEnv, args: string[], stdin?: string): string {
  return execFileSync(process.execPath, [path.join(ROOT, 'bin/tobira.js'), ...args], {
    env,
    input: stdin,
    encoding: 'utf8',
  });
}

const b64url = (b: Buffer) => b.toString('base64url');

async function main(): Promise<number> {
  if (!fs.existsSync(HAPROXY)) {
    const msg = `${HAPROXY} not found: apt-get install haproxy`;
    if (process.env.TOBIRA_REQUIRE_TOOLS === '1') {
      process.stderr.write(`${msg}\n`);
      return 1;
    }
    process.stdout.write(`NOTICE: ${msg}; skipping the load-balanced rolling restart\n`);
    return 0;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tobira-lb-'));
  const dbName = `tobira_lb_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const dbUrl = new URL(BASE_URL);
  dbUrl.pathname = `/${dbName}`;

  const lbPort = await freePort();
  const statsPort = await freePort();
  const ports = [await freePort(), await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${lbPort}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: dbUrl.toString(),
    SECRET_KEY: crypto.randomBytes(32).toString('base64'),
    ISSUER: issuer,
    DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: 'warn',
    WORKERS: '1',
    SHUTDOWN_DRAIN_SECONDS: '4',
    SHUTDOWN_TIMEOUT_SECONDS: '10',
  };
  const children: ChildProcess[] = [];
  let haproxy: ChildProcess | undefined;
  const instances: Array<ChildProcess | undefined> = [];
  try {
    cli(env, ['migrate']);
    cli(env, ['user', 'add', 'rolly', '--password-stdin'], `${PASSWORD}\n`);
    cli(env, ['policy', 'set', 'registrationRequired', 'false']);
    const client = JSON.parse(
      cli(env, [
        'client',
        'add',
        'lb-app',
        '--redirect-uri',
        REDIRECT_URI,
        '--grant-type',
        'authorization_code',
        '--grant-type',
        'refresh_token',
        '--first-party',
        '--json',
      ]),
    ) as { client_id: string; client_secret: string };
    const basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;

    const startInstance = async (i: number) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'src/main.ts')], {
        env: { ...env, PORT: String(ports[i]), HOST: '127.0.0.1' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      instances[i] = child;
      await until(`instance ${i + 1} ready`, async () => {
        if (child.exitCode !== null) throw new Error(`instance ${i + 1} exited with ${child.exitCode}`);
        const r = await fetch(`http://127.0.0.1:${ports[i]}/readyz`);
        return r.status === 200 ? true : undefined;
      }, 180_000);
    };
    await Promise.all([0, 1, 2].map(startInstance));

    const cfg = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(
      cfg,
      `global
  maxconn 512
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  # Client side: longer than the client's own idle timeout (4 s in Node's fetch), so the client,
  # not HAProxy, closes an idle connection and never sends on one being closed.
  timeout http-keep-alive 30s
  # Server side HAProxy keeps idle connections to Tobira (which closes them after 5 s idle, and at
  # once when draining); a request that meets one closing is retried on a new connection.
  option http-buffer-request
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
frontend tobira
  bind 127.0.0.1:${lbPort}
  default_backend tobira
backend tobira
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  timeout check 5s
  default-server inter 1s fall 2 rise 2
${ports.map((p, i) => `  server t${i + 1} 127.0.0.1:${p} check`).join('\n')}
listen stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
`,
    );
    haproxy = spawn(HAPROXY, ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(haproxy);
    const upServers = async () => {
      const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
      const up = new Set<string>();
      for (const line of csv.split('\n')) {
        const f = line.split(',');
        if (f[0] === 'tobira' && /^t\d$/.test(f[1]) && f[17] === 'UP') up.add(f[1]);
      }
      return up;
    };
    const waitUp = (names: string[], limitMs = 60_000) =>
      until(
        `${names.join(', ')} UP in HAProxy`,
        async () => {
          const up = await upServers();
          return names.every((n) => up.has(n)) ? true : undefined;
        },
        limitMs,
      );
    await waitUp(['t1', 't2', 't3']);

    // --- flows -------------------------------------------------------------------------------------
    const token = async (b: Browser, form: Record<string, string>) => {
      const r = await b.request('POST', `${issuer}/token`, {
        body: new URLSearchParams(form),
        headers: { authorization: basic },
      });
      if (r.status !== 200) throw new Error(`token ${form.grant_type}: ${r.status} ${r.text.slice(0, 200)}`);
      return JSON.parse(r.text) as { refresh_token: string; id_token: string };
    };
    /** Up to the sign-in page; returns what finishing the flow needs. */
    const openSignIn = async () => {
      const b = new CountingBrowser();
      const verifier = b64url(crypto.randomBytes(32));
      const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
      const auth = new URL(`${issuer}/auth`);
      for (const [k, v] of Object.entries({
        client_id: client.client_id,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'openid offline_access',
        prompt: 'consent',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: b64url(crypto.randomBytes(12)),
      }))
        auth.searchParams.set(k, v);
      const page = await b.follow(await b.get(auth.href), REDIRECT_URI);
      if (page.status !== 200 || !/name="password"/.test(page.text))
        throw new Error(`sign-in page: ${page.status} ${page.text.slice(0, 200)}`);
      return { b, verifier, page };
    };
    const finishSignIn = async (f: Awaited<ReturnType<typeof openSignIn>>) => {
      const { b, verifier, page } = f;
      const done = await b.follow(
        await b.post(formAction(page.text), { ...hiddenInputs(page.text), username: 'rolly', password: PASSWORD }, page.url),
        REDIRECT_URI,
      );
      const code = done.location ? new URL(done.location).searchParams.get('code') : null;
      if (!code) throw new Error(`no code: ${done.status} ${done.text.slice(0, 200)}`);
      return token(b, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    };
    const refresh = (rt: string) => token(new CountingBrowser(), { grant_type: 'refresh_token', refresh_token: rt });

    // Flows started before the restarts, finished after them.
    const held = await Promise.all([0, 1, 2, 3].map(() => openSignIn()));
    const heldTokens = await Promise.all([0, 1].map(async () => (await finishSignIn(await openSignIn())).refresh_token));

    let running = true;
    let flowsDone = 0;
    const flowFailures: string[] = [];
    const vu = async () => {
      while (running) {
        try {
          const t = await finishSignIn(await openSignIn());
          await refresh((await refresh(t.refresh_token)).refresh_token);
          flowsDone++;
        } catch (err) {
          const message = `${phase}: ${(err as Error).message}`;
          flowFailures.push(message);
          record(0, message);
          if (phase === 'postgres restart') await sleep(200);
        }
      }
    };
    const load = Array.from({ length: VIRTUAL_USERS }, vu);
    await sleep(1500);

    phase = 'rolling restart';
    const shutdowns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const child = instances[i]!;
      const t0 = performance.now();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      const code = await exited;
      shutdowns.push(Math.round(performance.now() - t0));
      if (code !== 0) throw new Error(`instance ${i + 1} exited with ${code} after SIGTERM`);
      await startInstance(i);
      await waitUp(['t1', 't2', 't3']);
    }
    await sleep(1000);

    let pgRecoveryMs: number | undefined;
    if (RESTART_PG) {
      phase = 'postgres restart';
      const [version, cluster] = pgCluster();
      const t0 = performance.now();
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, cluster, 'restart'], { stdio: 'inherit' });
      await waitUp(['t1', 't2', 't3'], 60_000);
      pgRecoveryMs = Math.round(performance.now() - t0);
    }
    phase = 'after';
    await sleep(2000);
    running = false;
    await Promise.all(load);

    // Finish what was started before the restarts.
    let heldFinished = 0;
    for (const f of held) {
      const t = await finishSignIn(f);
      await refresh(t.refresh_token);
      heldFinished++;
    }
    for (const rt of heldTokens) {
      await refresh(rt);
      heldFinished++;
    }

    // --- report ------------------------------------------------------------------------------------
    const p95 = (xs: number[]) => {
      if (!xs.length) return 0;
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)];
    };
    process.stdout.write('\nload-balanced rolling restart (HAProxy, 3 instances, one PostgreSQL database)\n');
    process.stdout.write('phase                requests  errors  p95 ms\n');
    let total = 0;
    for (const [name, s] of stats) {
      total += s.latencies.length;
      process.stdout.write(
        `${name.padEnd(20)} ${String(s.latencies.length).padStart(8)} ${String(s.errors.length).padStart(7)} ${p95(s.latencies).toFixed(1).padStart(7)}\n`,
      );
    }
    process.stdout.write(
      `complete flows during the load: ${flowsDone}; held flows finished after the restarts: ${heldFinished}/${held.length + heldTokens.length}\n`,
    );
    process.stdout.write(`SIGTERM to exit per instance (ms): ${shutdowns.join(', ')}\n`);
    if (RESTART_PG) process.stdout.write(`PostgreSQL restart to all backends UP again: ${pgRecoveryMs} ms\n`);
    else process.stdout.write('PostgreSQL restart skipped (LB_TEST_PG_RESTART=0)\n');
    process.stdout.write(`load: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

    const failedChecks: string[] = [];
    for (const p of ['warm-up', 'rolling restart', 'after'] as const) {
      const errs = stats.get(p)?.errors ?? [];
      if (errs.length) failedChecks.push(`${p}: ${errs.length} failed requests (${errs.slice(0, 5).join('; ')})`);
    }
    if (!(stats.get('rolling restart')?.latencies.length ?? 0)) failedChecks.push('no load ran during the rolling restart');
    if (heldFinished !== held.length + heldTokens.length) failedChecks.push('not every held flow finished');
    for (const f of failedChecks) process.stdout.write(`FAILED: ${f}\n`);
    // Requests outside the PostgreSQL restart that succeeded / failed, plus any failed check.
    const judged = [...stats].filter(([p]) => p !== 'postgres restart');
    const ok = judged.reduce((n, [, s]) => n + s.latencies.length - s.errors.length, 0);
    const bad = judged.reduce((n, [, s]) => n + s.errors.length, 0);
    const otherChecks = failedChecks.filter((f) => !/failed requests/.test(f)).length;
    process.stdout.write(`requests in all: ${total}\n`);
    process.stdout.write(`cluster: ${ok} passed, ${bad + otherChecks} failed\n`);
    return failedChecks.length ? 1 : 0;
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sleep(200);
    const a = new pg.Client({ connectionString: BASE_URL });
    await a
      .connect()
      .then(() => a.query(`drop database if exists ${dbName} with (force)`))
      .catch((err) => process.stderr.write(`could not drop ${dbName}: ${err.message}\n`))
      .finally(() => a.end().catch(() => {}));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The version and name of the local cluster serving port 5432 (pg_lsclusters). */
function pgCluster(): [string, string] {
  const out = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
  const port = new URL(BASE_URL).port || '5432';
  for (const line of out.split('\n')) {
    const [version, cluster, p] = line.trim().split(/\s+/);
    if (p === port) return [version, cluster];
  }
  throw new Error(`no local PostgreSQL cluster on port ${port}`);
}

process.exitCode = await main().catch((err) => {
  process.stderr.write(`lb-rolling-restart: ${(err as Error).stack ?? err}\n`);
  return 1;
});

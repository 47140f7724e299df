/**
 * `npm run bench`: Tobira on Postgres against a bare oidc-provider (in memory) in one run, on this machine.
 *
 *   a. client_credentials grants per second: a JWT for an API (RFC 8707 `resource`, RFC 9068; both
 *      servers sign it with ES256 and store nothing), and Tobira's own opaque token (Tobira stores a
 *      row every instance sees; the bare provider keeps it in this process's memory)
 *   b. password sign-ins per second (authorization request -> sign-in page -> form post -> code -> token)
 *   c. raw argon2id verifications per second: the ceiling for (b), since every sign-in verifies one hash
 *
 * Both servers run on this process's main thread; the load comes from a worker thread over loopback with
 * bounded concurrency. A fresh database is created for the run and dropped at the end.
 *
 * Environment: BENCH_SECONDS (5) per measurement, BENCH_WARMUP_SECONDS (1),
 * BENCH_FIRST_WARMUP_SECONDS (8: the first run of each row on each server, while the JIT settles),
 * BENCH_CONCURRENCY (8),
 * BENCH_ROUNDS (1: pairs of Tobira and bare measured in turn, medians reported),
 * BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test: an existing database, used only to create
 * and drop the benchmark's own database on the same server), BENCH_LOG_LEVEL (Tobira's LOG_LEVEL,
 * default warn: an access log line per request would measure the terminal, not Tobira).
 */

import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import argon2 from 'argon2';
import knexFactory, { type Knex } from 'knex';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import { startCommand, startEnv } from '../scripts/start-command.ts';
import { systemClock } from '../src/clock.ts';
import { runCommand } from '../src/commands.ts';
import { createDb } from '../src/db/knex.ts';
import { type Running, start } from '../src/main.ts';
import { TTL } from '../src/oidc/provider.ts';
import { ARGON2_PARAMS } from '../src/security/passwords.ts';
import { SecretBox } from '../src/security/secrets.ts';
import { insertCredential } from '../src/store/credentials.ts';
import { setPasswordHash } from '../src/store/users.ts';
import type { LoadJob, LoadResult } from './load-worker.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Set by SIGINT/SIGTERM: the running measurement is cut short and everything is cleaned up. */
let stopRequested = false;
let activeWorker: Worker | undefined;
/** Statements Tobira's code sent to PostgreSQL (Knex's query event), for statements per operation. */
let statements = 0;

function numberFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name}: expected a number >= ${min}, got "${raw}"`);
  return n;
}

const SECONDS = numberFromEnv('BENCH_SECONDS', 5, 0.5);
const WARMUP_SECONDS = numberFromEnv('BENCH_WARMUP_SECONDS', 1, 0);
/**
 * The first run of a row on each server warms up longer: under load, V8 goes on optimizing (and
 * re-optimizing) Tobira's code for about seven seconds (counted with --trace-opt), the bare provider's
 * for less, and a run measured in the middle of that measures the compiler.
 */
const FIRST_WARMUP_SECONDS = numberFromEnv('BENCH_FIRST_WARMUP_SECONDS', 8, 0);
/** The API the JWT row's tokens are for (registered in Tobira, configured alike in the bare provider). */
const BENCH_API = 'https://api.bench.example';
const BENCH_API_SCOPE = 'bench.read';
const CONCURRENCY = Math.floor(numberFromEnv('BENCH_CONCURRENCY', 8, 1));
/**
 * BENCH_ROUNDS (1): how many times each Tobira/bare pair (client credentials, sign-ins, refresh) is
 * measured, Tobira then bare, one pair after the other. The table gives each server's median run and
 * the median of the pairs' ratios with their range: the rate of a shared machine drifts between runs,
 * and a pair measured back to back sees the same machine.
 */
const ROUNDS = Math.floor(numberFromEnv('BENCH_ROUNDS', 1, 1));
const ADMIN_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL || 'warn';

/**
 * Command line: `--only clientCredentials,signIn,...` measures only those rows (the others print n/a);
 * `--tobira-only` leaves the bare provider out (for a CPU profile of Tobira alone:
 * `node --cpu-prof bench/run.ts --only clientCredentials --tobira-only`), and `--bare-only` measures only
 * the bare provider (the same profile of the library alone, to compare with).
 */
const ROWS = [
  'clientCredentialsJwt',
  'clientCredentials',
  'signIn',
  'refresh',
  'reset',
  'argon2Verify',
] as const;
type Row = (typeof ROWS)[number];
const { values: ARGS } = parseArgs({
  options: {
    only: { type: 'string' },
    'tobira-only': { type: 'boolean', default: false },
    'bare-only': { type: 'boolean', default: false },
    'rss-signins': { type: 'string' },
  },
});
/** `--rss-signins N`: only N password sign-ins against Tobira in its own process, then its memory. */
const RSS_SIGNINS = ARGS['rss-signins'] === undefined ? undefined : Number(ARGS['rss-signins']);
if (RSS_SIGNINS !== undefined && !(Number.isInteger(RSS_SIGNINS) && RSS_SIGNINS > 0)) {
  throw new Error(`--rss-signins: expected a positive whole number, got "${ARGS['rss-signins']}"`);
}
const ONLY = new Set<string>(ARGS.only ? ARGS.only.split(',').map((s) => s.trim()) : ROWS);
for (const row of ONLY) {
  if (!(ROWS as readonly string[]).includes(row))
    throw new Error(`--only: unknown row "${row}" (${ROWS.join(', ')})`);
}
const measures = (row: Row) => ONLY.has(row);
const WITH_BARE = !ARGS['tobira-only'];
const WITH_TOBIRA = !ARGS['bare-only'];

/**
 * Accounts for the complete-reset row, each with an authenticator app, each reset once per run (an app
 * code is good once; the run stops with an error when they run out).
 */
const RESET_USERS = Math.floor(numberFromEnv('BENCH_RESET_USERS', 300, 1));
/** One account per concurrent browser, so that no per-account state is shared between them. */
const USERNAMES = Array.from({ length: CONCURRENCY }, (_, i) => `bench-user-${i + 1}`);
const PASSWORD = 'correct horse battery staple 42';
/**
 * What is measured is the password sign-in itself: the policy must not send the user on to register
 * security info (the default asks everyone in the reset scope). With no method registered and `mfa`
 * left at its default (whenRegistered), there is no second step either.
 */
const TOBIRA_POLICY: Array<[string, string]> = [['registrationRequired', 'false']];
/** Never contacted: the load generator stops at the redirect and reads the code from it. */
const REDIRECT_URI = 'http://127.0.0.1/bench/callback';

/** The same server as BENCH_DATABASE_URL, another database. */
const dbUrl = (name: string) => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
};

/** Reserves a free loopback port: the issuer must name the port before the server is started. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * PostgreSQL's side of Tobira's cost: the CPU time of the server processes serving the benchmark's
 * database (pg_stat_activity), read from /proc. Set in main() when PostgreSQL runs on this machine
 * (its processes are visible here); otherwise the column says n/a. The bare provider sends nothing
 * there, so a fair comparison adds this to Tobira's process CPU: both servers share these two cores.
 */
let postgresCpuTicks: (() => Promise<Map<number, number>>) | undefined;

/** utime + stime of a process, in clock ticks (USER_HZ, 100 on Linux), or undefined once it is gone. */
function procTicks(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** PostgreSQL CPU (ms) spent by the benchmark database's server processes since the meter started. */
async function postgresMeter(): Promise<(() => Promise<number | undefined>) | undefined> {
  if (!postgresCpuTicks) return undefined;
  const before = await postgresCpuTicks();
  return async () => {
    const after = await postgresCpuTicks?.();
    if (!after) return undefined;
    let ticks = 0;
    for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
    return ticks * 10;
  };
}

/** What the server side spent while a measurement ran: event-loop busy share and process CPU. */
function resourceMeter() {
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  return (completed: number) => {
    const cpuMs = Object.values(process.cpuUsage(cpu)).reduce((a, b) => a + b, 0) / 1000;
    const round = (n: number, d = 100) => Math.round(n * d) / d;
    return {
      serverEventLoopUtilization: round(performance.eventLoopUtilization(elu).utilization),
      processCpuCores: round(cpuMs / (performance.now() - t0)),
      processCpuMsPerOp: completed ? round(cpuMs / completed) : 0,
    };
  };
}

function runLoad(job: LoadJob, onProgress?: (done: number) => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    if (stopRequested) return reject(new Error('interrupted'));
    const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: job });
    activeWorker = worker;
    let settled = false;
    let meter: ReturnType<typeof resourceMeter> | undefined;
    let pgMeter: Promise<(() => Promise<number | undefined>) | undefined> | undefined;
    let statementsAtStart = 0;
    type Msg =
      | { measuring: true }
      | { progress: number }
      | { ok: true; result: LoadResult }
      | { ok: false; error: string };
    worker.on('message', (msg: Msg) => {
      if ('progress' in msg) return onProgress?.(msg.progress);
      if ('measuring' in msg) {
        meter = resourceMeter();
        pgMeter = postgresMeter().catch(() => undefined);
        statementsAtStart = statements;
        return;
      }
      const sent = statements - statementsAtStart;
      settled = true;
      void worker.terminate();
      if (msg.ok) {
        const { completed } = msg.result;
        const perOp = completed ? Math.round((sent / completed) * 10) / 10 : 0;
        const own = meter?.(completed);
        void (async () => {
          const pgMs = await (await pgMeter)?.().catch(() => undefined);
          const postgresCpuMsPerOp =
            pgMs !== undefined && completed ? Math.round((pgMs / completed) * 100) / 100 : undefined;
          resolve({ ...msg.result, ...own, statementsPerOp: perOp, postgresCpuMsPerOp });
        })();
      } else reject(new Error(`${job.kind}: ${msg.error}`));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      activeWorker = undefined;
      if (settled) return;
      reject(new Error(stopRequested ? 'interrupted' : `${job.kind}: load worker exited with code ${code}`));
    });
  });
}

/**
 * Prepares the benchmark database with the `tobira` CLI's own commands (migrate, client add, user add,
 * policy set), before the server starts, so that no cache in the server can hold an older state.
 */
async function prepareTobira(databaseUrl: string, secretKey: Buffer) {
  const db = createDb({ databaseUrl, poolMax: 2 });
  const cx = { db, box: new SecretBox(secretKey), clock: systemClock };
  const tobira = async (argv: string[], stdin?: string) => {
    const r = await runCommand([...argv, '--json'], stdin, cx);
    if (r.code !== 0) throw new Error(`tobira ${argv.join(' ')}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  try {
    await tobira(['migrate']);
    const cc = await tobira(['client', 'add', 'bench-cc', '--grant-type', 'client_credentials']);
    await tobira([
      'api',
      'add',
      BENCH_API,
      '--name',
      'Bench API',
      '--scope',
      BENCH_API_SCOPE,
      '--ttl',
      '600',
    ]);
    await tobira(['api', 'grant', BENCH_API, 'bench-cc', '--scope', BENCH_API_SCOPE]);
    const web = await tobira([
      'client',
      'add',
      'bench-web',
      '--redirect-uri',
      REDIRECT_URI,
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'refresh_token',
      '--first-party',
    ]);
    for (const login of USERNAMES) await tobira(['user', 'add', login, '--password-stdin'], `${PASSWORD}\n`);
    for (const [key, value] of TOBIRA_POLICY) await tobira(['policy', 'set', key, value]);
    // The reset accounts: a password they forgot (one hash for all, made once), an authenticator app
    // registered as the portal stores it (the sealed base32 secret), so the reset has exactly one gate.
    const resetUsers: Array<{ login: string; totpSecret: string }> = [];
    if (measures('reset')) {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
      const forgotten = await argon2.hash('a password nobody remembers 9', ARGON2_PARAMS);
      for (let i = 1; i <= RESET_USERS; i++) {
        const login = `bench-reset-${i}`;
        const added = await tobira(['user', 'add', login]);
        await setPasswordHash(db, added.id as string, forgotten, new Date());
        const totpSecret = Array.from(crypto.randomBytes(32), (b) => alphabet[b % 32]).join('');
        await insertCredential(
          db,
          added.id as string,
          {
            kind: 'app',
            label: 'Authenticator',
            data: { secret: cx.box.encrypt('totp-secret', totpSecret), lastStep: 0 },
          },
          new Date(),
        );
        resetUsers.push({ login, totpSecret });
      }
    }
    return { ccSecret: cc.client_secret as string, webSecret: web.client_secret as string, resetUsers };
  } finally {
    await db.destroy();
  }
}

async function startTobira(databaseUrl: string, secretKey: Buffer) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      const running: Running = await start({
        NODE_ENV: 'production',
        DATABASE_URL: databaseUrl,
        SECRET_KEY: secretKey.toString('base64'),
        PORT: String(port),
        HOST: '127.0.0.1',
        ISSUER: `http://localhost:${port}`,
        LOG_LEVEL,
        // The bench stops the server when it is done: no load balancer to wait for.
        SHUTDOWN_DRAIN_SECONDS: '0',
      });
      return { running, port };
    } catch (err) {
      // Someone took the port between choosing and listening: choose again.
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
      throw err;
    }
  }
}

/**
 * The comparison point: oidc-provider with its in-memory adapter, static clients, an ES256 key and a
 * minimal sign-in interaction (CSRF token, argon2id verification with Tobira's parameters, auto consent).
 */
async function startBare() {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const ccSecret = crypto.randomBytes(32).toString('base64url');
  const webSecret = crypto.randomBytes(32).toString('base64url');
  const es256 = crypto
    .generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'jwk' });
  const csrfKey = crypto.randomBytes(32);
  const accounts = new Map<string, { id: string; hash: string }>();
  for (const login of USERNAMES) {
    accounts.set(login, { id: crypto.randomUUID(), hash: await argon2.hash(PASSWORD, ARGON2_PARAMS) });
  }
  const dummyHash = await argon2.hash('bench-dummy-password', ARGON2_PARAMS);
  const ids = new Set<string>([...accounts.values()].map((a) => a.id));

  const configuration: Configuration = {
    clients: [
      {
        client_id: 'bench-cc',
        client_secret: ccSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
      {
        client_id: 'bench-web',
        client_secret: webSecret,
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT_URI],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...es256, kid: 'bench-es256', alg: 'ES256', use: 'sig' }] } as Configuration['jwks'],
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    ttl: {
      ...TTL,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? TTL.ClientCredentials,
    },
    // As Tobira: every refresh_token grant rotates the token.
    rotateRefreshToken: true,
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // As Tobira for the bench's API: a JWT (ES256) for it, with its scope, for client credentials.
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, identifier) => {
          if (identifier !== BENCH_API) throw new errors.InvalidTarget();
          return {
            scope: BENCH_API_SCOPE,
            audience: BENCH_API,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) =>
      ids.has(sub) ? { accountId: sub, claims: async () => ({ sub }) } : undefined,
  };
  const provider = new Provider(issuer, configuration);
  const providerCallback = provider.callback();

  const csrfFor = (seed: string) => crypto.createHmac('sha256', csrfKey).update(seed).digest('base64url');
  const readCookie = (req: http.IncomingMessage, name: string) =>
    (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim().split('='))
      .find(([k]) => k === name)?.[1];
  const readBody = async (req: http.IncomingMessage) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) throw new Error('body too large');
      chunks.push(chunk as Buffer);
    }
    return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  };
  const send = (
    res: http.ServerResponse,
    status: number,
    html: string,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(html);
  };
  const loginPage = (res: http.ServerResponse, uid: string, seed: string | undefined, status = 200) => {
    const headers: Record<string, string> = {};
    let s = seed;
    if (!s) {
      s = crypto.randomBytes(24).toString('base64url');
      headers['set-cookie'] = `bench.csrf=${s}; path=/; httponly; samesite=lax`;
    }
    send(
      res,
      status,
      `<!doctype html><title>Sign in</title><form method="post" action="/interaction/${uid}/login">` +
        `<input type="hidden" name="_csrf" value="${csrfFor(s)}">` +
        '<input name="username"><input name="password" type="password"><button>Sign in</button></form>',
      headers,
    );
  };

  const interaction = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    uid: string,
    action?: string,
  ) => {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(res, 400, 'interaction mismatch');
    if (req.method === 'GET' && !action) {
      if (details.prompt.name === 'login') return loginPage(res, uid, readCookie(req, 'bench.csrf'));
      if (details.prompt.name === 'consent') {
        const grant = new provider.Grant({
          accountId: details.session!.accountId,
          clientId: details.params.client_id as string,
        });
        const missing = details.prompt.details as {
          missingOIDCScope?: string[];
          missingOIDCClaims?: string[];
        };
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        const grantId = await grant.save();
        return provider.interactionFinished(
          req,
          res,
          { consent: { grantId } },
          { mergeWithLastSubmission: true },
        );
      }
      return send(res, 400, 'unknown prompt');
    }
    if (req.method === 'POST' && action === 'login' && details.prompt.name === 'login') {
      const form = await readBody(req);
      const seed = readCookie(req, 'bench.csrf');
      const token = form.get('_csrf') ?? '';
      const expected = seed ? csrfFor(seed) : '';
      if (
        !seed ||
        token.length !== expected.length ||
        !crypto.timingSafeEqual(Buffer.from(token), Buffer.from(expected))
      ) {
        return send(res, 403, 'csrf');
      }
      const account = accounts.get(form.get('username') ?? '');
      const password = (form.get('password') ?? '').normalize('NFC');
      // As in Tobira, an unknown user still costs one verification.
      const ok = await argon2.verify(account?.hash ?? dummyHash, password).catch(() => false);
      if (!ok || !account) return loginPage(res, uid, seed, 401);
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: account.id, remember: true } },
        { mergeWithLastSubmission: false },
      );
    }
    return send(res, 405, 'method not allowed');
  };

  const server = http.createServer((req, res) => {
    const m = /^\/interaction\/([A-Za-z0-9_-]{10,64})(?:\/(login))?$/.exec((req.url ?? '').split('?')[0]);
    if (!m) return void providerCallback(req, res);
    interaction(req, res, m[1], m[2]).catch((err: Error) => {
      if (!res.headersSent) send(res, 400, `interaction failed: ${err.message}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { port, issuer, ccSecret, webSecret, stop };
}

/** Raw argon2id verifications per second with the same concurrency: the ceiling for password sign-ins. */
async function argon2Rate(): Promise<LoadResult> {
  const hash = await argon2.hash(PASSWORD, ARGON2_PARAMS);
  const phase = async (seconds: number) => {
    const latencies: number[] = [];
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const loop = async () => {
      while (performance.now() < deadline && !stopRequested) {
        const t0 = performance.now();
        if (!(await argon2.verify(hash, PASSWORD))) throw new Error('argon2 verify returned false');
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, loop));
    return { latencies, elapsed: (performance.now() - started) / 1000 };
  };
  if (WARMUP_SECONDS > 0) await phase(WARMUP_SECONDS);
  const meter = resourceMeter();
  const m = await phase(SECONDS);
  if (stopRequested) throw new Error('interrupted');
  const used = meter(m.latencies.length);
  const sorted = m.latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    completed: sorted.length,
    errors: 0,
    elapsedSeconds: round(m.elapsed),
    perSecond: round(sorted.length / m.elapsed),
    latencyMs: {
      p50: round(pct(50)),
      p95: round(pct(95)),
      p99: round(pct(99)),
      max: round(sorted.at(-1) ?? 0),
    },
    requestsPerOp: 0,
    ...used,
  };
}

interface ServerMemory extends NodeJS.MemoryUsage {
  peakRss?: number;
  anonymous?: number;
  mallocedMemory: number;
}

/**
 * `--rss-signins N`: Tobira alone in a child process (bench/rss-server.ts), N password sign-ins from
 * the load worker, and the server's memory after a full GC: at the start, every tenth of the way
 * (to show whether it grows) and at the end.
 */
async function rssRun(databaseUrl: string, secretKey: Buffer, webSecret: string, total: number) {
  const port = await freePort();
  // Started the way `npm start` starts the product (its Node options and environment defaults, from
  // package.json); options given to this process come after them, so they win (to try other settings).
  const product = startCommand();
  const env = startEnv(process.env, product);
  const execArgv = [
    ...product.nodeOptions,
    ...process.execArgv.filter((a) => a !== '--expose-gc'),
    '--expose-gc',
  ];
  process.stdout.write(
    `server: node ${execArgv.join(' ')}${Object.keys(product.envDefaults)
      .map((k) => `; ${k}=${env[k] ?? ''}`)
      .join('')}\n`,
  );
  const child = fork(new URL('./rss-server.ts', import.meta.url), [], {
    execArgv,
    env: {
      ...env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      SECRET_KEY: secretKey.toString('base64'),
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: `http://localhost:${port}`,
      LOG_LEVEL,
      SHUTDOWN_DRAIN_SECONDS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  type Reply = { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void };
  const replies: Reply[] = [];
  child.on('message', (m: Record<string, unknown>) => replies.shift()?.resolve(m));
  child.once('exit', (code) => {
    for (const r of replies.splice(0)) r.reject(new Error(`the server process exited with code ${code}`));
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      replies.push({ resolve, reject });
    });
  const memory = async () => {
    const reply = next();
    child.send({ memory: true });
    return (await reply).memory as ServerMemory;
  };
  const mb = (n?: number) => (n === undefined ? 'n/a' : `${Math.round(n / 2 ** 20)} MB`);
  const line = (label: string, m: ServerMemory) =>
    `${label.padEnd(22)} rss ${mb(m.rss).padStart(7)} (anonymous ${mb(m.anonymous)})  heap used ${mb(m.heapUsed).padStart(7)} of ${mb(m.heapTotal).padStart(7)}  external ${mb(m.external).padStart(6)} (array buffers ${mb(m.arrayBuffers)})  malloced ${mb(m.mallocedMemory)}`;
  try {
    await next();
    const at: Array<[number, ServerMemory]> = [[0, await memory()]];
    process.stdout.write(`${line('after start', at[0][1])}\n`);
    const every = Math.max(1, Math.round(total / 10));
    const samples: Promise<void>[] = [];
    const result = await runLoad(
      {
        kind: 'signIn',
        target: { connectHost: '127.0.0.1', port, host: `localhost:${port}` },
        clientId: 'bench-web',
        clientSecret: webSecret,
        redirectUri: REDIRECT_URI,
        usernames: USERNAMES,
        password: PASSWORD,
        concurrency: CONCURRENCY,
        warmupSeconds: 0,
        seconds: 0,
        total,
        progressEvery: every,
      },
      (done) => {
        samples.push(
          memory().then((m) => {
            at.push([done, m]);
            process.stdout.write(`${line(`after ${done} sign-ins`, m)}\n`);
          }),
        );
      },
    );
    await Promise.all(samples);
    const end = await memory();
    const a = ARGON2_PARAMS;
    const target = 250 * 2 ** 20;
    const report = [
      '',
      `${result.completed} password sign-ins (${result.errors} errors${result.errors ? `: ${result.firstError}` : ''}) in ${result.elapsedSeconds} s, ${result.perSecond}/s, ${CONCURRENCY} concurrent; load average ${os
        .loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
      `argon2id as in production: m=${a.memoryCost} KiB, t=${a.timeCost}, p=${a.parallelism} (the bench does not lighten it)`,
      'Tobira alone in its own process (the load comes from this one); memory after a full GC:',
      line('after start', at[0][1]),
      line(`after ${result.completed + result.errors} sign-ins`, end),
      `peak RSS (VmHWM) ${mb(end.peakRss)}; RSS ${end.rss <= target ? 'within' : 'OVER'} the target of 250 MB`,
    ].join('\n');
    process.stdout.write(`${report}\n`);
    const server = {
      nodeOptions: execArgv,
      env: Object.fromEntries(Object.keys(product.envDefaults).map((k) => [k, env[k] ?? null])),
    };
    return { server, result, start: at[0][1], samples: at, end, errors: result.errors };
  } finally {
    child.send({ stop: true });
    await new Promise((r) => {
      if (child.exitCode !== null) r(undefined);
      else child.once('exit', r);
      setTimeout(() => child.kill(), 15_000).unref();
    });
  }
}

function machineInfo(postgresVersion: string) {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE) || 4,
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
    postgres: postgresVersion,
  };
}

const fmtRate = (r?: LoadResult) => (r ? `${r.perSecond.toFixed(1)}/s` : 'n/a');
const fmtLatency = (r?: LoadResult) =>
  r ? `${r.latencyMs.p50.toFixed(1)} / ${r.latencyMs.p95.toFixed(1)}` : '';
/** PostgreSQL's CPU per operation, and Tobira's whole cost (its process plus PostgreSQL). */
const fmtPg = (r?: LoadResult) =>
  r?.postgresCpuMsPerOp !== undefined && r.processCpuMsPerOp !== undefined
    ? `${r.postgresCpuMsPerOp.toFixed(2)} ms (together ${(r.processCpuMsPerOp + r.postgresCpuMsPerOp).toFixed(2)} ms)`
    : r
      ? 'n/a (PostgreSQL not on this machine)'
      : '';
const fmtCpu = (r?: LoadResult) =>
  r?.processCpuMsPerOp !== undefined
    ? `${r.processCpuMsPerOp.toFixed(2)} ms, ${r.processCpuCores?.toFixed(2)} cores, loop ${Math.round((r.serverEventLoopUtilization ?? 0) * 100)}%`
    : '';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The run's figures as JSON in bench/results/ (not committed). */
function writeResults(data: Record<string, unknown>) {
  const at = new Date();
  const outDir = path.join(HERE, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${at.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ at: at.toISOString(), ...data }, null, 2)}\n`);
  process.stdout.write(`\nresults written to ${path.relative(process.cwd(), file)}\n`);
}

async function main(): Promise<number> {
  const dbName = `tobira_bench_${crypto.randomBytes(6).toString('hex')}`;
  const admin: Knex = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
  let created = false;
  let tobira: Awaited<ReturnType<typeof startTobira>> | undefined;
  let bare: Awaited<ReturnType<typeof startBare>> | undefined;
  const onSignal = () => {
    stopRequested = true;
    process.stderr.write('\nbench: interrupted, cleaning up\n');
    void activeWorker?.terminate();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const version = (await admin.raw('show server_version')).rows[0].server_version as string;
    await admin.raw('create database ??', [dbName]);
    created = true;
    const machine = machineInfo(version);
    const settings = {
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      firstWarmupSeconds: FIRST_WARMUP_SECONDS,
      concurrency: CONCURRENCY,
      tobiraLogLevel: LOG_LEVEL,
      tobiraPolicy: Object.fromEntries(TOBIRA_POLICY),
      accounts: USERNAMES.length,
      rounds: ROUNDS,
    };
    process.stdout.write(
      `bench: database ${dbName}; ${SECONDS} s per measurement after ${WARMUP_SECONDS} s warm-up, ${CONCURRENCY} concurrent\n`,
    );

    const secretKey = crypto.randomBytes(32);
    const secrets = await prepareTobira(dbUrl(dbName), secretKey);
    if (RSS_SIGNINS !== undefined) {
      const rss = await rssRun(dbUrl(dbName), secretKey, secrets.webSecret, RSS_SIGNINS);
      writeResults({ machine, settings, rssSignIns: rss });
      return rss.errors ? 1 : 0;
    }
    tobira = await startTobira(dbUrl(dbName), secretKey);
    tobira.running.db.on('query', () => {
      statements++;
    });
    const firstPid = (
      (await admin.raw('select pid from pg_stat_activity where datname = ? limit 1', [dbName])) as {
        rows: { pid: number }[];
      }
    ).rows[0]?.pid;
    // PostgreSQL on this machine: its server processes are ours to read.
    if (firstPid !== undefined && procTicks(firstPid) !== undefined) {
      postgresCpuTicks = async () => {
        const { rows } = (await admin.raw('select pid from pg_stat_activity where datname = ?', [
          dbName,
        ])) as {
          rows: { pid: number }[];
        };
        const out = new Map<number, number>();
        for (const { pid } of rows) {
          const t = procTicks(pid);
          if (t !== undefined) out.set(pid, t);
        }
        return out;
      };
    }
    if (WITH_BARE) bare = await startBare();

    const tobiraTarget = { connectHost: '127.0.0.1', port: tobira.port, host: `localhost:${tobira.port}` };
    const bareTarget = { connectHost: '127.0.0.1', port: bare?.port ?? 0, host: `localhost:${bare?.port}` };
    const common = { concurrency: CONCURRENCY, warmupSeconds: WARMUP_SECONDS, seconds: SECONDS };
    const results: Record<Row, Record<string, LoadResult>> = {
      clientCredentialsJwt: {},
      clientCredentials: {},
      signIn: {},
      refresh: {},
      reset: {},
      argon2Verify: {},
    };
    const step = async (label: string, fn: () => Promise<LoadResult>) => {
      if (stopRequested) throw new Error('interrupted');
      process.stdout.write(`bench: ${label} ...`);
      const r = await fn();
      process.stdout.write(` ${fmtRate(r)}${r.errors ? ` (${r.errors} errors: ${r.firstError})` : ''}\n`);
      return r;
    };

    /** Every run of a row, per server (BENCH_ROUNDS of them). */
    const runs: Partial<Record<Row, Record<string, LoadResult[]>>> = {};
    /** Measures one row against one server, unless the command line left it out. */
    const measure = async (row: Row, who: 'tobira' | 'bare', job: Omit<LoadJob, 'target' | 'kind'>) => {
      if (!measures(row) || (who === 'bare' && !WITH_BARE) || (who === 'tobira' && !WITH_TOBIRA)) return;
      const label = `${row}, ${who === 'tobira' ? 'Tobira' : 'bare oidc-provider'}`;
      const r = await step(label, () =>
        runLoad({
          kind: (row === 'clientCredentialsJwt' ? 'clientCredentials' : row) as LoadJob['kind'],
          target: who === 'tobira' ? tobiraTarget : bareTarget,
          ...job,
          // The first run of a row on a server warms up while the JIT settles.
          ...(runs[row]?.[who]?.length
            ? {}
            : { warmupSeconds: Math.max(job.warmupSeconds, FIRST_WARMUP_SECONDS) }),
        }),
      );
      const ofRow = runs[row] ?? {};
      runs[row] = ofRow;
      const mine = ofRow[who] ?? [];
      ofRow[who] = mine;
      mine.push(r);
      // The median run by rate stands for the server in the table.
      results[row][who] = [...mine].sort((a, b) => a.perSecond - b.perSecond)[
        Math.floor((mine.length - 1) / 2)
      ];
    };
    /** Tobira then bare, BENCH_ROUNDS times. */
    const pairs = async (
      row: Row,
      tobiraJob: Omit<LoadJob, 'target' | 'kind'>,
      bareJob: typeof tobiraJob,
    ) => {
      for (let i = 0; i < ROUNDS; i++) {
        await measure(row, 'tobira', tobiraJob);
        await measure(row, 'bare', bareJob);
      }
    };
    const tobiraCc = { clientId: 'bench-cc', clientSecret: secrets.ccSecret, ...common };
    const bareCc = { clientId: 'bench-cc', clientSecret: bare?.ccSecret ?? '', ...common };
    const signInJob = { redirectUri: REDIRECT_URI, usernames: USERNAMES, password: PASSWORD, ...common };
    const tobiraWeb = { clientId: 'bench-web', clientSecret: secrets.webSecret, ...signInJob };
    const bareWeb = { clientId: 'bench-web', clientSecret: bare?.webSecret ?? '', ...signInJob };
    await pairs(
      'clientCredentialsJwt',
      { ...tobiraCc, resource: BENCH_API },
      { ...bareCc, resource: BENCH_API },
    );
    await pairs('clientCredentials', tobiraCc, bareCc);
    await pairs('signIn', tobiraWeb, bareWeb);
    // Memory after the sign-ins: the whole process (both servers and the load worker).
    const signInsServed =
      (results.signIn.tobira?.completed ?? 0) + (results.signIn.tobira?.warmupCompleted ?? 0);
    global.gc?.();
    const rssAfterSignInsMb = Math.round(process.memoryUsage().rss / 2 ** 20);
    await pairs('refresh', tobiraWeb, bareWeb);
    await measure('reset', 'tobira', {
      clientId: '',
      clientSecret: '',
      resetUsers: secrets.resetUsers,
      ...common,
    });
    if (measures('argon2Verify')) results.argon2Verify.raw = await step('argon2id verify', argon2Rate);

    /** Each pair's Tobira/bare ratio, in the order measured. */
    const pairRatios = (row: Row) => {
      const t = runs[row]?.tobira ?? [];
      const b = runs[row]?.bare ?? [];
      return t.flatMap((x, i) => (b[i]?.perSecond ? [x.perSecond / b[i].perSecond] : []));
    };
    const pct = (n: number) => `${(n * 100).toFixed(0)}%`;
    /** One pair: its ratio; several: the median ratio and the range. */
    const ratioOf = (row: Row) => {
      const all = pairRatios(row).sort((a, b) => a - b);
      if (!all.length) return '';
      const mid =
        all.length % 2 ? all[(all.length - 1) / 2] : (all[all.length / 2 - 1] + all[all.length / 2]) / 2;
      return all.length === 1 ? pct(mid) : `${pct(mid)} (${pct(all[0])}-${pct(all[all.length - 1])})`;
    };
    const {
      clientCredentialsJwt: jwtR,
      clientCredentials: ccR,
      signIn: siR,
      refresh: rtR,
      reset: resetR,
      argon2Verify: arR,
    } = results;
    const rows = [
      [
        `per second (${CONCURRENCY} concurrent)`,
        'Tobira',
        'p50 / p95 ms',
        'bare',
        'p50 / p95 ms',
        'Tobira/bare',
      ],
      [
        'client_credentials, JWT for an API',
        fmtRate(jwtR.tobira),
        fmtLatency(jwtR.tobira),
        fmtRate(jwtR.bare),
        fmtLatency(jwtR.bare),
        ratioOf('clientCredentialsJwt'),
      ],
      [
        'client_credentials, opaque',
        fmtRate(ccR.tobira),
        fmtLatency(ccR.tobira),
        fmtRate(ccR.bare),
        fmtLatency(ccR.bare),
        ratioOf('clientCredentials'),
      ],
      [
        'password sign-ins',
        fmtRate(siR.tobira),
        fmtLatency(siR.tobira),
        fmtRate(siR.bare),
        fmtLatency(siR.bare),
        ratioOf('signIn'),
      ],
      [
        'refresh_token grants (rotating)',
        fmtRate(rtR.tobira),
        fmtLatency(rtR.tobira),
        fmtRate(rtR.bare),
        fmtLatency(rtR.bare),
        ratioOf('refresh'),
      ],
      ['complete self-service resets', fmtRate(resetR.tobira), fmtLatency(resetR.tobira), 'n/a', '', ''],
      ['argon2id verify (sign-in ceiling)', fmtRate(arR.raw), fmtLatency(arR.raw), '', '', ''],
    ];
    const costRows = [
      ['process CPU per op, cores busy, server loop busy', 'Tobira', 'PostgreSQL (Tobira)', 'bare'],
      ['client_credentials, JWT', fmtCpu(jwtR.tobira), fmtPg(jwtR.tobira), fmtCpu(jwtR.bare)],
      ['client_credentials, opaque', fmtCpu(ccR.tobira), fmtPg(ccR.tobira), fmtCpu(ccR.bare)],
      ['password sign-ins', fmtCpu(siR.tobira), fmtPg(siR.tobira), fmtCpu(siR.bare)],
      ['refresh_token grants', fmtCpu(rtR.tobira), fmtPg(rtR.tobira), fmtCpu(rtR.bare)],
      ['complete self-service resets', fmtCpu(resetR.tobira), fmtPg(resetR.tobira), ''],
      ['argon2id verify', fmtCpu(arR.raw), '', ''],
    ];
    // Every run counts, not only the median ones the table shows.
    const errors = [
      ...Object.entries(results)
        .filter(([row]) => !runs[row as Row])
        .flatMap(([, group]) => Object.entries(group)),
      ...Object.values(runs).flatMap((group) =>
        Object.entries(group ?? {}).flatMap(([who, list]) => list.map((r) => [who, r] as const)),
      ),
    ].filter(([, r]) => r.errors > 0);
    const argon = ARGON2_PARAMS;
    const loadAtEnd = os.loadavg().map((n) => Math.round(n * 100) / 100);
    const report = [
      '',
      `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGiB} GiB RAM, ${machine.os}`,
      `runtime: node ${machine.node}, UV_THREADPOOL_SIZE ${machine.uvThreadpoolSize}, PostgreSQL ${machine.postgres} on loopback`,
      `load:    ${CONCURRENCY} concurrent, ${SECONDS} s per measurement after ${WARMUP_SECONDS} s warm-up (${FIRST_WARMUP_SECONDS} s for a row's first run on each server); servers on the main thread, load from a worker thread`,
      `argon2id: m=${argon.memoryCost} KiB, t=${argon.timeCost}, p=${argon.parallelism}`,
      `load average (1 min) at start ${machine.loadAverageAtStart[0]}, at end ${loadAtEnd[0]}` +
        (Math.max(machine.loadAverageAtStart[0], loadAtEnd[0]) > machine.cores / 2
          ? ': other work was running on this machine, so the figures are lower and noisier than on an idle one'
          : ''),
      '',
      table(rows),
      '',
      table(costRows),
      '',
      `Tobira: Postgres via Knex, access log at LOG_LEVEL ${LOG_LEVEL}, policy ${TOBIRA_POLICY.map(([k, v]) => `${k}=${v}`).join(', ')} (password only, no second step).`,
      'bare: oidc-provider in-memory adapter, static clients, minimal interaction (CSRF + argon2id, auto consent).',
      `client_credentials, JWT: resource=${BENCH_API}; both servers sign an RFC 9068 JWT (ES256) and store nothing. Opaque: Tobira stores each token in PostgreSQL (visible to every instance, revocable), the bare provider in its own memory.`,
      `Each of the ${CONCURRENCY} concurrent browsers signs in as its own account, with fresh cookies every time.`,
      'A sign-in is GET /auth -> GET /interaction/:uid -> POST the form -> redirects (with consent) -> POST /token.',
      'Process CPU covers both servers, the load worker and argon2 threads; PostgreSQL (Tobira) is the CPU of the PostgreSQL processes serving Tobira, on the same cores.',
      `HTTP requests per sign-in: Tobira ${results.signIn.tobira?.requestsPerOp ?? 'n/a'}, bare ${results.signIn.bare?.requestsPerOp ?? 'n/a'}`,
      `Statements to PostgreSQL per operation (Knex query events while measuring): sign-in ${siR.tobira?.statementsPerOp ?? 'n/a'}, client_credentials JWT ${jwtR.tobira?.statementsPerOp ?? 'n/a'}, opaque ${ccR.tobira?.statementsPerOp ?? 'n/a'}, refresh_token ${rtR.tobira?.statementsPerOp ?? 'n/a'}, complete reset ${resetR.tobira?.statementsPerOp ?? 'n/a'}`,
      `A complete reset is GET /reset -> proof of work solved in the load worker -> POST the user ID -> GET /reset/verify -> GET and POST /reset/verify/app (the authenticator app's code, one gate) -> GET and POST /reset/password (argon2id hash of the new password). bare: n/a (oidc-provider has no reset).`,
      `RSS of this process after ${signInsServed} Tobira sign-ins (both servers and the load worker): ${rssAfterSignInsMb} MB`,
      ...(errors.length
        ? [`ERRORS: ${errors.map(([k, r]) => `${k}: ${r.errors} (${r.firstError})`).join('; ')}`]
        : []),
    ].join('\n');
    process.stdout.write(`${report}\n`);

    writeResults({
      machine: { ...machine, loadAverageAtEnd: loadAtEnd },
      settings,
      argon2: { ...argon, type: 'argon2id' },
      results,
      runs,
      pairRatios: Object.fromEntries(
        (['clientCredentialsJwt', 'clientCredentials', 'signIn', 'refresh'] as const).map((row) => [
          row,
          pairRatios(row),
        ]),
      ),
      rssAfterSignIns: { signIns: signInsServed, mb: rssAfterSignInsMb },
    });
    return errors.length ? 1 : 0;
  } finally {
    await bare?.stop().catch((err) => process.stderr.write(`bench: stopping the bare provider: ${err}\n`));
    await tobira?.running.stop().catch((err) => process.stderr.write(`bench: stopping Tobira: ${err}\n`));
    if (created) {
      await admin
        .raw('drop database if exists ?? with (force)', [dbName])
        .catch((err) => process.stderr.write(`bench: could not drop database ${dbName}: ${err}\n`));
    }
    await admin.destroy();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (stopRequested) {
      process.stderr.write('bench: interrupted; nothing was written\n');
      process.exitCode = 130;
      return;
    }
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);

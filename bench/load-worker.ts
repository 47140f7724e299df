/**
 * The load generator for bench/run.ts. It runs in a worker thread so that building requests and parsing
 * responses does not share an event loop with the server under test (which runs on the main thread).
 * It speaks plain HTTP/1.1 over loopback and keeps its own cookie jar per simulated browser.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { type Challenge, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';

export interface Target {
  /** Where to connect (always a loopback address). */
  connectHost: string;
  port: number;
  /** The issuer's host[:port]: sent as Host and expected in every absolute redirect. */
  host: string;
}

export interface LoadJob {
  kind: 'clientCredentials' | 'signIn' | 'refresh' | 'reset';
  target: Target;
  clientId: string;
  clientSecret: string;
  /** clientCredentials only: the API (RFC 8707 resource indicator) the token is for; it must be a JWT. */
  resource?: string;
  /** signIn only */
  redirectUri?: string;
  /** One account per concurrent simulated browser (slot i signs in as usernames[i % length]). */
  usernames?: string[];
  password?: string;
  /** reset only: accounts with an authenticator app (base32 secret), each reset once per run. */
  resetUsers?: Array<{ login: string; totpSecret: string }>;
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
  /**
   * When set, the measurement ends after this many operations (successful or not) instead of after
   * `seconds`, and the worker posts `{ progress: n }` every `progressEvery` operations.
   */
  total?: number;
  progressEvery?: number;
}

export interface LoadResult {
  completed: number;
  errors: number;
  firstError?: string;
  elapsedSeconds: number;
  perSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** HTTP requests made per completed operation (to show what one operation costs). */
  requestsPerOp: number;
  /** Filled in by bench/run.ts: statements Tobira sent to PostgreSQL per operation while measuring. */
  statementsPerOp?: number;
  /** Operations completed in the warm-up (not measured). */
  warmupCompleted?: number;
  /** Filled in by bench/run.ts: main-thread (server) event-loop utilisation and process CPU (excludes Postgres). */
  serverEventLoopUtilization?: number;
  processCpuCores?: number;
  processCpuMsPerOp?: number;
  /** Filled in by bench/run.ts: CPU of the PostgreSQL processes serving the benchmark database, per operation. */
  postgresCpuMsPerOp?: number;
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/** A browser's cookies for the one host under test; honours Path and removal (Max-Age=0 / past Expires). */
class CookieJar {
  readonly #cookies = new Map<string, Cookie>();

  store(setCookie: string[] | undefined, requestPath: string): void {
    for (const line of setCookie ?? []) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = requestPath.slice(0, Math.max(1, requestPath.lastIndexOf('/')));
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'path' && v.trim().startsWith('/')) path = v.trim();
        else if (key === 'max-age' && Number(v) <= 0) expired = true;
        else if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const id = `${name}\u0000${path}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path });
    }
  }

  header(requestPath: string): string | undefined {
    const matching = [...this.#cookies.values()]
      .filter(
        (c) => requestPath === c.path || requestPath.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
      )
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}

class Client {
  readonly #target: Target;
  readonly #agent: http.Agent;
  requests = 0;

  constructor(target: Target, concurrency: number) {
    this.#target = target;
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  }

  /** Resolves a possibly relative URL and refuses anything that is not the server under test. */
  url(ref: string, base = `http://${this.#target.host}/`): URL {
    const u = new URL(ref, base);
    if (u.protocol !== 'http:' || u.host !== this.#target.host) {
      throw new Error(`refusing to leave the server under test: ${u.origin}`);
    }
    return u;
  }

  send(method: string, url: URL, headers: Record<string, string> = {}, body?: string): Promise<Response> {
    this.requests++;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.#agent,
          host: this.#target.connectHost,
          port: this.#target.port,
          method,
          path: url.pathname + url.search,
          headers: {
            host: this.#target.host,
            ...(body !== undefined
              ? {
                  'content-type': 'application/x-www-form-urlencoded',
                  'content-length': String(Buffer.byteLength(body)),
                }
              : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

const b64url = (b: Buffer) => b.toString('base64url');

function expectStatus(res: Response, status: number, what: string): void {
  if (res.status !== status) {
    throw new Error(
      `${what}: expected HTTP ${status}, got ${res.status}: ${res.body.slice(0, 200).replace(/\s+/g, ' ')}`,
    );
  }
}

async function clientCredentials(client: Client, job: LoadJob, _slot: number): Promise<void> {
  const res = await client.send(
    'POST',
    client.url('/token'),
    { authorization: basic(job.clientId, job.clientSecret), accept: 'application/json' },
    job.resource
      ? `grant_type=client_credentials&resource=${encodeURIComponent(job.resource)}`
      : 'grant_type=client_credentials',
  );
  expectStatus(res, 200, 'POST /token (client_credentials)');
  const body = JSON.parse(res.body) as { access_token?: string };
  if (!body.access_token) throw new Error('token response without access_token');
  if (job.resource && body.access_token.split('.').length !== 3)
    throw new Error('a token for an API that is not a JWT');
}

/**
 * One browser signing in from scratch: authorization request, the sign-in page, the form post with the
 * CSRF token and cookies, the redirects (including the consent step) to the code, then the code exchange.
 */
async function signIn(
  client: Client,
  job: LoadJob,
  slot: number,
  opts: { offline?: boolean } = {},
): Promise<{ refreshToken?: string }> {
  const jar = new CookieJar();
  const redirectUri = job.redirectUri!;
  const state = b64url(crypto.randomBytes(16));
  const nonce = b64url(crypto.randomBytes(16));
  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());

  const visit = async (method: string, url: URL, body?: string, extra: Record<string, string> = {}) => {
    const cookie = jar.header(url.pathname);
    const res = await client.send(method, url, { ...(cookie ? { cookie } : {}), ...extra }, body);
    jar.store(res.headers['set-cookie'], url.pathname);
    return res;
  };

  /** Follows redirects within the server until a page, or until the redirect to the client's redirect_uri. */
  const follow = async (
    first: Response,
    from: URL,
  ): Promise<{ page?: Response; url: URL; callback?: URL }> => {
    let res = first;
    let url = from;
    for (let hops = 0; hops < 10; hops++) {
      if (res.status < 300 || res.status >= 400) return { page: res, url };
      const location = res.headers.location;
      if (!location) throw new Error(`${url.pathname}: redirect without Location`);
      if (location.startsWith(redirectUri)) return { url, callback: new URL(location) };
      url = client.url(location, url.href);
      res = await visit('GET', url);
    }
    throw new Error('too many redirects');
  };

  const authUrl = client.url(
    `/auth?${new URLSearchParams({
      client_id: job.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: opts.offline ? 'openid offline_access' : 'openid',
      ...(opts.offline ? { prompt: 'consent' } : {}),
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`,
  );
  const login = await follow(await visit('GET', authUrl), authUrl);
  if (!login.page) throw new Error('the authorization request went to the client without a sign-in page');
  expectStatus(login.page, 200, `GET ${login.url.pathname}`);
  const html = login.page.body;
  const csrf = /name="_csrf"\s+value="([^"]+)"/.exec(html)?.[1];
  const action = /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(html)?.[1];
  if (!csrf || !action) throw new Error(`${login.url.pathname}: no sign-in form with a _csrf field`);

  const postUrl = client.url(action.replaceAll('&amp;', '&'), login.url.href);
  const form = new URLSearchParams({
    _csrf: csrf,
    username: job.usernames![slot % job.usernames!.length],
    password: job.password!,
  }).toString();
  const posted = await visit('POST', postUrl, form, { origin: `http://${postUrl.host}` });
  const done = await follow(posted, postUrl);
  if (!done.callback) {
    throw new Error(`sign-in did not reach the client: HTTP ${done.page?.status} at ${done.url.pathname}`);
  }
  const params = done.callback.searchParams;
  if (params.get('error')) throw new Error(`authorization error: ${params.get('error')}`);
  if (params.get('state') !== state) throw new Error('state mismatch');
  const code = params.get('code');
  if (!code) throw new Error('no code in the redirect');

  const tokenRes = await client.send(
    'POST',
    client.url('/token'),
    { authorization: basic(job.clientId, job.clientSecret), accept: 'application/json' },
    new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }).toString(),
  );
  expectStatus(tokenRes, 200, 'POST /token (authorization_code)');
  const tokens = JSON.parse(tokenRes.body) as {
    id_token?: string;
    access_token?: string;
    refresh_token?: string;
  };
  if (!tokens.id_token || !tokens.access_token)
    throw new Error('token response without id_token or access_token');
  const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString()) as {
    nonce?: string;
  };
  if (claims.nonce !== nonce) throw new Error('nonce mismatch');
  return { refreshToken: tokens.refresh_token };
}

/** Each slot's current refresh token (rotated by every grant); a slot without one signs in first. */
const refreshTokens = new Map<number, string>();

/** One refresh_token grant with rotation: the next grant of this slot uses the token it returns. */
async function refresh(client: Client, job: LoadJob, slot: number): Promise<void> {
  let token = refreshTokens.get(slot);
  if (!token) {
    token = (await signIn(client, job, slot, { offline: true })).refreshToken;
    if (!token) throw new Error('the sign-in with offline_access returned no refresh token');
  }
  refreshTokens.delete(slot);
  const res = await client.send(
    'POST',
    client.url('/token'),
    { authorization: basic(job.clientId, job.clientSecret), accept: 'application/json' },
    new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
  );
  expectStatus(res, 200, 'POST /token (refresh_token)');
  const body = JSON.parse(res.body) as { access_token?: string; refresh_token?: string };
  if (!body.access_token || !body.refresh_token) throw new Error('refresh response without tokens');
  refreshTokens.set(slot, body.refresh_token);
}

/** RFC 6238 (HMAC-SHA1, 6 digits, 30 s steps): what the user's authenticator app shows now. */
function totp(secretBase32: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => Number.parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** Every `<input type="hidden">` of a page, as a form would post them. */
function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    const tag = m[0];
    if (!/type="hidden"/.test(tag)) continue;
    const name = /name="([^"]*)"/.exec(tag)?.[1];
    if (name) fields[name] = (/value="([^"]*)"/.exec(tag)?.[1] ?? '').replaceAll('&amp;', '&');
  }
  return fields;
}

/** The altcha field for a page's proof-of-work challenge, solved here as the widget would. */
async function solvePow(html: string): Promise<string> {
  const raw = /<altcha-widget\b[^>]*?\schallenge="([^"]*)"/.exec(html)?.[1];
  if (!raw) throw new Error('no proof-of-work challenge on the identify page');
  const json = raw
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  const challenge = JSON.parse(json) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey, timeout: 60_000 });
  if (!solution) throw new Error('the proof-of-work challenge was not solved');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

let nextResetUser = 0;

/**
 * A complete self-service reset: the identify page, its proof of work solved here, the user ID; the
 * authenticator app gate with the current code; a new password. Each account resets once per run
 * (an app code is good once, and a new password must not repeat a recent one).
 */
async function reset(client: Client, job: LoadJob, _slot: number): Promise<void> {
  const user = job.resetUsers![nextResetUser++];
  if (!user) throw new Error('every reset account was used: raise BENCH_RESET_USERS');
  const jar = new CookieJar();
  const origin = { origin: `http://${client.url('/').host}` };
  const visit = async (method: string, path: string, body?: Record<string, string>) => {
    const url = client.url(path);
    const cookie = jar.header(url.pathname);
    const res = await client.send(
      method,
      url,
      { ...(cookie ? { cookie } : {}), ...(body ? origin : {}) },
      body ? new URLSearchParams(body).toString() : undefined,
    );
    jar.store(res.headers['set-cookie'], url.pathname);
    return res;
  };
  const identify = await visit('GET', '/reset');
  expectStatus(identify, 200, 'GET /reset');
  const altcha = await solvePow(identify.body);
  const started = await visit('POST', '/reset', {
    ...hiddenFields(identify.body),
    username: user.login,
    altcha,
  });
  expectStatus(started, 302, 'POST /reset');
  if (!started.headers.location?.endsWith('/reset/verify')) {
    throw new Error(`POST /reset: went to ${started.headers.location} instead of /reset/verify`);
  }
  expectStatus(await visit('GET', '/reset/verify'), 200, 'GET /reset/verify');
  const gate = await visit('GET', '/reset/verify/app');
  expectStatus(gate, 200, 'GET /reset/verify/app');
  const passed = await visit('POST', '/reset/verify/app', {
    ...hiddenFields(gate.body),
    code: totp(user.totpSecret),
  });
  expectStatus(passed, 302, 'POST /reset/verify/app');
  const form = await visit('GET', '/reset/password');
  expectStatus(form, 200, 'GET /reset/password');
  const fresh = `orbit ${crypto.randomBytes(6).toString('hex')} maple quietly`;
  const done = await visit('POST', '/reset/password', {
    ...hiddenFields(form.body),
    password: fresh,
    confirm: fresh,
  });
  expectStatus(done, 200, 'POST /reset/password');
  if (!/Your password was reset/.test(done.body)) throw new Error('POST /reset/password: no confirmation');
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function run(job: LoadJob): Promise<LoadResult> {
  const client = new Client(job.target, job.concurrency);
  const op =
    job.kind === 'clientCredentials'
      ? clientCredentials
      : job.kind === 'refresh'
        ? refresh
        : job.kind === 'reset'
          ? reset
          : async (c: Client, j: LoadJob, slot: number) => {
              await signIn(c, j, slot);
            };
  try {
    // Warm-up: the same loop, results discarded (JIT, connection pool, caches).
    const phase = async (seconds: number, record: boolean, total = Number.POSITIVE_INFINITY) => {
      const latencies: number[] = [];
      let errors = 0;
      let firstError: string | undefined;
      let begun = 0;
      const startRequests = client.requests;
      const started = performance.now();
      const deadline = Number.isFinite(total) ? Number.POSITIVE_INFINITY : started + seconds * 1000;
      const loop = async (slot: number) => {
        while (performance.now() < deadline && begun < total) {
          begun++;
          const t0 = performance.now();
          try {
            await op(client, job, slot);
            if (record) latencies.push(performance.now() - t0);
            const done = latencies.length + errors;
            if (job.progressEvery && done % job.progressEvery === 0)
              parentPort?.postMessage({ progress: done });
          } catch (err) {
            errors++;
            firstError ??= (err as Error).message;
            // A failing target must not turn into a hot loop.
            if (errors > 50 && errors > latencies.length)
              throw new Error(`too many errors; first: ${firstError}`);
          }
        }
      };
      await Promise.all(Array.from({ length: job.concurrency }, (_, slot) => loop(slot)));
      const elapsed = (performance.now() - started) / 1000;
      return { latencies, errors, firstError, elapsed, requests: client.requests - startRequests };
    };
    let warmupCompleted = 0;
    if (job.warmupSeconds > 0) {
      const w = await phase(job.warmupSeconds, true);
      warmupCompleted = w.latencies.length;
    }
    parentPort?.postMessage({ measuring: true });
    const m = await phase(job.seconds, true, job.total);
    const sorted = m.latencies.sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      completed: sorted.length,
      errors: m.errors,
      ...(m.firstError ? { firstError: m.firstError } : {}),
      elapsedSeconds: round(m.elapsed),
      perSecond: round(sorted.length / m.elapsed),
      latencyMs: {
        p50: round(percentile(sorted, 50)),
        p95: round(percentile(sorted, 95)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted.at(-1) ?? 0),
      },
      requestsPerOp: sorted.length ? round(m.requests / (sorted.length + m.errors)) : 0,
      warmupCompleted,
    };
  } finally {
    client.close();
  }
}

if (parentPort) {
  const port = parentPort;
  run(workerData as LoadJob).then(
    (result) => port.postMessage({ ok: true, result }),
    (err: Error) => port.postMessage({ ok: false, error: err.message }),
  );
}

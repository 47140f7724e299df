import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { loadConfig } from '../../src/config.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import { Browser, formAction, hiddenInputs, type Resp } from '../helpers/browser.ts';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { REDIRECT_URI } from '../helpers/rp.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'src/main.ts');
const CLI = path.join(ROOT, 'bin/tobira.js');
const SECRET = crypto.randomBytes(32).toString('base64');
const PASSWORD = 'two workers, one database';

/**
 * A Browser whose every request opens a new TCP connection, so node:cluster (round-robin over
 * connections) spreads its requests over the workers instead of pinning them to one keep-alive socket.
 */
class FreshConnectionBrowser extends Browser {
  override request(
    method: string,
    url: string,
    opts: { body?: string | URLSearchParams; headers?: Record<string, string>; base?: string } = {},
  ): Promise<Resp> {
    const u = new URL(url, opts.base);
    const headers: Record<string, string> = { 'accept-language': 'en', ...opts.headers };
    const cookie = this.cookieHeader(u);
    if (cookie) headers.cookie = cookie;
    const body = opts.body instanceof URLSearchParams ? opts.body.toString() : opts.body;
    if (opts.body instanceof URLSearchParams) headers['content-type'] = 'application/x-www-form-urlencoded';
    return new Promise((resolve, reject) => {
      const req = http.request(u, { method, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            for (const x of Array.isArray(v) ? v : [v ?? '']) h.append(k, x);
          }
          this.store(u, { headers: h } as Response);
          const location = h.get('location') ?? undefined;
          resolve({
            status: res.statusCode ?? 0,
            url: u.toString(),
            headers: h,
            text,
            location: location ? new URL(location, u).toString() : undefined,
          });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
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

async function poll<T>(what: string, check: () => Promise<T | undefined>, limitMs = 90_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('WORKERS', () => {
  it('refuses several workers on the embedded database, and defaults to one there', () => {
    assert.throws(() => loadConfig({ WORKERS: '2' }), /WORKERS: the embedded database allows one process/);
    assert.equal(loadConfig({}).workers, 1);
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://x@h/db' }).workers, os.availableParallelism());
    assert.throws(
      () => loadConfig({ WORKERS: '0', DATABASE_URL: 'postgres://x@h/db' }),
      /WORKERS: expected a whole number/,
    );
  });
});

describe('WORKERS=2 on PostgreSQL', { skip: !usingPostgres && 'needs TEST_DATABASE_URL' }, () => {
  let tdb: TestDatabase;
  let primary: ChildProcess | undefined;
  after(async () => {
    if (primary && primary.exitCode === null) primary.kill('SIGKILL');
    await tdb?.drop();
  });

  it('both workers serve; a lockout and a key rotation are seen by both; /metrics covers both; SIGTERM stops all', async () => {
    tdb = await createTestDatabase();
    const cx = { db: tdb.db, box: new SecretBox(Buffer.from(SECRET, 'base64')), clock: systemClock };
    const run = async (argv: string[], stdin?: string) => {
      const r = await runCommand([...argv, '--json'], stdin, cx);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout || 'null');
    };
    await run(['user', 'add', 'wanda', '--password-stdin'], `${PASSWORD}\n`);
    await run(['policy', 'set', 'registrationRequired', 'false']);
    const web = await run(['client', 'add', 'wk', '--redirect-uri', REDIRECT_URI, '--first-party']);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      DATABASE_URL: tdb.url!,
      SECRET_KEY: SECRET,
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: `http://localhost:${port}`,
      LOG_LEVEL: 'info',
      WORKERS: '2',
    };
    primary = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    primary.stdout!.setEncoding('utf8').on('data', (d) => (out += d));
    primary.stderr!.setEncoding('utf8').on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => primary!.once('exit', (code) => r(code)));
    /** The worker that logged the request with this id (the access log line carries both). */
    const workerOf = (requestId: string | null): number | undefined => {
      for (const line of out.split('\n')) {
        if (!line.startsWith('{') || !requestId || !line.includes(requestId)) continue;
        const j = JSON.parse(line);
        if (j.msg === 'request' && j.requestId === requestId) return j.worker;
      }
      return undefined;
    };
    const browser = new FreshConnectionBrowser();
    const workersSeen = async (resps: Resp[]) => {
      const ids = resps.map((r) => r.headers.get('x-request-id'));
      return poll('access log lines', async () => {
        const ws = ids.map(workerOf);
        return ws.every((w) => w !== undefined) ? new Set(ws) : undefined;
      });
    };

    await poll('the cluster to be ready', async () => {
      if (primary!.exitCode !== null) throw new Error(out);
      // /readyz answers as soon as one worker listens; the primary says when both do.
      if (!out.includes('"msg":"all workers listening"')) return undefined;
      return (await browser.get(`${base}/readyz`)).status === 200 ? true : undefined;
    });

    // Both workers serve.
    const health: Resp[] = [];
    for (let i = 0; i < 6; i++) health.push(await browser.get(`${base}/healthz`));
    for (const r of health) assert.equal(r.status, 200);
    assert.deepEqual([...(await workersSeen(health))].sort(), [1, 2], 'requests are served by both workers');

    // One shared metrics view: every /healthz request is counted, whichever worker served it.
    const metrics = await browser.get(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    const served = metrics.text
      .split('\n')
      .filter((l) => l.startsWith('tobira_http_requests_total{') && l.includes('route="/healthz"'))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    assert.ok(served >= health.length, `aggregated count ${served} covers all ${health.length} requests`);

    // A lockout made through one worker holds on the other.
    const signInPage = async (b: Browser) => {
      const auth = new URL(`${base}/auth`);
      auth.search = new URLSearchParams({
        client_id: web.client_id,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'openid',
        code_challenge: crypto.createHash('sha256').update('v'.repeat(43)).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      const page = await b.follow(await b.get(auth.href), REDIRECT_URI);
      assert.equal(page.status, 200, page.text.slice(0, 200));
      return page;
    };
    let page = await signInPage(browser);
    for (let i = 0; i < 10; i++) {
      page = await browser.post(
        formAction(page.text),
        { ...hiddenInputs(page.text), username: 'wanda', password: 'wrong password!' },
        page.url,
      );
      if (page.status === 429) break;
    }
    assert.equal(page.status, 429, 'the login is locked');
    const locked: Resp[] = [];
    for (let i = 0; i < 6; i++) {
      const p = await signInPage(browser);
      // Workers take fresh connections in turn: an extra request every other time moves the post
      // to the other worker (each round is otherwise an even number of requests).
      if (i % 2) await browser.get(`${base}/healthz`);
      const r = await browser.postRaw(
        formAction(p.text),
        { ...hiddenInputs(p.text), username: 'wanda', password: PASSWORD },
        p.url,
      );
      // The post answers 303 (post/redirect/get); the page it leads to says why.
      assert.equal(r.status, 303);
      const shown = await browser.get(new URL(r.location!, p.url).href);
      assert.equal(shown.status, 429, 'the right password is refused while locked, on every worker');
      locked.push(r);
    }
    assert.deepEqual([...(await workersSeen(locked))].sort(), [1, 2], 'both workers refused it');

    // A key rotation (by the CLI, another process) is picked up by both workers.
    const rotated = await new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, [CLI, 'keys', 'rotate', '--json'], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let s = '';
      c.stdout.setEncoding('utf8').on('data', (d) => (s += d));
      c.once('error', reject);
      c.once('close', (code) => (code === 0 ? resolve(s) : reject(new Error(`keys rotate exited ${code}`))));
    });
    const kids: string[] = JSON.parse(rotated).kids;
    assert.ok(Array.isArray(kids) && kids.length > 0, rotated);
    const published = new Set<number>();
    await poll('both workers to publish the rotated keys', async () => {
      const r = await browser.get(`${base}/jwks`);
      const have = (JSON.parse(r.text).keys as Array<{ kid: string }>).map((k) => k.kid);
      if (kids.every((k) => have.includes(k))) {
        const w = (await workersSeen([r])).values().next().value;
        if (w !== undefined) published.add(w);
      }
      return published.size === 2 ? true : undefined;
    });

    primary.kill('SIGTERM');
    assert.equal(await exited, 0, 'the primary exits cleanly after its workers');
    assert.match(out, /"worker":1[^\n]*"msg":"shut down"/);
    assert.match(out, /"worker":2[^\n]*"msg":"shut down"/);
  });
});

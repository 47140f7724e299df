import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * OpenTelemetry tracing, on only with OTEL_EXPORTER_OTLP_ENDPOINT. A loopback collector receives the
 * OTLP/HTTP export as a real collector would. The test checks four things: the request span joins
 * the caller's traceparent, SQL statements are its children, a sampled-out caller exports nothing,
 * and no password or user ID reaches a span.
 */

interface OtlpAttr {
  key: string;
  value: { stringValue?: string; intValue?: number | string };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttr[];
}

function startCollector() {
  const bodies: unknown[] = [];
  const contentTypes: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.push(String(req.headers['content-type']));
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise<{
    url: string;
    spans: () => OtlpSpan[];
    resources: () => OtlpAttr[][];
    contentTypes: string[];
    close: () => Promise<void>;
  }>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      type Batch = {
        resourceSpans: Array<{
          resource: { attributes: OtlpAttr[] };
          scopeSpans: Array<{ spans: OtlpSpan[] }>;
        }>;
      };
      resolve({
        url: `http://127.0.0.1:${port}`,
        spans: () =>
          (bodies as Batch[]).flatMap((b) =>
            b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
          ),
        resources: () =>
          (bodies as Batch[]).flatMap((b) => b.resourceSpans.map((r) => r.resource.attributes)),
        contentTypes,
        close: () => new Promise((r) => server.close(() => r())),
      });
    }),
  );
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : undefined);
};

describe(`OpenTelemetry tracing (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    collector = await startCollector();
    srv = await startTestServer({
      db: tdb.db,
      clock,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'tobira-test' },
    });
    await setPolicy(srv, 'registrationRequired', false);
    await addUserViaCli(srv, 'tracy', password);
  });
  after(async () => {
    await srv?.stop();
    await collector?.close();
    await tdb?.drop();
  });

  it('a request joins the caller’s trace, and its SQL statements are child spans', async () => {
    const traceId = crypto.randomBytes(16).toString('hex');
    const parentId = crypto.randomBytes(8).toString('hex');
    const r = await fetch(`${srv.issuer}/readyz`, {
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    assert.equal(r.status, 200);
    await srv.app.tracing!.flush();

    const mine = collector.spans().filter((s) => s.traceId === traceId);
    const server = mine.find((s) => s.kind === 2);
    assert.ok(server, `a server span in the caller's trace: ${JSON.stringify(mine.map((s) => s.name))}`);
    assert.equal(server.parentSpanId, parentId, 'its parent is the caller’s span');
    assert.equal(server.name, 'GET /readyz');
    assert.equal(attr(server, 'http.response.status_code'), 200);
    assert.equal(attr(server, 'http.route'), '/readyz');
    const db = mine.filter((s) => s.kind === 3);
    assert.ok(db.length >= 1, 'the readiness query is traced');
    assert.ok(db.every((s) => s.parentSpanId === server.spanId));
    assert.ok(db.some((s) => /select 1/i.test(String(attr(s, 'db.query.text')))));
    assert.ok(
      collector
        .resources()
        .some((a) => a.some((x) => x.key === 'service.name' && x.value.stringValue === 'tobira-test')),
      'OTEL_SERVICE_NAME names the service',
    );
    assert.ok(collector.contentTypes.every((t) => t.startsWith('application/json')));
  });

  it('a caller that sampled its trace out gets no spans exported', async () => {
    const traceId = crypto.randomBytes(16).toString('hex');
    const r = await fetch(`${srv.issuer}/readyz`, {
      headers: { traceparent: `00-${traceId}-${crypto.randomBytes(8).toString('hex')}-00` },
    });
    assert.equal(r.status, 200);
    await srv.app.tracing!.flush();
    assert.equal(collector.spans().filter((s) => s.traceId === traceId).length, 0);
  });

  it('a sign-in is traced without its user ID or password in any span', async () => {
    const traceId = crypto.randomBytes(16).toString('hex');
    const br = new Browser();
    const page = await br.follow(await br.get('/my/security-info', srv.issuer));
    const posted = await br.request('POST', formAction(page.text), {
      base: page.url,
      body: new URLSearchParams({ ...hiddenInputs(page.text), username: 'tracy', password }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        traceparent: `00-${traceId}-${crypto.randomBytes(8).toString('hex')}-01`,
      },
    });
    assert.ok(posted.status < 500, `status ${posted.status}`);
    await srv.app.tracing!.flush();
    const mine = collector.spans().filter((s) => s.traceId === traceId);
    assert.ok(
      mine.some((s) => s.kind === 3 && /users/.test(String(attr(s, 'db.query.text')))),
      'the user lookup',
    );
    const text = JSON.stringify(mine);
    assert.doesNotMatch(text, /tracy/, 'no user ID');
    assert.doesNotMatch(text, /horse battery/, 'no password');
    assert.doesNotMatch(text, /\$argon2/, 'no hash');
  });

  it('is off without an endpoint, and a bad endpoint or ratio stops the start', () => {
    const base = { ISSUER: 'http://localhost:3000', SECRET_KEY: crypto.randomBytes(32).toString('base64') };
    assert.equal(loadConfig(base).tracing, undefined);
    assert.deepEqual(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing, {
      url: 'http://collector:4318/v1/traces',
      serviceName: 'tobira',
      sampleRatio: 1,
    });
    assert.throws(() => loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), ConfigError);
    assert.throws(
      () =>
        loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER_ARG: '2' }),
      ConfigError,
    );
  });
});

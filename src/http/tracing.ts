import { AsyncLocalStorage } from 'node:async_hooks';
import type { Span, Tracer } from '@opentelemetry/api';
import type { Config } from '../config.ts';
import type { Db } from '../db/knex.ts';
import type { Logger } from '../logger.ts';

/*
 * Optional OpenTelemetry tracing. It is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. When it is on,
 * every request is a server span that joins the caller's W3C `traceparent`, and every SQL statement
 * the request sends is a child span. The statement text is Knex's parameterised SQL, never the bound
 * values, so spans carry no codes, hashes or personal data. Spans go in batches to an OTLP/HTTP
 * collector. The SDK is imported only when tracing is on, so a server without it loads nothing
 * extra.
 */

/** One request's span: its trace id (for the log line) and how to run the rest of the request in it. */
export interface RequestSpan {
  readonly traceId: string;
  run<T>(fn: () => Promise<T>): Promise<T>;
  end(route: string, status: number): void;
}

export interface Tracing {
  startRequest(method: string, path: string, traceparent: string | undefined): RequestSpan;
  /** Sends what is buffered now (tests and shutdown). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

interface KnexQuery {
  __knexQueryUid?: string;
  sql?: string;
  method?: string;
}

const MAX_OPEN_QUERIES = 10_000;

export async function startTracing(config: Config, db: Db, logger: Logger): Promise<Tracing | undefined> {
  const settings = config.tracing;
  if (!settings) return undefined;
  const [api, core, sdk, resources, otlp] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': settings.serviceName }),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: [
      new sdk.BatchSpanProcessor({ exporter: new otlp.OTLPTraceExporter({ url: settings.url }) }),
    ],
  });
  const tracer: Tracer = provider.getTracer('tobira');
  const propagator = new core.W3CTraceContextPropagator();
  // The request's span, carried through its promises without a global context manager, so several
  // apps in one process (tests, WORKERS) never see each other's spans.
  const current = new AsyncLocalStorage<Span>();
  const open = new Map<string, Span>();

  const onQuery = (q: KnexQuery) => {
    const parent = current.getStore();
    const uid = q.__knexQueryUid;
    if (!parent || !uid || !parent.isRecording() || open.size >= MAX_OPEN_QUERIES) return;
    const verb = (q.method ?? q.sql?.trim().split(/\s+/, 1)[0] ?? 'query').toUpperCase();
    const span = tracer.startSpan(
      `db ${verb}`,
      {
        kind: api.SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'postgresql',
          'db.operation.name': verb,
          'db.query.text': (q.sql ?? '').slice(0, 2048),
        },
      },
      api.trace.setSpan(api.ROOT_CONTEXT, parent),
    );
    open.set(uid, span);
  };
  const onResponse = (_res: unknown, q: KnexQuery) => {
    const span = q.__knexQueryUid ? open.get(q.__knexQueryUid) : undefined;
    if (!span || !q.__knexQueryUid) return;
    open.delete(q.__knexQueryUid);
    span.end();
  };
  const onError = (err: unknown, q: KnexQuery) => {
    const span = q.__knexQueryUid ? open.get(q.__knexQueryUid) : undefined;
    if (!span || !q.__knexQueryUid) return;
    open.delete(q.__knexQueryUid);
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: (err as Error)?.message?.slice(0, 200) });
    span.end();
  };
  db.on('query', onQuery);
  db.on('query-response', onResponse);
  db.on('query-error', onError);
  logger.info({ url: settings.url, service: settings.serviceName }, 'OpenTelemetry tracing on');

  return {
    startRequest(method, path, traceparent) {
      const parentCtx = traceparent
        ? propagator.extract(api.ROOT_CONTEXT, { traceparent }, api.defaultTextMapGetter)
        : api.ROOT_CONTEXT;
      const span = tracer.startSpan(
        method,
        { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } },
        parentCtx,
      );
      return {
        traceId: span.spanContext().traceId,
        run: (fn) => current.run(span, fn),
        end(route, status) {
          span.updateName(`${method} ${route}`);
          span.setAttribute('http.route', route);
          span.setAttribute('http.response.status_code', status);
          if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
    flush: () => provider.forceFlush(),
    async shutdown() {
      db.off('query', onQuery);
      db.off('query-response', onResponse);
      db.off('query-error', onError);
      for (const span of open.values()) span.end();
      open.clear();
      await provider.shutdown().catch((err: unknown) => logger.warn({ err }, 'tracing shutdown'));
    },
  };
}

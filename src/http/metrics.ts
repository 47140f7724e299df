import client from 'prom-client';

/** One registry per app instance (tests run several apps in one process). */
export function createMetrics(
  sources: { noticeQueueDepth?: () => Promise<{ pending: number; failed: number }> } = {},
) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const { noticeQueueDepth } = sources;
  return {
    registry,
    noticeQueue: new client.Gauge({
      name: 'tobira_notice_queue',
      help: 'Notices in the queue by status: pending (waiting or retrying) and failed (given up, kept 30 days)',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        if (!noticeQueueDepth) return;
        const depth = await noticeQueueDepth();
        this.set({ status: 'pending' }, depth.pending);
        this.set({ status: 'failed' }, depth.failed);
      },
    }),
    httpRequests: new client.Counter({
      name: 'tobira_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: 'tobira_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    signIns: new client.Counter({
      name: 'tobira_sign_ins_total',
      help: 'Sign-in attempts by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    tokens: new client.Counter({
      name: 'tobira_tokens_issued_total',
      help: 'Token endpoint grants issued by grant type',
      labelNames: ['grant'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

import client from 'prom-client';

/** One registry per app instance (tests run several apps in one process). */
export function createMetrics(
  sources: { noticeQueueDepth?: () => Promise<{ pending: number; failed: number }> } = {},
) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const { noticeQueueDepth } = sources;
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new client.Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    noticeQueue: new client.Gauge({
      name: 'tobira_notice_queue',
      help: 'Notices in the queue by status: pending (waiting or retrying) and failed (given up, kept 30 days)',
      labelNames: ['status'],
      // Every worker reads the same table: the cluster view takes one reading, not the sum.
      aggregator: 'max',
      registers: [registry],
      async collect() {
        if (!noticeQueueDepth) return;
        const depth = await noticeQueueDepth();
        this.set({ status: 'pending' }, depth.pending);
        this.set({ status: 'failed' }, depth.failed);
      },
    }),
    httpRequests: counter('tobira_http_requests_total', 'HTTP requests by route and status', [
      'route',
      'method',
      'status',
    ]),
    httpDuration: new client.Histogram({
      name: 'tobira_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    signIns: counter('tobira_sign_ins_total', 'Sign-in attempts by result', ['result']),
    tokens: counter('tobira_tokens_issued_total', 'Token endpoint grants issued by grant type', ['grant']),
    resets: counter(
      'tobira_resets_total',
      'Password reset attempts by outcome (succeeded, failed, blocked, cancelled, abandoned, contacted_admin)',
      ['outcome'],
    ),
    lockouts: counter(
      'tobira_lockouts_total',
      'Locks applied: sign_in (failed passwords) and reset (too many reset attempts)',
      ['kind'],
    ),
    auditEvents: counter('tobira_audit_events_total', 'Audit events recorded by activity and result', [
      'activity',
      'result',
    ]),
    messages: counter(
      'tobira_messages_sent_total',
      'Messages handed to a channel (kind: code or notice; result: sent or the delivery error)',
      ['channel', 'kind', 'result'],
    ),
    backgroundRuns: counter(
      'tobira_background_job_runs_total',
      'Background job rounds by result (ran; skipped: another process held the lock; failed)',
      ['job', 'result'],
    ),
    shuttingDown: new client.Gauge({
      name: 'tobira_shutting_down',
      help: '1 while this process drains connections before it exits',
      aggregator: 'max',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Gauges read at scrape time. Each source is asked only when /metrics is scraped; a failing source
 * leaves its gauge out of that scrape rather than failing the scrape.
 */
export interface GaugeSources {
  /** 1 when /readyz would answer 200. */
  ready(): Promise<boolean>;
  /** Knex pool: connections in use, idle, waited for, and the maximum. */
  pool(): { used: number; free: number; pending: number; max: number };
  /** 1 while texts and calls are paused by the hourly budget. */
  phonePaused(): Promise<boolean>;
}

export function registerGauges(metrics: Metrics, sources: GaugeSources): void {
  const { registry } = metrics;
  new client.Gauge({
    name: 'tobira_ready',
    help: '1 when the database is reachable and no migration is pending (as /readyz)',
    aggregator: 'min',
    registers: [registry],
    async collect() {
      this.set((await sources.ready().catch(() => false)) ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'tobira_db_pool_connections',
    help: 'Database pool connections by state (used, free, pending acquires, max)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const p = sources.pool();
      for (const state of ['used', 'free', 'pending', 'max'] as const) this.set({ state }, p[state]);
    },
  });
  new client.Gauge({
    name: 'tobira_phone_sends_paused',
    help: '1 while texts and calls are paused because the hourly phone budget is used up',
    aggregator: 'max',
    registers: [registry],
    async collect() {
      this.set((await sources.phonePaused().catch(() => false)) ? 1 : 0);
    },
  });
}

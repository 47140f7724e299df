import crypto from 'node:crypto';
import { type Delivery, DeliveryError, type Message } from '../delivery/types.ts';
import type { AuditEvent } from '../store/audit.ts';
import type { Metrics } from './metrics.ts';

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The trace id of a W3C `traceparent` header (version-traceid-parentid-flags), so log lines join the
 * caller's trace; a fresh random one when the header is absent or malformed (all-zero ids are invalid).
 */
export function traceIdOf(traceparent: string | undefined): string {
  if (traceparent) {
    const m = TRACEPARENT.exec(traceparent.trim().toLowerCase());
    if (m && !/^0+$/.test(m[1])) return m[1];
  }
  return randomTraceId();
}

/**
 * 16 random bytes in hex, cut from a pool filled 4 KiB at a time: a request that brings no trace
 * id gets one, and a randomBytes call per request was a measurable share of a token request.
 */
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomTraceId(): string {
  if (poolOffset + 16 > pool.length) {
    pool = crypto.randomBytes(4096);
    poolOffset = 0;
  }
  poolOffset += 16;
  return pool.toString('hex', poolOffset - 16, poolOffset);
}

/** Counts every message handed to a channel, by channel, kind (code or notice) and result. */
export function instrumentDelivery(inner: Delivery, metrics: Metrics): Delivery {
  return {
    isLive: (channel) => inner.isLive(channel),
    async send(msg: Message) {
      const labels = { channel: msg.channel, kind: msg.code || /code/.test(msg.purpose) ? 'code' : 'notice' };
      try {
        await inner.send(msg);
        metrics.messages.inc({ ...labels, result: 'sent' });
      } catch (err) {
        const result = err instanceof DeliveryError ? err.code.replace('delivery.', '') : 'failed';
        metrics.messages.inc({ ...labels, result });
        throw err;
      }
    },
  };
}

/** Turns audit events into the reset, lockout and audit counters. */
export function metricsFromAudit(metrics: Metrics) {
  return (e: AuditEvent) => {
    metrics.auditEvents.inc({ activity: e.activity, result: e.result });
    if (e.activity === 'reset.attempt') {
      metrics.resets.inc({ outcome: e.result });
      if (e.result === 'blocked') metrics.lockouts.inc({ kind: 'reset' });
    }
    if (e.activity === 'signin.lockout') metrics.lockouts.inc({ kind: 'sign_in' });
    if (e.activity === 'signin.second_factor_lockout') metrics.lockouts.inc({ kind: 'second_factor' });
  };
}

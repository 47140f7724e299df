import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelRouter, DeliveryError, type Sender } from '../../src/delivery/types.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { instrumentDelivery, metricsFromAudit, traceIdOf } from '../../src/http/observe.ts';

const value = async (m: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>) => {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
};

describe('observability helpers', () => {
  it('takes the trace id of a W3C traceparent, and makes one for a missing or malformed header', () => {
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    assert.equal(traceIdOf(`00-${id}-00f067aa0ba902b7-01`), id);
    assert.equal(traceIdOf(` 00-${id.toUpperCase()}-00f067aa0ba902b7-01 `), id);
    for (const bad of [
      undefined,
      '',
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${id}-short-01`,
      `00-${id}zz-00f067aa0ba902b7-01`,
    ]) {
      const made = traceIdOf(bad);
      assert.match(made, /^[0-9a-f]{32}$/);
      assert.notEqual(made, id);
    }
    assert.notEqual(traceIdOf(undefined), traceIdOf(undefined), 'fresh ids differ');
  });

  it('counts resets by outcome and lockouts from audit events', async () => {
    const m = createMetrics();
    const see = metricsFromAudit(m);
    const at = new Date();
    see({ at, activity: 'reset.attempt', result: 'succeeded' });
    see({ at, activity: 'reset.attempt', result: 'failed' });
    see({ at, activity: 'reset.attempt', result: 'blocked' });
    see({ at, activity: 'signin.lockout', result: 'blocked' });
    see({ at, activity: 'signin.password', result: 'failed' });
    assert.equal(await value(m, 'tobira_resets_total', { outcome: 'succeeded' }), 1);
    assert.equal(await value(m, 'tobira_resets_total', { outcome: 'failed' }), 1);
    assert.equal(await value(m, 'tobira_lockouts_total', { kind: 'sign_in' }), 1);
    assert.equal(await value(m, 'tobira_lockouts_total', { kind: 'reset' }), 1);
    assert.equal(
      await value(m, 'tobira_audit_events_total', { activity: 'signin.password', result: 'failed' }),
      1,
    );
  });

  it('counts messages by channel, kind and result, and passes failures on', async () => {
    const m = createMetrics();
    const sent: string[] = [];
    const ok: Sender = { channel: 'email', send: async (msg) => void sent.push(msg.to) };
    const refusing: Sender = {
      channel: 'sms',
      send: async () => {
        throw new DeliveryError('delivery.rejected', 'no', { channel: 'sms' });
      },
    };
    const d = instrumentDelivery(new ChannelRouter({ senders: [ok, refusing], fallback: () => ok }), m);
    await d.send({
      channel: 'email',
      to: 'a@example.com',
      locale: 'en',
      subject: 's',
      text: 'your code 123456',
      code: '123456',
      purpose: 'reset.code',
    });
    await d.send({
      channel: 'email',
      to: 'a@example.com',
      locale: 'en',
      subject: 's',
      text: 'changed',
      purpose: 'notice.password_changed',
    });
    await assert.rejects(
      d.send({
        channel: 'sms',
        to: '+81312345678',
        locale: 'en',
        text: 'code 1',
        code: '1',
        purpose: 'signin.code',
      }),
      DeliveryError,
    );
    assert.equal(sent.length, 2);
    assert.equal(
      await value(m, 'tobira_messages_sent_total', { channel: 'email', kind: 'code', result: 'sent' }),
      1,
    );
    assert.equal(
      await value(m, 'tobira_messages_sent_total', { channel: 'email', kind: 'notice', result: 'sent' }),
      1,
    );
    assert.equal(
      await value(m, 'tobira_messages_sent_total', { channel: 'sms', kind: 'code', result: 'rejected' }),
      1,
    );
  });
});

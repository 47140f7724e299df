import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/knex.ts';
import type { Logger } from '../logger.ts';
import { OutboxSender } from './outbox.ts';
import { type Channel, ChannelRouter, type Delivery, type Sender } from './types.ts';

export { OutboxSender } from './outbox.ts';
export * from './types.ts';

export interface DeliveryDeps {
  db: Db;
  logger: Logger;
  config: Config;
  clock?: Clock;
  /** Per-send limit; DEFAULT_SEND_TIMEOUT_MS when unset. */
  timeoutMs?: number;
}

/**
 * Builds the delivery facade from the configuration. A channel without a real sender goes to the
 * outbox, so a fresh machine works with no SMTP server or Twilio account.
 */
export function createDelivery({
  db,
  logger,
  config,
  clock = systemClock,
  timeoutMs,
}: DeliveryDeps): Delivery {
  const senders: Sender[] = [];

  // Extension point, email: when config.smtpUrl is set, push an SMTP sender built on nodemailer
  // (from: config.mailFrom; channel 'email'), e.g. senders.push(new SmtpSender(config)).
  // Extension point, sms and voice: when config.twilio is set, push the Twilio senders
  // (Programmable Messaging for 'sms', a call reading TwiML for 'voice').

  const live = new Set(senders.map((s) => s.channel));
  const outboxed: Channel[] = (['email', 'sms', 'voice'] as const).filter((c) => !live.has(c));
  if (outboxed.length) {
    // Outside development nobody reads the outbox: say so loudly once, at start.
    const level = config.production ? 'warn' : 'info';
    logger[level](
      { channels: outboxed },
      'no sender configured: these channels are kept in the outbox, not sent',
    );
  }
  if (config.smtpUrl && !live.has('email'))
    logger.warn('SMTP_URL is set but SMTP delivery is not available yet');
  if (config.twilio && !live.has('sms'))
    logger.warn('Twilio is configured but Twilio delivery is not available yet');

  return new ChannelRouter({
    senders,
    fallback: (channel) => new OutboxSender(channel, { db, logger, clock }),
    timeoutMs,
  });
}

import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/knex.ts';
import type { Logger } from '../logger.ts';
import { OutboxSender } from './outbox.ts';
import { SmtpSender } from './smtp.ts';
import { type TwilioHttpClient, TwilioSmsSender, TwilioVoiceSender } from './twilio.ts';
import { type Channel, ChannelRouter, type Delivery, type Sender } from './types.ts';

export { OutboxSender } from './outbox.ts';
export { isSafeEmailRecipient, SmtpSender, type SmtpSenderOptions } from './smtp.ts';
export {
  type TwilioHttpClient,
  type TwilioSenderOptions,
  TwilioSmsSender,
  TwilioVoiceSender,
  voiceTwiml,
} from './twilio.ts';
export * from './types.ts';

export interface DeliveryDeps {
  db: Db;
  logger: Logger;
  config: Config;
  clock?: Clock;
  /** Per-send limit; DEFAULT_SEND_TIMEOUT_MS when unset. */
  timeoutMs?: number;
  /** The HTTP client the Twilio SDK uses instead of its own (tests point it at a loopback server). */
  twilioHttpClient?: TwilioHttpClient;
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
  twilioHttpClient,
}: DeliveryDeps): Delivery {
  const senders: Sender[] = [];

  if (config.smtpUrl) {
    senders.push(new SmtpSender({ url: config.smtpUrl, from: config.mailFrom, logger }));
  }
  if (config.twilio) {
    const twilio = { ...config.twilio, httpClient: twilioHttpClient, logger };
    senders.push(new TwilioSmsSender(twilio));
    if (config.twilio.from.startsWith('+')) senders.push(new TwilioVoiceSender(twilio));
    else
      logger.warn(
        'TWILIO_FROM is a messaging service: phone calls need a number to call from, so calls are kept in the outbox',
      );
  }

  const live = new Set(senders.map((s) => s.channel));
  const outboxed: Channel[] = (['email', 'sms', 'voice'] as const).filter((c) => !live.has(c));
  if (outboxed.length) {
    // Outside development nobody reads the outbox: say so loudly once, at start. Production does not
    // offer the methods of these channels at all (app.ts); notices on them stay in the outbox.
    if (config.production)
      logger.warn(
        { channels: outboxed },
        'channels off (no sender configured): their verification methods are not offered',
      );
    else
      logger.info(
        { channels: outboxed },
        'no sender configured: these channels are kept in the outbox, not sent',
      );
  }

  return new ChannelRouter({
    senders,
    fallback: (channel) => new OutboxSender(channel, { db, logger, clock }),
    timeoutMs,
  });
}

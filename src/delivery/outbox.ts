import type { Clock } from '../clock.ts';
import type { Db } from '../db/knex.ts';
import type { Logger } from '../logger.ts';
import { insertOutbox } from '../store/outbox.ts';
import { type Channel, DeliveryError, type Message, maskRecipient, type Sender } from './types.ts';

/**
 * The development sender: keeps the message in the `outbox` table, where /dev/outbox and tests read
 * it. The log line names the channel, the purpose and a masked recipient only, because the body may
 * hold a one-time code.
 */
export class OutboxSender implements Sender {
  readonly channel: Channel;
  readonly #db: Db;
  readonly #logger: Logger;
  readonly #clock: Clock;

  constructor(channel: Channel, deps: { db: Db; logger: Logger; clock: Clock }) {
    this.channel = channel;
    this.#db = deps.db;
    this.#logger = deps.logger;
    this.#clock = deps.clock;
  }

  async send(msg: Message): Promise<void> {
    if (msg.channel !== this.channel) {
      throw new DeliveryError(
        'delivery.rejected',
        `outbox for ${this.channel} got a ${msg.channel} message`,
        {
          channel: this.channel,
        },
      );
    }
    let id: number;
    try {
      id = await insertOutbox(
        this.#db,
        {
          channel: msg.channel,
          recipient: msg.to,
          locale: msg.locale,
          subject: msg.subject ?? null,
          // A call reads its code aloud after the lead-in; the outbox shows both, as the person would hear.
          bodyText: msg.code ? `${msg.text} ${msg.code.split('').join(' ')}` : msg.text,
          bodyHtml: msg.html ?? null,
          purpose: msg.purpose,
        },
        this.#clock.now(),
      );
    } catch (err) {
      throw new DeliveryError('delivery.failed', 'could not store the message in the outbox', {
        channel: this.channel,
        cause: err,
      });
    }
    this.#logger.info(
      {
        outboxId: id,
        channel: msg.channel,
        purpose: msg.purpose,
        to: maskRecipient(msg.channel, msg.to),
        locale: msg.locale,
      },
      'message kept in the outbox',
    );
  }
}

import type { Locale } from '../config.ts';

export type Channel = 'email' | 'sms' | 'voice';
export const CHANNELS: readonly Channel[] = ['email', 'sms', 'voice'];

/** One message on one channel, already rendered in the recipient's language. */
export interface Message {
  channel: Channel;
  /** An email address, or an E.164 phone number for sms and voice. */
  to: string;
  locale: Locale;
  /** Email only. */
  subject?: string;
  /** The email's plain-text part, the SMS text, or the script a voice call reads out. */
  text: string;
  /** Email only. */
  html?: string;
  /**
   * The one-time code, digits only, when the message carries one. A voice call needs it: `text` is
   * then only the spoken lead-in ("Your Tobira verification code is") and the call reads the code
   * digit by digit, twice. Other channels carry the code inside `text`. Never logged.
   */
  code?: string;
  /** What the message is for, e.g. 'notice.security_info_added' or 'reset.code': logged and stored, never the body. */
  purpose: string;
}

/**
 * - `delivery.failed`: the provider or the network failed; trying again later may work.
 * - `delivery.timeout`: no answer in time; the message may or may not have gone out.
 * - `delivery.rejected`: the recipient or the message is not acceptable (bad address, a number the
 *   provider refuses); trying again will not help.
 */
export type DeliveryErrorCode = 'delivery.failed' | 'delivery.timeout' | 'delivery.rejected';

/** The one error a sender rejects with. Its message never holds the body (it may carry a code). */
export class DeliveryError extends Error {
  readonly code: DeliveryErrorCode;
  readonly channel: Channel | undefined;
  constructor(code: DeliveryErrorCode, message: string, opts: { channel?: Channel; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DeliveryError';
    this.code = code;
    this.channel = opts.channel;
  }

  get retryable(): boolean {
    return this.code !== 'delivery.rejected';
  }
}

/** Sends on one channel: the outbox now; SMTP (nodemailer) for email and Twilio for sms and voice later. */
export interface Sender {
  readonly channel: Channel;
  /** Resolves once the provider accepted the message; rejects with a DeliveryError. */
  send(msg: Message): Promise<void>;
}

/** What flows and methods use to send anything. */
export interface Delivery {
  /** Routes the message to its channel's sender; rejects with a DeliveryError. */
  send(msg: Message): Promise<void>;
  /** Whether messages on this channel really leave the system (false: they are kept in the outbox). */
  isLive(channel: Channel): boolean;
}

export const DEFAULT_SEND_TIMEOUT_MS = 20_000;

/**
 * Routes each message to the sender configured for its channel, and to the fallback (the outbox)
 * when none is. Every send is bounded in time and every failure comes out as a DeliveryError, so
 * callers handle one error type whatever the provider.
 */
export class ChannelRouter implements Delivery {
  readonly #senders = new Map<Channel, Sender>();
  readonly #fallback = new Map<Channel, Sender>();
  readonly #timeoutMs: number;

  constructor(opts: {
    senders: readonly Sender[];
    fallback: (channel: Channel) => Sender;
    timeoutMs?: number;
  }) {
    for (const s of opts.senders) this.#senders.set(s.channel, s);
    for (const c of CHANNELS) if (!this.#senders.has(c)) this.#fallback.set(c, opts.fallback(c));
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  }

  isLive(channel: Channel): boolean {
    return this.#senders.has(channel);
  }

  async send(msg: Message): Promise<void> {
    const sender = this.#senders.get(msg.channel) ?? this.#fallback.get(msg.channel);
    if (!sender) throw new DeliveryError('delivery.rejected', `unknown channel ${String(msg.channel)}`);
    checkMessage(msg);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DeliveryError('delivery.timeout', `${msg.channel} sender timed out`, {
              channel: msg.channel,
            }),
          ),
        this.#timeoutMs,
      );
      timer.unref?.();
    });
    try {
      await Promise.race([sender.send(msg), timeout]);
    } catch (err) {
      if (err instanceof DeliveryError) throw err;
      throw new DeliveryError('delivery.failed', `${msg.channel} sender failed`, {
        channel: msg.channel,
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Refuses what no sender should ever be handed: an empty recipient, header injection, an empty body. */
function checkMessage(msg: Message): void {
  const bad = (why: string) => new DeliveryError('delivery.rejected', why, { channel: msg.channel });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (!msg.to || msg.to.length > 320 || /[\u0000-\u001f\u007f\s]/.test(msg.to))
    throw bad('invalid recipient');
  if (msg.subject !== undefined && /[\r\n]/.test(msg.subject)) throw bad('subject spans lines');
  if (!msg.text) throw bad('empty message');
}

/**
 * A recipient as logs may show it: enough to tell messages apart, not enough to learn the address.
 * a***@example.com, +81******34.
 */
export function maskRecipient(channel: Channel, to: string): string {
  if (channel === 'email') {
    const at = to.lastIndexOf('@');
    if (at < 1) return '***';
    const local = to.slice(0, at);
    return `${local.length > 1 ? local[0] : ''}***${to.slice(at)}`;
  }
  const digits = to.replace(/\D/g, '');
  if (digits.length < 7) return '***';
  return `+${digits.slice(0, 2)}${'*'.repeat(digits.length - 4)}${digits.slice(-2)}`;
}

import nodemailer, { type SMTPSentMessageInfo, type Transporter } from 'nodemailer';
import type { Logger } from '../logger.ts';
import {
  type Channel,
  DEFAULT_SEND_TIMEOUT_MS,
  DeliveryError,
  type Message,
  maskRecipient,
  type Sender,
} from './types.ts';

export interface SmtpSenderOptions {
  /** smtp[s]://user:pass@host:port (config.smtpUrl); nodemailer reads it, query options included. */
  url: string;
  /** The From header (config.mailFrom), e.g. `Tobira <no-reply@example.com>`. */
  from: string;
  /** Limit for each wait: connecting, the greeting, and any silence on the socket. Default 10 s. */
  timeoutMs?: number;
  /** Limit for the whole send, so a server that answers slowly forever is still cut off. */
  sendTimeoutMs?: number;
  logger?: Logger;
}

const PHASE_TIMEOUT_MS = 10_000;

// The characters RFC 5322 allows in an unquoted local part. Quoted local parts, comments and
// display names are refused: a recipient here is one bare address, nothing a header parser could
// read as two.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// Letters of any script are allowed in the domain: nodemailer sends it as punycode.
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

/**
 * Whether `to` is exactly one plain address we can hand to an SMTP server without it being read
 * as anything else: at most 254 characters, one '@', no whitespace, control characters, commas,
 * angle brackets or quotes, a dot-atom local part of at most 64 characters, a domain of labels.
 */
export function isSafeEmailRecipient(to: string): boolean {
  if (typeof to !== 'string' || to.length < 3 || to.length > 254) return false;
  const at = to.indexOf('@');
  if (at < 1 || at !== to.lastIndexOf('@')) return false;
  const local = to.slice(0, at);
  const domain = to.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return false;
  if (!domain || domain.length > 253) return false;
  return domain.split('.').every((label) => DOMAIN_LABEL.test(label));
}

/**
 * Sends email over SMTP with nodemailer: one connection per message (notices and codes are rare,
 * and nothing is left open between them), a text and an HTML part, the reader's language in
 * Content-Language. The recipient and the subject are checked before anything goes on the wire.
 */
export class SmtpSender implements Sender {
  readonly channel: Channel = 'email';
  readonly #transport: Transporter<SMTPSentMessageInfo>;
  readonly #from: string;
  readonly #sendTimeoutMs: number;
  readonly #logger: Logger | undefined;

  constructor(opts: SmtpSenderOptions) {
    const phase = opts.timeoutMs ?? PHASE_TIMEOUT_MS;
    this.#from = opts.from;
    this.#sendTimeoutMs = opts.sendTimeoutMs ?? Math.max(DEFAULT_SEND_TIMEOUT_MS, phase);
    this.#logger = opts.logger;
    this.#transport = nodemailer.createTransport({
      url: opts.url,
      connectionTimeout: phase,
      greetingTimeout: phase,
      socketTimeout: phase,
      dnsTimeout: phase,
      socketCloseTimeout: Math.min(phase, 5_000),
      // Messages come from our templates: they never attach files or fetch URLs.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(msg: Message): Promise<void> {
    const refuse = (why: string) => new DeliveryError('delivery.rejected', why, { channel: 'email' });
    if (msg.channel !== 'email') throw refuse(`the email sender got a ${msg.channel} message`);
    if (!isSafeEmailRecipient(msg.to)) throw refuse('invalid email recipient');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (msg.subject !== undefined && /[\u0000-\u001f\u007f]/.test(msg.subject))
      throw refuse('the subject holds a line break or a control character');
    if (!msg.text) throw refuse('empty message');

    const headers: Record<string, string> = {};
    if (/^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(msg.locale)) headers['Content-Language'] = msg.locale;
    try {
      const info = await this.#transport.sendMail({
        from: this.#from,
        // An address object, not a string: nodemailer then takes it as one address, unparsed.
        to: { name: '', address: msg.to },
        subject: msg.subject ?? '',
        text: msg.text,
        ...(msg.html ? { html: msg.html } : {}),
        headers,
        signal: AbortSignal.timeout(this.#sendTimeoutMs),
      });
      this.#logger?.info(
        {
          channel: 'email',
          purpose: msg.purpose,
          to: maskRecipient('email', msg.to),
          messageId: info.messageId,
        },
        'email handed to the SMTP server',
      );
    } catch (err) {
      const failure = smtpFailure(err);
      this.#logger?.warn(
        {
          channel: 'email',
          purpose: msg.purpose,
          to: maskRecipient('email', msg.to),
          failure: failure.code,
          smtpError: describeSmtpError(err),
        },
        'email not sent',
      );
      throw failure;
    }
  }

  /** Releases the transport at shutdown; a send in flight ends with a DeliveryError. */
  close(): void {
    this.#transport.close();
  }
}

interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
  permanent?: unknown;
  name?: unknown;
}

/**
 * What may be said of an SMTP failure in a log or an error message: nodemailer's error code, the
 * reply code and the command in flight. Never the server's reply text or the error message, which
 * can repeat the recipient or, for some servers, part of the message.
 */
function describeSmtpError(err: unknown): string {
  const e = (err ?? {}) as SmtpErrorFields;
  const parts = [typeof e.code === 'string' ? e.code : 'error'];
  if (typeof e.responseCode === 'number') parts.push(String(e.responseCode));
  if (typeof e.command === 'string' && /^[A-Z][A-Z ]{0,20}$/.test(e.command)) parts.push(e.command);
  return parts.join(' ');
}

function smtpFailure(err: unknown): DeliveryError {
  const e = (err ?? {}) as SmtpErrorFields;
  const what = describeSmtpError(err);
  if (e.code === 'ETIMEDOUT' || e.code === 'EABORT' || e.name === 'TimeoutError')
    return new DeliveryError('delivery.timeout', `the SMTP server did not answer in time (${what})`, {
      channel: 'email',
    });
  // A permanent refusal of the recipient or of the message: sending it again will not help.
  if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.permanent === true)
    return new DeliveryError('delivery.rejected', `the SMTP server refused the message (${what})`, {
      channel: 'email',
    });
  return new DeliveryError('delivery.failed', `the SMTP server could not take the message (${what})`, {
    channel: 'email',
  });
}

import type twilio from 'twilio';
import type { Locale } from '../config.ts';
import { translator } from '../i18n/index.ts';
import type { Logger } from '../logger.ts';
import { type Channel, DeliveryError, type Message, maskRecipient, type Sender } from './types.ts';

/**
 * What the Twilio SDK asks of its HTTP client: the one method it calls. The SDK builds the request
 * (URL, form fields, headers, credentials as username/password) and hands it over; the client
 * performs it and answers with `{ statusCode, body, headers }`. Tests pass one that reaches a
 * loopback server; production leaves it unset and the SDK uses its own RequestClient.
 */
export type TwilioHttpClient = Pick<twilio.RequestClient, 'request'>;

export interface TwilioSenderOptions {
  accountSid: string;
  authToken: string;
  /** The sender: an E.164 number, or for text messages a Messaging Service SID (MG...). */
  from: string;
  /** Limit for one API request. Default 10 s. */
  timeoutMs?: number;
  httpClient?: TwilioHttpClient;
  logger?: Logger;
}

const REQUEST_TIMEOUT_MS = 10_000;
const E164 = /^\+[1-9]\d{6,14}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
/** Twilio's limit for a message body, in characters. */
const MAX_SMS_LENGTH = 1600;
/** Twilio's limit for inline TwiML on a call. */
const MAX_TWIML_LENGTH = 4000;
const VOICE_CODE = /^\d{4,10}$/;

/**
 * Twilio error codes that say the recipient or the message will not be accepted however often we
 * try: a number that is invalid, unreachable, not a mobile, in a country the account may not reach,
 * unverified on a trial account, or that has opted out (STOP); a body that is too long.
 */
const REJECTED = new Set([
  21211, 21214, 21215, 21216, 21217, 21219, 21401, 21407, 21408, 21421, 21608, 21610, 21612, 21614, 21617,
  21635,
]);

/**
 * The SDK is large and most installations run without it configured, so it is loaded on first use,
 * once per process.
 */
let sdk: Promise<typeof twilio> | undefined;
function loadSdk(): Promise<typeof twilio> {
  sdk ??= import('twilio').then((m) => m.default);
  return sdk;
}

/** Shared by the text and call senders: the SDK client, the time limit and the error mapping. */
class TwilioApi {
  readonly #opts: TwilioSenderOptions;
  readonly #timeoutMs: number;
  #client: Promise<twilio.Twilio> | undefined;

  constructor(opts: TwilioSenderOptions) {
    this.#opts = opts;
    this.#timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  #clientOnce(): Promise<twilio.Twilio> {
    this.#client ??= loadSdk().then((make) =>
      make(this.#opts.accountSid, this.#opts.authToken, {
        // Only the request method is ever called on it (see TwilioHttpClient).
        httpClient: this.#opts.httpClient as twilio.RequestClient | undefined,
        timeout: this.#timeoutMs,
        autoRetry: false,
      }),
    );
    return this.#client;
  }

  /**
   * Runs one API call within the time limit. Whatever happens, the caller gets a DeliveryError
   * that names the HTTP status and Twilio's error code, never Twilio's message (it repeats the
   * number) nor the SDK's error (it holds the request: credentials and body).
   */
  async call<T>(channel: Channel, fn: (client: twilio.Twilio) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DeliveryError('delivery.timeout', 'Twilio did not answer in time', { channel })),
        this.#timeoutMs,
      );
      timer.unref?.();
    });
    try {
      return await Promise.race([this.#clientOnce().then(fn), timeout]);
    } catch (err) {
      throw err instanceof DeliveryError ? err : twilioFailure(err, channel);
    } finally {
      clearTimeout(timer);
    }
  }
}

interface TwilioErrorFields {
  status?: unknown;
  code?: unknown;
  name?: unknown;
}

function twilioFailure(err: unknown, channel: Channel): DeliveryError {
  const e = (err ?? {}) as TwilioErrorFields;
  if (typeof e.status === 'number' && e.status >= 100) {
    // Twilio answered: RestException or TwilioServiceException, with its numeric error code.
    const twilioCode = typeof e.code === 'number' ? e.code : undefined;
    const what = `HTTP ${e.status}${twilioCode ? `, Twilio error ${twilioCode}` : ''}`;
    if (twilioCode !== undefined && REJECTED.has(twilioCode))
      return new DeliveryError('delivery.rejected', `Twilio refused the recipient or the message (${what})`, {
        channel,
      });
    return new DeliveryError('delivery.failed', `Twilio did not take the message (${what})`, { channel });
  }
  const transport = typeof e.code === 'string' && /^[A-Z_]{2,40}$/.test(e.code) ? e.code : undefined;
  if (transport === 'ECONNABORTED' || transport === 'ETIMEDOUT' || e.name === 'TimeoutError')
    return new DeliveryError(
      'delivery.timeout',
      `Twilio did not answer in time (${transport ?? 'timeout'})`,
      {
        channel,
      },
    );
  return new DeliveryError('delivery.failed', `could not reach Twilio (${transport ?? 'network error'})`, {
    channel,
  });
}

function refuse(channel: Channel, why: string): DeliveryError {
  return new DeliveryError('delivery.rejected', why, { channel });
}

/** Text messages through Programmable Messaging (POST /2010-04-01/Accounts/{sid}/Messages.json). */
export class TwilioSmsSender implements Sender {
  readonly channel: Channel = 'sms';
  readonly #api: TwilioApi;
  readonly #from: { from: string } | { messagingServiceSid: string };
  readonly #logger: Logger | undefined;

  constructor(opts: TwilioSenderOptions) {
    if (!E164.test(opts.from) && !MESSAGING_SERVICE_SID.test(opts.from))
      throw new Error(
        'Twilio text messages need an E.164 number or a messaging service SID (MG...) to send from',
      );
    this.#api = new TwilioApi(opts);
    this.#from = MESSAGING_SERVICE_SID.test(opts.from)
      ? { messagingServiceSid: opts.from }
      : { from: opts.from };
    this.#logger = opts.logger;
  }

  async send(msg: Message): Promise<void> {
    if (msg.channel !== 'sms') throw refuse('sms', `the text message sender got a ${msg.channel} message`);
    if (!E164.test(msg.to)) throw refuse('sms', 'the recipient is not an E.164 number');
    if (!msg.text) throw refuse('sms', 'empty message');
    if (msg.text.length > MAX_SMS_LENGTH) throw refuse('sms', 'the text message is too long');
    const log = { channel: 'sms', purpose: msg.purpose, to: maskRecipient('sms', msg.to) };
    try {
      const sent = await this.#api.call('sms', (client) =>
        client.messages.create({ to: msg.to, body: msg.text, ...this.#from }),
      );
      this.#logger?.info({ ...log, sid: sent.sid }, 'text message handed to Twilio');
    } catch (err) {
      const failure = err as DeliveryError;
      this.#logger?.warn({ ...log, failure: failure.code, reason: failure.message }, 'text message not sent');
      throw failure;
    }
  }
}

/**
 * Phone calls through Programmable Voice (POST /2010-04-01/Accounts/{sid}/Calls.json) with inline
 * TwiML: the lead-in (Message.text), then the code (Message.code) digit by digit, twice.
 */
export class TwilioVoiceSender implements Sender {
  readonly channel: Channel = 'voice';
  readonly #api: TwilioApi;
  readonly #from: string;
  readonly #logger: Logger | undefined;

  constructor(opts: TwilioSenderOptions) {
    // A messaging service cannot place a call: the caller ID must be a number.
    if (!E164.test(opts.from)) throw new Error('Twilio calls need an E.164 number to call from');
    this.#api = new TwilioApi(opts);
    this.#from = opts.from;
    this.#logger = opts.logger;
  }

  async send(msg: Message): Promise<void> {
    if (msg.channel !== 'voice') throw refuse('voice', `the call sender got a ${msg.channel} message`);
    if (!E164.test(msg.to)) throw refuse('voice', 'the recipient is not an E.164 number');
    if (!msg.text) throw refuse('voice', 'empty message');
    if (!msg.code || !VOICE_CODE.test(msg.code))
      throw refuse('voice', 'a call needs a code of 4 to 10 digits');
    const twiml = voiceTwiml(msg.text, msg.code, msg.locale);
    if (twiml.length > MAX_TWIML_LENGTH) throw refuse('voice', 'the call script is too long');
    const log = { channel: 'voice', purpose: msg.purpose, to: maskRecipient('voice', msg.to) };
    try {
      const call = await this.#api.call('voice', (client) =>
        client.calls.create({ to: msg.to, from: this.#from, twiml }),
      );
      this.#logger?.info({ ...log, sid: call.sid }, 'call handed to Twilio');
    } catch (err) {
      const failure = err as DeliveryError;
      this.#logger?.warn({ ...log, failure: failure.code, reason: failure.message }, 'call not placed');
      throw failure;
    }
  }
}

/** The language tag and the Amazon Polly voice a call speaks in, per locale. */
const VOICES: Record<Locale, { language: string; voice: string; separator: string; stop: string }> = {
  en: { language: 'en-US', voice: 'Polly.Joanna', separator: ', ', stop: '.' },
  ja: { language: 'ja-JP', voice: 'Polly.Mizuki', separator: '、', stop: '。' },
};

/**
 * The TwiML of a code call: the lead-in, the code digit by digit ("1, 2, 3, 4, 5, 6."), then again
 * after a pause, then a goodbye, all in the user's language. Every text is XML-escaped; control
 * characters, which XML cannot carry, become spaces.
 */
export function voiceTwiml(text: string, digits: string, locale: Locale): string {
  if (!/^\d+$/.test(digits)) throw new Error('voiceTwiml: the code must be digits');
  const v = VOICES[locale] ?? VOICES.en;
  const t = translator(locale);
  const say = (s: string) =>
    `<Say language="${v.language}" voice="${v.voice}">${xmlEscape(cleanSpeech(s))}</Say>`;
  const pause = (seconds: number) => `<Pause length="${seconds}"/>`;
  const code = `${[...digits].join(v.separator)}${v.stop}`;
  return [
    '<Response>',
    say(text),
    pause(1),
    say(code),
    pause(2),
    say(t('voice.repeat')),
    pause(1),
    say(code),
    pause(1),
    say(t('voice.goodbye')),
    '</Response>',
  ].join('');
}

function cleanSpeech(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f\ufffe\uffff]+/g, ' ').trim();
}

function xmlEscape(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
}

import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerEnvelope } from 'smtp-server';
import twilio from 'twilio';
import type { TwilioHttpClient } from '../../src/delivery/index.ts';

/*
 * The far ends of Tobira's real senders, on loopback: an SMTP server (smtp-server, AUTH required) that
 * parses what it receives with mailparser, and an HTTP server that checks requests the way Twilio's REST
 * API does, reached by the real Twilio SDK through `httpClient`. Tests read codes and notices from them
 * exactly as they left Tobira.
 */

/** Listens on a free loopback port (or the one given, e.g. to bring a stopped peer back). */
export function listenOnLoopback(server: net.Server, port = 0): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

// ---------------------------------------------------------------------------------------------
// SMTP

export const SMTP_USER = 'tobira';
export const SMTP_PASS = 'p@ss:wörd/1';
export const MAIL_FROM = 'Tobira Test <no-reply@tobira.test>';

/** One message the SMTP peer accepted. */
export interface ReceivedMail {
  /** The message as mailparser reads it. */
  mail: ParsedMail;
  envelope: SMTPServerEnvelope;
  /** The envelope's recipients (RCPT TO), lower-cased. */
  to: string[];
  /** Who authenticated the session. */
  user: unknown;
}

export interface SmtpPeer {
  port: number;
  /** smtp://user:pass@127.0.0.1:port with the credentials the peer accepts (SMTP_URL). */
  url: string;
  /** The same server with other credentials (to test refusals). */
  urlWith(user: string, pass: string): string;
  /** Every accepted message, in order. */
  messages: ReceivedMail[];
  /** The accepted messages one address received (RCPT TO). */
  messagesTo(address: string): ReceivedMail[];
  stats: { connections: number; authFailures: number };
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback that requires AUTH (SMTP_USER / SMTP_PASS, or the ones given), refuses
 * recipients at @refused.example with 550, and parses each message before it accepts it: when a send
 * resolves, the message is already in `messages`.
 */
export async function startSmtpPeer(
  opts: { user?: string; pass?: string; port?: number } = {},
): Promise<SmtpPeer> {
  const user = opts.user ?? SMTP_USER;
  const pass = opts.pass ?? SMTP_PASS;
  const messages: ReceivedMail[] = [];
  const stats = { connections: 0, authFailures: 0 };
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, cb) {
      stats.connections++;
      cb();
    },
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === pass) return cb(null, { user: auth.username });
      stats.authFailures++;
      cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      if (address.address.endsWith('@refused.example'))
        return cb(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      cb();
    },
    onData(stream, session, cb) {
      simpleParser(stream).then(
        (mail) => {
          messages.push({
            mail,
            envelope: session.envelope,
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            user: session.user,
          });
          cb();
        },
        (err: Error) => cb(err),
      );
    },
  });
  const port = await listenOnLoopback(server.server, opts.port);
  const urlWith = (u: string, p: string) =>
    `smtp://${encodeURIComponent(u)}:${encodeURIComponent(p)}@127.0.0.1:${port}`;
  return {
    port,
    url: urlWith(user, pass),
    urlWith,
    messages,
    messagesTo: (address) => messages.filter((m) => m.to.includes(address.toLowerCase())),
    stats,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// ---------------------------------------------------------------------------------------------
// Twilio

export const TWILIO_ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const TWILIO_AUTH_TOKEN = 'test-auth-token-0f4c2b';
/** The number texts and calls come from (TWILIO_FROM). */
export const TWILIO_FROM = '+815012345678';
const E164 = /^\+[1-9]\d{6,14}$/;

/** Every request the peer saw, accepted or not. */
export interface TwilioRequest {
  method: string;
  path: string;
  resource: 'Messages' | 'Calls' | undefined;
  contentType: string | undefined;
  userAgent: string | undefined;
  authorized: boolean;
  form: URLSearchParams;
}

/** A text message the peer accepted (201). */
export interface TwilioMessage {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
}

/** A call the peer accepted (201), with its inline TwiML. */
export interface TwilioCall {
  sid: string;
  to: string;
  from: string;
  twiml: string;
}

/**
 * - ok: answers like Twilio does.
 * - error500: 500 with Twilio error 20500.
 * - invalidTo: 400 with error 21211 (the To number is not valid).
 * - hang: never answers.
 */
export type TwilioMode = 'ok' | 'error500' | 'invalidTo' | 'hang';

export interface TwilioPeer {
  accountSid: string;
  authToken: string;
  /** The sender number (TWILIO_FROM). */
  from: string;
  /** http://127.0.0.1:port, where the API's paths are served. */
  base: string;
  /** The SDK's own request client, sent to this peer instead of api.twilio.com (`twilioHttpClient`). */
  httpClient: TwilioHttpClient;
  messages: TwilioMessage[];
  calls: TwilioCall[];
  requests: TwilioRequest[];
  /** How the peer answers from now on; `only` limits a failure mode to one resource. */
  state: { mode: TwilioMode; only?: 'Messages' | 'Calls' };
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that checks requests the way Twilio's REST API does (basic auth with the
 * account SID and auth token, the account in the path, a form body, E.164 numbers, a sender, a body
 * or TwiML) and answers with Twilio's JSON, or with Twilio's errors.
 */
export async function startTwilioPeer(): Promise<TwilioPeer> {
  const requests: TwilioRequest[] = [];
  const messages: TwilioMessage[] = [];
  const calls: TwilioCall[] = [];
  const state: TwilioPeer['state'] = { mode: 'ok' };
  const sid = (prefix: string) => `${prefix}${crypto.randomBytes(16).toString('hex')}`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      const error = (status: number, code: number, message: string) =>
        json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(url.pathname);
      const expected = `Basic ${Buffer.from(`${TWILIO_ACCOUNT_SID}:${TWILIO_AUTH_TOKEN}`).toString('base64')}`;
      const authorized = req.headers.authorization === expected && m?.[1] === TWILIO_ACCOUNT_SID;
      const contentType = req.headers['content-type'];
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const resource = m?.[2] as TwilioRequest['resource'];
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        resource,
        contentType,
        userAgent: req.headers['user-agent'],
        authorized,
        form,
      });

      if (req.method !== 'POST' || !m)
        return error(404, 20404, `The requested resource ${url.pathname} was not found`);
      if (!authorized) return error(401, 20003, 'Authenticate');
      if (!contentType?.startsWith('application/x-www-form-urlencoded'))
        return error(400, 20001, 'Unsupported content type');
      const mode = state.only && state.only !== resource ? 'ok' : state.mode;
      if (mode === 'hang') return; // never answers
      if (mode === 'error500') return error(500, 20500, 'Internal Server Error');
      const to = form.get('To') ?? '';
      if (!to) return error(400, 21604, "A 'To' phone number is required.");
      if (mode === 'invalidTo' || !E164.test(to))
        return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      const from = form.get('From');
      const service = form.get('MessagingServiceSid');
      const now = new Date().toUTCString().replace('GMT', '+0000');

      if (resource === 'Messages') {
        if (!from && !service) return error(400, 21603, "A 'From' phone number is required.");
        if (from && !E164.test(from)) return error(400, 21212, `The 'From' number ${from} is not valid.`);
        if (service && !/^MG[0-9a-f]{32}$/.test(service))
          return error(400, 21701, 'The Messaging Service Sid is invalid.');
        const body = form.get('Body') ?? '';
        if (!body) return error(400, 21602, 'Message body is required.');
        const messageSid = sid('SM');
        messages.push({ sid: messageSid, to, from, messagingServiceSid: service, body });
        return json(201, {
          sid: messageSid,
          account_sid: TWILIO_ACCOUNT_SID,
          api_version: '2010-04-01',
          to,
          from: from ?? null,
          messaging_service_sid: service ?? null,
          body,
          status: 'queued',
          direction: 'outbound-api',
          num_segments: '1',
          num_media: '0',
          price: null,
          price_unit: 'USD',
          error_code: null,
          error_message: null,
          date_created: now,
          date_updated: now,
          date_sent: null,
          uri: `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages/${messageSid}.json`,
          subresource_uris: {},
        });
      }
      if (!from || !E164.test(from)) return error(400, 21212, 'The caller ID is not valid.');
      const twiml = form.get('Twiml');
      if (!twiml && !form.get('Url')) return error(400, 21205, 'Url or Twiml is required.');
      const callSid = sid('CA');
      calls.push({ sid: callSid, to, from, twiml: twiml ?? '' });
      return json(201, {
        sid: callSid,
        account_sid: TWILIO_ACCOUNT_SID,
        api_version: '2010-04-01',
        to,
        to_formatted: to,
        from,
        from_formatted: from,
        status: 'queued',
        direction: 'outbound-api',
        date_created: now,
        date_updated: now,
        uri: `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Calls/${callSid}.json`,
        subresource_uris: {},
      });
    });
  });
  const port = await listenOnLoopback(server);
  const base = `http://127.0.0.1:${port}`;
  return {
    accountSid: TWILIO_ACCOUNT_SID,
    authToken: TWILIO_AUTH_TOKEN,
    from: TWILIO_FROM,
    base,
    httpClient: loopbackTwilioClient(base),
    messages,
    calls,
    requests,
    state,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * The SDK's own RequestClient (auth header, form encoding, timeouts: all the SDK's doing), with one
 * change: requests for https://api.twilio.com go to `base` instead. Anything else is refused, so a
 * test can never reach the real API.
 */
export function loopbackTwilioClient(base: string, timeoutMs = 5_000): TwilioHttpClient {
  const client = new twilio.RequestClient({ timeout: timeoutMs, keepAlive: false });
  client.axios.interceptors.request.use((cfg) => {
    const target = cfg.url ?? '';
    if (!target.startsWith('https://api.twilio.com/')) throw new Error(`unexpected Twilio URL ${target}`);
    cfg.url = base + target.slice('https://api.twilio.com'.length);
    return cfg;
  });
  return client;
}

/**
 * What a call's TwiML reads out as digits: every <Say> that is nothing but digits separated by
 * commas or 、 and ended by a full stop ("4, 8, 2, 9, 1, 3." or "4、8、2、9、1、3。"), as a string of
 * digits, in order. A code read twice appears twice.
 */
export function spokenDigits(twiml: string): string[] {
  const out: string[] = [];
  for (const m of twiml.matchAll(/<Say\b[^>]*>([^<]*)<\/Say>/g)) {
    const said = m[1].trim();
    if (/^\d(?:(?:, |、)\d)*[.。]$/.test(said)) out.push(said.replace(/\D/g, ''));
  }
  return out;
}

import pino from 'pino';

/** Fields that must never reach a log line, wherever they appear. */
export const REDACT = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'code',
  '*.code',
  'token',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export function createLogger(level: string, destination?: pino.DestinationStream) {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined }, destination);
}

export type Logger = pino.Logger;

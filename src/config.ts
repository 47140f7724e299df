import { availableParallelism } from 'node:os';
import { z } from 'zod';

export type Locale = 'en' | 'ja';
export const LOCALES: readonly Locale[] = ['en', 'ja'];

export interface Config {
  readonly production: boolean;
  readonly issuer: string;
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** 32 raw bytes; undefined until resolved (generated into DATA_DIR when allowed). */
  readonly secretKey: Buffer | undefined;
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly twilio:
    | { readonly accountSid: string; readonly authToken: string; readonly from: string }
    | undefined;
  readonly logLevel: string;
  readonly defaultLocale: Locale;
  readonly trustProxy: boolean;
  readonly organizationCountry: string;
  /** Worker processes (node:cluster); 1 means no cluster. */
  readonly workers: number;
  /** Seconds between SIGTERM (readiness turns 503) and closing the listener. */
  readonly shutdownDrainSeconds: number;
  /** Seconds in-flight requests get after the drain before connections are cut. */
  readonly shutdownTimeoutSeconds: number;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const bool = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return false;
      if (/^(1|true|yes)$/i.test(v)) return true;
      if (/^(0|false|no)$/i.test(v)) return false;
      ctx.addIssue({ code: 'custom', message: `${name}: expected true or false, got "${v}"` });
      return z.NEVER;
    });

function isLocalHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/**
 * Reads the environment once. Every problem is collected and reported together, each naming the
 * variable and what it expects, so an operator fixes them in one round.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  const get = (k: string) => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  const issuerRaw = get('ISSUER') ?? 'http://localhost:3000';
  let issuer = issuerRaw.replace(/\/+$/, '');
  try {
    const u = new URL(issuerRaw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      problems.push(`ISSUER: expected an http(s) URL, got "${issuerRaw}"`);
    } else if (u.search || u.hash) {
      problems.push('ISSUER: must not contain a query or fragment');
    } else if (production && u.protocol === 'http:' && !isLocalHost(u.hostname)) {
      problems.push('ISSUER: production requires https (http is allowed only for localhost)');
    }
    issuer = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    problems.push(`ISSUER: expected an http(s) URL, got "${issuerRaw}"`);
  }

  let port = 3000;
  const portRaw = get('PORT');
  if (portRaw !== undefined) {
    if (!/^\d{1,5}$/.test(portRaw) || Number(portRaw) > 65535) {
      problems.push(`PORT: expected a TCP port 0-65535, got "${portRaw}"`);
    } else port = Number(portRaw);
  }

  const databaseUrl = get('DATABASE_URL');
  if (databaseUrl !== undefined) {
    try {
      const u = new URL(databaseUrl);
      if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
        problems.push('DATABASE_URL: expected postgres://user:pass@host:port/db');
      }
    } catch {
      problems.push('DATABASE_URL: expected postgres://user:pass@host:port/db');
    }
  }

  let secretKey: Buffer | undefined;
  const secretRaw = get('SECRET_KEY');
  if (secretRaw !== undefined) {
    const buf = /^[A-Za-z0-9+/=_-]+$/.test(secretRaw) ? Buffer.from(secretRaw, 'base64') : Buffer.alloc(0);
    if (buf.length !== 32) {
      problems.push('SECRET_KEY: expected 32 random bytes in base64 (openssl rand -base64 32)');
    } else secretKey = buf;
  } else if (production && databaseUrl !== undefined) {
    problems.push(
      'SECRET_KEY: required in production with DATABASE_URL, so that every instance shares it (openssl rand -base64 32)',
    );
  }

  const smtpUrl = get('SMTP_URL');
  if (smtpUrl !== undefined) {
    try {
      const u = new URL(smtpUrl);
      if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
        problems.push('SMTP_URL: expected smtp:// or smtps://');
    } catch {
      problems.push('SMTP_URL: expected smtp[s]://user:pass@host:port');
    }
  }
  const mailFrom = get('MAIL_FROM') ?? 'Tobira <no-reply@localhost>';
  if (/[\r\n]/.test(mailFrom) || !/@/.test(mailFrom)) problems.push('MAIL_FROM: expected an email address');

  const sid = get('TWILIO_ACCOUNT_SID');
  const token = get('TWILIO_AUTH_TOKEN');
  const from = get('TWILIO_FROM');
  let twilio: Config['twilio'];
  if (sid || token || from) {
    if (!sid || !/^AC[0-9a-fA-F]{32}$/.test(sid))
      problems.push('TWILIO_ACCOUNT_SID: expected AC followed by 32 hex digits');
    if (!token) problems.push('TWILIO_AUTH_TOKEN: required when Twilio is configured');
    if (!from || !/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/.test(from))
      problems.push('TWILIO_FROM: expected an E.164 number (+81...) or a messaging service SID (MG...)');
    if (sid && token && from) twilio = { accountSid: sid, authToken: token, from };
  }

  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    problems.push(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}`);

  const defaultLocale = (get('DEFAULT_LOCALE') ?? 'en') as Locale;
  if (!LOCALES.includes(defaultLocale))
    problems.push(`DEFAULT_LOCALE: expected one of ${LOCALES.join(', ')}`);

  const tp = bool('TRUST_PROXY').safeParse(env.TRUST_PROXY);
  if (!tp.success) problems.push(...tp.error.issues.map((i) => i.message));

  const organizationCountry = (get('ORGANIZATION_COUNTRY') ?? 'JP').toUpperCase();
  if (!/^[A-Z]{2}$/.test(organizationCountry))
    problems.push('ORGANIZATION_COUNTRY: expected an ISO 3166-1 alpha-2 code such as JP or US');

  const count = (name: string, def: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return def;
    if (!/^\d{1,6}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}: expected a whole number ${min}-${max}, got "${raw}"`);
      return def;
    }
    return Number(raw);
  };
  const workers = count('WORKERS', databaseUrl ? availableParallelism() : 1, 1, 256);
  if (workers > 1 && !databaseUrl)
    problems.push(
      'WORKERS: the embedded database allows one process; set DATABASE_URL to run several workers',
    );
  const shutdownDrainSeconds = count('SHUTDOWN_DRAIN_SECONDS', production ? 10 : 0, 0, 3600);
  const shutdownTimeoutSeconds = count('SHUTDOWN_TIMEOUT_SECONDS', 10, 0, 3600);

  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    production,
    issuer,
    port,
    host: get('HOST') ?? '0.0.0.0',
    databaseUrl,
    dataDir: get('DATA_DIR') ?? './data',
    secretKey,
    smtpUrl,
    mailFrom,
    twilio,
    logLevel,
    defaultLocale,
    trustProxy: tp.success ? tp.data : false,
    organizationCountry,
    workers,
    shutdownDrainSeconds,
    shutdownTimeoutSeconds,
  });
}

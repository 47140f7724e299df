import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseCidr } from './cidr.ts';

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
  /** Whether a reverse proxy is trusted at all (its X-Forwarded-Proto and -Host are then believed). */
  readonly trustProxy: boolean;
  /** Where the client's IP comes from (TRUST_PROXY): the socket, the N-th X-Forwarded-For entry from the right, or a header. */
  readonly proxy: ProxyTrust;
  readonly organizationCountry: string;
  /** When set, /metrics requires `Authorization: Bearer <token>`; otherwise it answers loopback clients only. */
  readonly metricsToken: string | undefined;
  /** Non-public networks (CIDR) that back-channel logout tokens may be sent to. */
  readonly backchannelAllowedNetworks: readonly string[];
  /** Dynamic Client Registration at /reg with an initial access token (DYNAMIC_CLIENT_REGISTRATION=on). */
  readonly dynamicClientRegistration: boolean;
  /**
   * How the writes whose loss can only deny commit on PostgreSQL (CLIENT_TOKEN_COMMIT; the name is
   * from when client-credentials tokens were the only ones): `async` does not wait for the WAL flush
   * (a crash of the database server can lose the last fraction of a second of them: client-credentials
   * tokens, which only sends the apps back for a new token; new sign-in interactions, which only sends
   * the browser back to sign in; the sign-in lockout counter's reservation and a success's clear, which
   * the sign-in's next durable commit covers); `sync` waits for every commit.
   */
  readonly clientTokenCommit: 'async' | 'sync';
  /** PostgreSQL only (DATABASE_PREPARED_STATEMENTS): repeated statements are named prepared statements. */
  readonly databasePreparedStatements: boolean;
  /** Worker processes (node:cluster); 1 means no cluster. */
  readonly workers: number;
  /** Seconds between SIGTERM (readiness turns 503) and closing the listener. */
  readonly shutdownDrainSeconds: number;
  /** Seconds in-flight requests get after the drain before connections are cut. */
  readonly shutdownTimeoutSeconds: number;
  /** OpenTelemetry tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set. */
  readonly tracing:
    | { readonly url: string; readonly serviceName: string; readonly sampleRatio: number }
    | undefined;
}

/**
 * TRUST_PROXY: `none` (the socket address is the client), `hops` (that many proxies each append to
 * X-Forwarded-For; the client is the hops-th address from the right), or `header` (one header, set
 * by the proxy, names the client).
 */
export type ProxyTrust =
  | { readonly kind: 'none' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'header'; readonly header: string };

const MAX_PROXY_HOPS = 20;

function parseTrustProxy(raw: string | undefined): ProxyTrust | string {
  const v = raw?.trim() ?? '';
  if (v === '' || /^(0|false|no)$/i.test(v)) return { kind: 'none' };
  // `true` means one proxy in front of Tobira: the address it appended is the client's.
  if (/^(true|yes)$/i.test(v)) return { kind: 'hops', hops: 1 };
  if (/^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_PROXY_HOPS)
    return { kind: 'hops', hops: Number(v) };
  const m = /^header:\s*([A-Za-z0-9][A-Za-z0-9-]{0,63})$/i.exec(v);
  if (m) return { kind: 'header', header: m[1].toLowerCase() };
  return `TRUST_PROXY: expected false, true (one proxy), the number of proxies in front of Tobira (1-${MAX_PROXY_HOPS}), or header:NAME (e.g. header:X-Real-IP), got "${v}"`;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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

  const proxy = parseTrustProxy(env.TRUST_PROXY);
  if (typeof proxy === 'string') problems.push(proxy);

  const metricsToken = get('METRICS_TOKEN');
  if (metricsToken !== undefined && !/^[\x21-\x7e]{16,512}$/.test(metricsToken))
    problems.push(
      'METRICS_TOKEN: expected at least 16 printable characters without spaces (openssl rand -hex 32)',
    );

  const organizationCountry = (get('ORGANIZATION_COUNTRY') ?? 'JP').toUpperCase();
  if (!/^[A-Z]{2}$/.test(organizationCountry))
    problems.push('ORGANIZATION_COUNTRY: expected an ISO 3166-1 alpha-2 code such as JP or US');

  const backchannelAllowedNetworks = (get('BACKCHANNEL_ALLOWED_NETWORKS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of backchannelAllowedNetworks) {
    if (!parseCidr(n))
      problems.push(
        `BACKCHANNEL_ALLOWED_NETWORKS: expected comma-separated networks such as 10.0.0.0/8,127.0.0.1, got "${n}"`,
      );
  }
  const count = (name: string, def: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return def;
    if (!/^\d{1,6}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}: expected a whole number ${min}-${max}, got "${raw}"`);
      return def;
    }
    return Number(raw);
  };
  const dcr = (get('DYNAMIC_CLIENT_REGISTRATION') ?? 'off').toLowerCase();
  if (dcr !== 'on' && dcr !== 'off')
    problems.push(`DYNAMIC_CLIENT_REGISTRATION: expected on or off, got "${dcr}"`);
  const clientTokenCommit = (get('CLIENT_TOKEN_COMMIT') ?? 'async').toLowerCase();
  if (clientTokenCommit !== 'async' && clientTokenCommit !== 'sync')
    problems.push(`CLIENT_TOKEN_COMMIT: expected async or sync, got "${clientTokenCommit}"`);
  const prepared = (get('DATABASE_PREPARED_STATEMENTS') ?? 'on').toLowerCase();
  if (prepared !== 'on' && prepared !== 'off')
    problems.push(`DATABASE_PREPARED_STATEMENTS: expected on or off, got "${prepared}"`);
  const workers = count('WORKERS', databaseUrl ? availableParallelism() : 1, 1, 256);
  if (workers > 1 && !databaseUrl)
    problems.push(
      'WORKERS: the embedded database allows one process; set DATABASE_URL to run several workers',
    );
  const shutdownDrainSeconds = count('SHUTDOWN_DRAIN_SECONDS', production ? 10 : 0, 0, 3600);
  const shutdownTimeoutSeconds = count('SHUTDOWN_TIMEOUT_SECONDS', 10, 0, 3600);

  // OpenTelemetry's own variable names, so a collector set up for other services works unchanged.
  const otlpTraces = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const otlpBase = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  const tracesUrl = otlpTraces ?? (otlpBase ? `${otlpBase.replace(/\/+$/, '')}/v1/traces` : undefined);
  let tracing: Config['tracing'];
  if (tracesUrl !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(tracesUrl) || !URL.canParse(tracesUrl))
      problems.push(`OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL, got "${tracesUrl}"`);
    const ratioRaw = get('OTEL_TRACES_SAMPLER_ARG') ?? '1';
    const sampleRatio = Number(ratioRaw);
    if (!/^(0|1|0?\.\d+|1\.0+)$/.test(ratioRaw) || !(sampleRatio >= 0 && sampleRatio <= 1))
      problems.push(`OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1, got "${ratioRaw}"`);
    tracing = { url: tracesUrl, serviceName: get('OTEL_SERVICE_NAME') ?? 'tobira', sampleRatio };
  }

  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    production,
    issuer,
    port,
    // Development listens on this machine only unless HOST says otherwise; production on every interface.
    host: get('HOST') ?? (production ? '0.0.0.0' : '127.0.0.1'),
    databaseUrl,
    dataDir: get('DATA_DIR') ?? './data',
    secretKey,
    smtpUrl,
    mailFrom,
    twilio,
    logLevel,
    defaultLocale,
    trustProxy: typeof proxy !== 'string' && proxy.kind !== 'none',
    proxy: typeof proxy === 'string' ? ({ kind: 'none' } as const) : proxy,
    organizationCountry,
    metricsToken,
    backchannelAllowedNetworks,
    dynamicClientRegistration: dcr === 'on',
    clientTokenCommit: clientTokenCommit === 'sync' ? 'sync' : 'async',
    databasePreparedStatements: prepared !== 'off',
    workers,
    shutdownDrainSeconds,
    shutdownTimeoutSeconds,
    tracing,
  });
}

/**
 * What start() warns about but serves anyway. Passkeys and security keys (WebAuthn) need a domain
 * name: browsers refuse an IP address as the relying party ID, so with an ISSUER like
 * http://192.168.1.10:3000 registering or using one fails in the browser.
 */
export function serveWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const host = new URL(config.issuer).hostname;
  if (isIP(host.replace(/^\[|\]$/g, ''))) {
    warnings.push(
      `ISSUER: ${host} is an IP address; passkeys and security keys need a domain name (browsers refuse an IP address). ` +
        'Use a DNS name (or http://localhost for local use)',
    );
  }
  return warnings;
}

/**
 * What must hold before Tobira serves requests (checked by start(), not by the CLI): Tobira speaks
 * plain HTTP, so an https ISSUER needs a trusted reverse proxy that terminates TLS and says so in
 * X-Forwarded-Proto; without one every page that sets a secure cookie would fail.
 */
export function serveProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.issuer.startsWith('https:') && !config.trustProxy) {
    problems.push(
      'ISSUER: an https issuer needs a reverse proxy that terminates TLS; Tobira itself serves plain HTTP. ' +
        'Put it behind one and set TRUST_PROXY (e.g. TRUST_PROXY=1), or use http://localhost for local use',
    );
  }
  return problems;
}

import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type Provider from 'oidc-provider';
import { parseCidr } from '../cidr.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/knex.ts';
import type { Logger } from '../logger.ts';
import { recordAudit } from '../store/audit.ts';
import { claimDueLogouts, enqueueLogouts, finishLogout, retryLogout } from '../store/backchannel-queue.ts';

/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0): which destinations a logout token may
 * be posted to, the delivery itself with bounded retries, and its log and audit trail.
 */

/** Addresses that are not on the public internet: refused unless an operator allows them. */
const SPECIAL_USE: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

/** The part of an address to judge: an IPv4-mapped IPv6 address is judged as IPv4. */
function normalize(ip: string): { address: string; type: 'ipv4' | 'ipv6' } {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (m) return { address: m[1], type: 'ipv4' };
  return { address: ip, type: net.isIP(ip) === 6 ? 'ipv6' : 'ipv4' };
}

export class DestinationRefused extends Error {
  readonly code = 'ERR_DESTINATION_REFUSED';
  constructor(address: string) {
    super(`back-channel logout destination ${address} is not public and not in BACKCHANNEL_ALLOWED_NETWORKS`);
  }
}

/** Public addresses are allowed; private, loopback, link-local and other special-use ones only when listed. */
export class DestinationPolicy {
  readonly #special = new net.BlockList();
  readonly #allowed = new net.BlockList();

  constructor(allowedNetworks: readonly string[]) {
    for (const [a, p, t] of SPECIAL_USE) this.#special.addSubnet(a, p, t);
    for (const n of allowedNetworks) {
      const c = parseCidr(n);
      if (c) this.#allowed.addSubnet(c.address, c.prefix, c.type);
    }
  }

  allows(ip: string): boolean {
    const { address, type } = normalize(ip);
    if (!net.isIP(address)) return false;
    if (this.#allowed.check(address, type)) return true;
    return !this.#special.check(address, type);
  }

  /** A DNS lookup that answers only with allowed addresses, so the address checked is the one connected to. */
  readonly lookup = (
    hostname: string,
    options: dns.LookupOptions,
    callback: (err: Error | null, address: string | dns.LookupAddress[], family?: number) => void,
  ) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.find((a) => !this.allows(a.address));
      if (refused || !addresses.length)
        return callback(new DestinationRefused(refused?.address ?? hostname), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

type FetchOptions = RequestInit & { dispatcher?: unknown };

/** POSTs a form without following redirects, connecting only where the policy allows. */
function guardedPost(url: URL, options: FetchOptions, policy: DestinationPolicy): Promise<Response> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !policy.allows(host)) return Promise.reject(new DestinationRefused(host));
  const body = String(options.body ?? '');
  const headers: Record<string, string> = {};
  new Headers(options.headers).forEach((v, k) => {
    headers[k] = v;
  });
  headers['content-length'] = String(Buffer.byteLength(body));
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      { method: 'POST', headers, lookup: policy.lookup as never, signal: options.signal ?? undefined },
      (res) => {
        res.resume();
        res.on('end', () => resolve(new Response(null, { status: res.statusCode ?? 502 })));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The provider's `fetch`: logout tokens go through the destination policy above (the library itself
 * refuses every non-public address); its other requests (jwks_uri, ...) keep the library's own checks.
 */
export function providerFetch(policy: DestinationPolicy) {
  return (url: URL | string, options: FetchOptions): Promise<Response> => {
    if (options.body instanceof URLSearchParams && options.body.has('logout_token'))
      return guardedPost(new URL(url), options, policy);
    return globalThis.fetch(url, options);
  };
}

export interface Logout {
  clientId: string;
  /** The user (the logout token's sub). */
  sub: string;
  /** The provider session's sid for this client (sent when the client asks for it). */
  sid?: string;
  /** Whom the audit event names instead of `sub` (the pseudonym of an erased user). */
  auditSubject?: string;
}

interface ClientLike {
  clientId: string;
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid?: string): Promise<void>;
}

export interface BackchannelDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  provider(): Provider;
}

/** How long a worker holds a claimed row before another may take it (a worker that died mid-send). */
const CLAIM_LEASE_MS = 60_000;
/** Rows claimed per batch, and batches per run: a backlog is drained in bounded steps. */
const DRAIN_BATCH = 50;
const DRAIN_MAX_BATCHES = 10;

/** Why an attempt ended: delivered, failed (retry or give up), or nothing to send any more. */
type Outcome = { ok: true } | { ok: false; err: unknown } | { gone: true };

/**
 * Sends logout tokens (the request that ended the session never waits for an app), and logs and
 * audits every outcome. The first attempt goes out at once from this process; a failed one is written
 * to the durable queue (store/backchannel-queue.ts) with its retry time, and {@link drain} (a
 * background job on every instance) delivers due rows, signing each token at send time with the
 * current keys. The retries are bounded; a destination the policy refuses is never retried.
 */
export class BackchannelDelivery {
  /** Delays before the 2nd, 3rd, ... attempt; the number of entries bounds the retries. */
  retryDelaysMs: number[] = [5_000, 30_000, 120_000];
  readonly #deps: BackchannelDeps;
  readonly #pending = new Set<Promise<void>>();

  constructor(deps: BackchannelDeps) {
    this.#deps = deps;
  }

  /** Sends one logout token in the background; returns at once. */
  send(logout: Logout): void {
    this.#track(
      (async () => {
        const outcome = await this.#attempt(logout);
        if ('gone' in outcome) return;
        await this.#settle(logout, 1, outcome);
      })(),
    );
  }

  /** The provider delivered a logout token itself (RP-initiated logout at /session/end). */
  providerSucceeded(
    client: { clientId: string; backchannelLogoutUri?: string },
    sub: string,
    sid?: string,
  ): void {
    this.#track(this.#record({ clientId: client.clientId, sub, sid }, 1, client.backchannelLogoutUri));
  }

  /** The provider's own delivery failed: record it and queue the retry. */
  providerFailed(
    err: unknown,
    client: { clientId: string; backchannelLogoutUri?: string },
    sub: string,
    sid?: string,
  ): void {
    this.#track(
      this.#settle(
        { clientId: client.clientId, sub, sid },
        1,
        { ok: false, err },
        client.backchannelLogoutUri,
      ),
    );
  }

  /**
   * Delivers the queued logouts that are due (every instance runs this; rows are claimed with FOR
   * UPDATE SKIP LOCKED, so each is sent by one). Returns the rows handled.
   */
  async drain(): Promise<number> {
    const { db, clock } = this.#deps;
    let total = 0;
    for (let i = 0; i < DRAIN_MAX_BATCHES; i++) {
      const rows = await db.transaction((trx) =>
        claimDueLogouts(trx, clock.now(), DRAIN_BATCH, CLAIM_LEASE_MS),
      );
      for (const row of rows) {
        const outcome = await this.#attempt(row);
        if ('gone' in outcome) {
          await finishLogout(db, row);
          continue;
        }
        const err = outcome.ok ? undefined : outcome.err;
        const retryAt = this.#retryAt(row.attempt, outcome);
        if (retryAt) await retryLogout(db, row, reasonOf(err), retryAt);
        else await finishLogout(db, row);
        await this.#record(row, row.attempt, outcome.uri, err);
      }
      total += rows.length;
      if (rows.length < DRAIN_BATCH) break;
    }
    return total;
  }

  /** Resolves when no first delivery started here is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  /** Shutdown: waits for the deliveries in flight; the queued retries stay in the database. */
  close(): Promise<void> {
    return this.idle();
  }

  #track(p: Promise<void>): void {
    const guarded = p.catch((err) =>
      this.#deps.logger.error({ err }, 'backchannel delivery bookkeeping failed'),
    );
    this.#pending.add(guarded);
    void guarded.finally(() => this.#pending.delete(guarded));
  }

  /** One delivery; the token is signed now, with the current keys. */
  async #attempt(logout: Logout): Promise<Outcome & { uri?: string }> {
    const client = (await this.#deps.provider().Client.find(logout.clientId)) as ClientLike | undefined;
    // The app is gone or no longer asks for logout tokens: nothing to send.
    if (!client?.backchannelLogoutUri) return { gone: true };
    const uri = client.backchannelLogoutUri;
    try {
      await client.backchannelLogout(logout.sub, logout.sid);
      return { ok: true, uri };
    } catch (err) {
      return { ok: false, err, uri };
    }
  }

  /** When attempt `attempt` failed with `outcome`, the time of the next one; undefined: no retry. */
  #retryAt(attempt: number, outcome: { ok: true } | { ok: false; err: unknown }): Date | undefined {
    // A destination the policy refuses stays refused: no retry.
    if (outcome.ok || outcome.err instanceof DestinationRefused) return undefined;
    const delay = this.retryDelaysMs[attempt - 1];
    if (delay === undefined) return undefined;
    return new Date(this.#deps.clock.now().getTime() + delay);
  }

  /** Records attempt `attempt` sent from this process, and queues its retry when it failed. */
  async #settle(
    logout: Logout,
    attempt: number,
    outcome: ({ ok: true } | { ok: false; err: unknown }) & { uri?: string },
    uri = outcome.uri,
  ): Promise<void> {
    const err = outcome.ok ? undefined : outcome.err;
    await this.#record(logout, attempt, uri, err);
    const retryAt = this.#retryAt(attempt, outcome);
    if (!retryAt) return;
    await enqueueLogouts(this.#deps.db, [logout], {
      attempt: attempt + 1,
      dueAt: retryAt,
      now: this.#deps.clock.now(),
      error: reasonOf(err),
    });
  }

  async #record(logout: Logout, attempt: number, uri: string | undefined, err?: unknown): Promise<void> {
    const destination = uri ? new URL(uri).host : null;
    const refused = err instanceof DestinationRefused;
    const reason = err ? reasonOf(err) : null;
    const fields = {
      clientId: logout.clientId,
      sub: logout.auditSubject ?? logout.sub,
      destination,
      attempt,
    };
    if (err)
      this.#deps.logger.warn({ ...fields, event: 'backchannel.error', reason }, 'back-channel logout failed');
    else this.#deps.logger.info({ ...fields, event: 'backchannel.success' }, 'back-channel logout delivered');
    await recordAudit(this.#deps.db, {
      at: this.#deps.clock.now(),
      subjectId: logout.auditSubject ?? logout.sub,
      activity: 'oidc.backchannel_logout',
      result: !err ? 'succeeded' : refused ? 'blocked' : 'failed',
      reason,
      details: { clientId: logout.clientId, destination, attempt, sid: !!logout.sid },
    });
  }
}

function reasonOf(err: unknown): string {
  return String((err as Error)?.message ?? err).slice(0, 300);
}

import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import type { Context, Next } from 'koa';
import type { ProxyTrust } from '../config.ts';
import { constantTimeEqual } from '../security/secrets.ts';
import { AppError } from './errors.ts';

/*
 * Who the client is, and whether it is on this machine. The client IP feeds the per-IP limits and the
 * audit log, so it is taken only from where TRUST_PROXY says a trusted party wrote it: the socket,
 * the address the N-th proxy from the right appended to X-Forwarded-For, or one header the proxy sets.
 * Whatever the client put there itself is never believed.
 */

/** An IP address as written in a header: IPv4, IPv6, or IPv6 in brackets; undefined when it is none. */
function asIp(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const s = v.trim().replace(/^\[(.*)\]$/, '$1');
  return net.isIP(s) ? s : undefined;
}

/** The values of one header, comma-separated and over repeated header lines, in order. */
function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const raw = headers[name];
  const joined = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return joined
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * The client's IP under a proxy trust setting.
 * - none: the socket address.
 * - hops N: each of N trusted proxies appends the address it was reached from, so the N-th entry from
 *   the right is the last one a trusted proxy wrote; entries to its left came from the client. With
 *   fewer entries than N (the request passed fewer proxies) the leftmost is taken.
 * - header: the proxy's own header (the rightmost value, should it append rather than replace).
 * A value that is not an IP address falls back to the socket address.
 */
export function clientIp(
  socketAddress: string | undefined,
  headers: IncomingHttpHeaders,
  trust: ProxyTrust,
): string {
  const socket = socketAddress ?? '';
  if (trust.kind === 'none') return socket;
  if (trust.kind === 'header') return asIp(headerValues(headers, trust.header).at(-1)) ?? socket;
  const xff = headerValues(headers, 'x-forwarded-for');
  if (!xff.length) return socket;
  return asIp(xff[Math.max(0, xff.length - trust.hops)]) ?? socket;
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6 (::ffff:127.0.0.1). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:(?=\d+\.)/i, '');
  if (net.isIPv4(a)) return LOOPBACK.check(a, 'ipv4');
  return net.isIPv6(a) && LOOPBACK.check(a, 'ipv6');
}

/**
 * Whether a request comes from this machine: the TCP peer is a loopback address and, when a proxy is
 * trusted, so is the client the proxy reported (a proxy on the same machine makes every remote client
 * arrive from loopback). Forwarded headers can only narrow this, never widen it.
 */
export function isLocalRequest(
  socketAddress: string | undefined,
  clientAddress: string,
  trust: ProxyTrust,
): boolean {
  if (!isLoopback(socketAddress)) return false;
  return trust.kind === 'none' || isLoopback(clientAddress);
}

/** Middleware: only requests from this machine pass; others get a localized 403. */
export function localOnly(trust: ProxyTrust) {
  return async (ctx: Context, next: Next) => {
    if (!isLocalRequest(ctx.req.socket.remoteAddress, ctx.ip, trust)) {
      throw new AppError('request.not_local', 403, 'error.localOnly');
    }
    await next();
  };
}

/**
 * Middleware for /metrics: with a token, `Authorization: Bearer <token>` from anywhere; without one,
 * requests from this machine only.
 */
export function metricsAccess(token: string | undefined, trust: ProxyTrust) {
  return async (ctx: Context, next: Next) => {
    if (token === undefined) return localOnly(trust)(ctx, next);
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(ctx.get('authorization'));
    if (!m || !constantTimeEqual(m[1], token)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new AppError('metrics.unauthorized', 401, 'error.metricsToken');
    }
    await next();
  };
}

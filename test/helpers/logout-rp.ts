import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';

export interface ReceivedLogout {
  token: string;
  claims: jose.JWTPayload;
}

/**
 * A relying party's back-channel logout endpoint on 127.0.0.1: it verifies each logout token's
 * signature against the issuer's /jwks (jose) and keeps what it received. `failNext` answers the
 * next deliveries with 500, to exercise retries.
 */
export class LogoutReceiver {
  readonly received: ReceivedLogout[] = [];
  /** Requests that reached the endpoint at all (verified or not). */
  hits = 0;
  failNext = 0;
  readonly #server = http.createServer((req, res) => this.#handle(req, res));
  #issuer = '';
  #clientId = '';
  #jwks?: ReturnType<typeof jose.createRemoteJWKSet>;
  #waiters: Array<{ n: number; resolve: () => void }> = [];

  async start(issuer: string, clientId: string): Promise<string> {
    this.#issuer = issuer;
    this.#clientId = clientId;
    this.#jwks = jose.createRemoteJWKSet(new URL(`${issuer}/jwks`));
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/backchannel`;
  }

  /** Resolves once `n` verified logout tokens arrived in total. */
  waitFor(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse) {
    this.hits++;
    let body = '';
    for await (const chunk of req) body += chunk;
    if (this.failNext > 0) {
      this.failNext--;
      res.writeHead(500).end();
      return;
    }
    const token = new URLSearchParams(body).get('logout_token') ?? '';
    try {
      const { payload } = await jose.jwtVerify(token, this.#jwks!, {
        issuer: this.#issuer,
        audience: this.#clientId,
        typ: 'logout+jwt',
      });
      this.received.push({ token, claims: payload });
      res.writeHead(200).end();
    } catch {
      res.writeHead(400).end();
    }
    for (const w of this.#waiters.filter((x) => this.received.length >= x.n)) w.resolve();
    this.#waiters = this.#waiters.filter((x) => this.received.length < x.n);
  }
}

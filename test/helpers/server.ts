import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type TobiraApp } from '../../src/app.ts';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/knex.ts';
import type { Delivery } from '../../src/delivery/types.ts';
import { createLogger } from '../../src/logger.ts';
import type { VerificationMethod } from '../../src/methods/types.ts';
import { SecretBox } from '../../src/security/secrets.ts';

export const TEST_SECRET = crypto.randomBytes(32).toString('base64');

export interface TestServer {
  url: string;
  issuer: string;
  app: TobiraApp;
  box: SecretBox;
  db: Db;
  stop(): Promise<void>;
}

/** Starts an app on a free loopback port with issuer http://localhost:PORT, over the given database. */
export async function startTestServer(opts: {
  db: Db;
  clock?: Clock;
  env?: Record<string, string>;
  secret?: string;
  /** Message delivery for the app (e.g. one whose sender fails); by default built from the configuration. */
  delivery?: Delivery;
  /** Verification methods kept outside src/ (test/fixtures/methods/), registered after Tobira's own. */
  methods?: readonly VerificationMethod[];
}): Promise<TestServer> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://localhost:${port}`;
  const config = loadConfig({
    ISSUER: issuer,
    PORT: String(port),
    LOG_LEVEL: 'silent',
    SECRET_KEY: opts.secret ?? TEST_SECRET,
    ...opts.env,
  });
  const box = new SecretBox(config.secretKey!);
  const app = await createApp({
    config,
    db: opts.db,
    box,
    clock: opts.clock,
    delivery: opts.delivery,
    methods: opts.methods,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  });
  app.setLocalUrl(`http://127.0.0.1:${port}`);
  server.on('request', app.handler);
  return {
    url: issuer,
    issuer,
    app,
    box,
    db: opts.db,
    stop: async () => {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

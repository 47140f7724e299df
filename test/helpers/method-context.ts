import crypto from 'node:crypto';
import { adminAlerts } from '../../src/account/alerts.ts';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/knex.ts';
import { createDelivery } from '../../src/delivery/index.ts';
import { createEmailViews } from '../../src/delivery/templates.ts';
import type { Delivery } from '../../src/delivery/types.ts';
import { createLogger } from '../../src/logger.ts';
import type { MethodContext } from '../../src/methods/types.ts';
import { defaultPolicy, type Policy } from '../../src/policy/settings.ts';
import { SecretBox } from '../../src/security/secrets.ts';

/** A MethodContext over a real database, for testing one method on its own. */
export function methodContext(opts: {
  db: Db;
  clock: Clock;
  box?: SecretBox;
  policy?: Partial<Policy>;
  delivery?: Delivery;
  ip?: string;
  locale?: 'en' | 'ja';
}): MethodContext {
  const config = loadConfig({ ISSUER: 'http://localhost:3000' });
  const policy = { ...defaultPolicy(), ...opts.policy };
  const box = opts.box ?? new SecretBox(crypto.randomBytes(32));
  return {
    db: opts.db,
    box,
    clock: opts.clock,
    config,
    rp: { id: 'localhost', origin: 'http://localhost:3000', name: policy.organizationName },
    organizationName: policy.organizationName,
    policy,
    delivery:
      opts.delivery ??
      createDelivery({ db: opts.db, logger: createLogger('silent'), config, clock: opts.clock }),
    emails: createEmailViews(false),
    alerts: adminAlerts({ db: opts.db, box, clock: opts.clock, config }),
    request: { ip: opts.ip ?? '127.0.0.1', locale: opts.locale ?? 'en' },
  };
}

import type Provider from 'oidc-provider';
import type { Notices, RequestMeta } from '../account/types.ts';
import type { Clock } from '../clock.ts';
import type { Config, Locale } from '../config.ts';
import type { Db } from '../db/knex.ts';
import type { Delivery } from '../delivery/index.ts';
import type { EmailViews } from '../delivery/templates.ts';
import type { Branding } from '../http/branding.ts';
import type { Metrics } from '../http/metrics.ts';
import type { Views } from '../http/views.ts';
import type { Translate } from '../i18n/index.ts';
import type { Logger } from '../logger.ts';
import type { Passkeys } from '../methods/index.ts';
import type { MethodRegistry } from '../methods/registry.ts';
import type { MethodContext } from '../methods/types.ts';
import type { BackchannelDelivery } from '../oidc/backchannel.ts';
import type { ClientCache } from '../oidc/clients.ts';
import type { KeySet } from '../oidc/keys.ts';
import type { Policy } from '../policy/settings.ts';
import type { Pow } from '../security/pow.ts';
import type { SecretBox } from '../security/secrets.ts';

/*
 * The container's contract: what flows get from the composition root (src/app/container.ts). Types
 * only, and a leaf: it imports no flow, so flows import it without a cycle through the root.
 */

export type { Notices, RequestMeta };

export interface AppDeps {
  config: Config;
  db: Db;
  box: SecretBox;
  clock: Clock;
  logger: Logger;
  views: Views;
  /** Delivery's email templates (the notice worker and the email method render with them). */
  emails: EmailViews;
  metrics: Metrics;
  clients: ClientCache;
  provider(): Provider;
  keySet(): KeySet;
  issuerOrigin: string;
  secureCookies: boolean;
  localUrl(): string;
  methods: MethodRegistry;
  /** Passwordless sign-in; undefined when no method offers it. */
  passkeys: Passkeys | undefined;
  /** The administrator policy, read per use so that a change takes effect at once on every instance. */
  policy(): Promise<Policy>;
  methodContext(policy: Policy, request?: { ip: string; locale: Locale }): MethodContext;
  translatorFor(user: { locale: string | null }): Translate;
  notices: Notices;
  delivery: Delivery;
  /** The proof-of-work check in front of the reset flow. */
  pow: Pow;
  /** Back-channel logout delivery (background, retried, audited). */
  backchannel: BackchannelDelivery;
  /** Organization name, logo and accent colour for every page (one cache per app). */
  branding: Branding;
}

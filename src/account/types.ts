import type { Clock } from '../clock.ts';
import type { Db } from '../db/knex.ts';
import type { Translate } from '../i18n/index.ts';
import type { MethodRegistry } from '../methods/registry.ts';
import type { BackchannelDelivery } from '../oidc/backchannel.ts';
import type { Policy } from '../policy/settings.ts';
import type { User } from '../store/users.ts';

/** Where a request came from, as the request saw it: recorded with audit events and shown in notices. */
export interface RequestMeta {
  ip: string;
  userAgent: string;
  /** The language of the flow's pages (ui_locales, the language switch): notices it causes use it. */
  locale?: string;
}

/**
 * The notices flows send. Each only queues (src/account/notices.ts): the background worker sends, with
 * retries, so a request never waits for mail and a mail outage loses nothing.
 */
export interface Notices {
  securityInfoChanged(
    user: User,
    change: 'added' | 'removed' | 'default_changed',
    label: string,
    meta: RequestMeta,
  ): Promise<boolean>;
  passwordChanged(user: User, meta: RequestMeta): Promise<boolean>;
  /** After a reset: every address the user registered (profile and alternate email). */
  passwordReset(user: User, meta: RequestMeta, first?: boolean): Promise<number>;
  /** After an administrator's reset: the other administrators. */
  adminPasswordReset(user: User, meta: RequestMeta): Promise<number>;
  /**
   * "Contact an administrator" for the user ID as typed, known or not: the same work either way; the
   * worker finds the account and its recipients (the address the policy names, the helpdesk, else
   * the administrators).
   */
  helpdesk(login: string, meta: RequestMeta): Promise<void>;
  /** Too many failed second-factor attempts locked signing in until `until`. */
  secondFactorLocked(user: User, until: Date, meta: RequestMeta): Promise<boolean>;
}

/**
 * What the account layer needs of the application (AppDeps of src/app/deps.ts has all of it), so
 * a flow, the CLI or a test can hand it the narrow slice it has.
 */
export interface AccountDeps {
  db: Db;
  clock: Clock;
  methods: MethodRegistry;
  /** The administrator policy, read per use. */
  policy(): Promise<Policy>;
  notices: Notices;
  translatorFor(user: { locale: string | null }): Translate;
  /** Back-channel logout delivery for the sessions a password change ends. */
  backchannel: BackchannelDelivery;
}

import type { Clock } from '../clock.ts';
import type { Config, Locale } from '../config.ts';
import type { Db } from '../db/knex.ts';
import { type Delivery, DeliveryError } from '../delivery/index.ts';
import { type EmailData, formatDateTime, oneLine, renderEmail, timeZoneOf } from '../delivery/templates.ts';
import type { Views } from '../http/views.ts';
import { isLocale, type MessageKey } from '../i18n/index.ts';
import type { Logger } from '../logger.ts';
import { policyFromSettings } from '../policy/settings.ts';
import { readSettings } from '../store/settings.ts';
import type { User } from '../store/users.ts';

/** What the notices need; AppDeps has all of it. */
export interface NoticeDeps {
  db: Db;
  views: Views;
  delivery: Delivery;
  clock: Clock;
  config: Config;
  /** When given, a message that could not be delivered is logged here. */
  logger?: Logger;
}

/** Where the change came from, as the request saw it. */
export interface RequestMeta {
  ip: string | null | undefined;
  userAgent: string | null | undefined;
}

export type SecurityInfoChange = 'added' | 'removed' | 'default_changed';

const SECURITY_INFO: Record<
  SecurityInfoChange,
  { subjectKey: MessageKey; bodyKey: MessageKey; purpose: string }
> = {
  added: {
    subjectKey: 'notice.securityInfo.added.subject',
    bodyKey: 'notice.securityInfo.added.body',
    purpose: 'notice.security_info_added',
  },
  removed: {
    subjectKey: 'notice.securityInfo.removed.subject',
    bodyKey: 'notice.securityInfo.removed.body',
    purpose: 'notice.security_info_removed',
  },
  default_changed: {
    subjectKey: 'notice.securityInfo.defaultChanged.subject',
    bodyKey: 'notice.securityInfo.defaultChanged.body',
    purpose: 'notice.security_info_default_changed',
  },
};

/**
 * Tells the user by email that security info was added, removed or made the default. `methodLabel`
 * is the method's masked label in the user's language. Returns whether a message was queued: false
 * when the user has no profile email or the message could not be handed over.
 */
export async function notifySecurityInfoChanged(
  deps: NoticeDeps,
  user: User,
  change: SecurityInfoChange,
  methodLabel: string,
  meta: RequestMeta,
): Promise<boolean> {
  const kind = SECURITY_INFO[change];
  return sendNotice(deps, user, meta, 'notice-security-info', kind.purpose, {
    subjectKey: kind.subjectKey,
    bodyKey: kind.bodyKey,
    method: oneLine(methodLabel, 120),
    portalUrl: `${deps.config.issuer}/my/security-info`,
  });
}

/** Tells the user by email that their password was changed. Returns whether a message was queued. */
export async function notifyPasswordChanged(
  deps: NoticeDeps,
  user: User,
  meta: RequestMeta,
): Promise<boolean> {
  return sendNotice(deps, user, meta, 'notice-password-changed', 'notice.password_changed', {
    subjectKey: 'notice.passwordChanged.subject',
    resetUrl: `${deps.config.issuer}/reset`,
  });
}

/**
 * Tells the user that signing in is locked after too many failed second-factor attempts (someone
 * knows the password), and until when. Returns whether a message was queued.
 */
export async function notifySecondFactorLocked(
  deps: NoticeDeps,
  user: User,
  until: Date,
  meta: RequestMeta,
): Promise<boolean> {
  const locale = userLocale(user, deps.config);
  return sendNotice(deps, user, meta, 'notice-second-factor-locked', 'notice.second_factor_locked', {
    subjectKey: 'notice.secondFactorLocked.subject',
    until: formatDateTime(until, locale, timeZoneOf(deps.config.organizationCountry)),
    resetUrl: `${deps.config.issuer}/reset`,
  });
}

/**
 * Tells the user that their password was reset, at every address they registered (the profile
 * address and an alternate email given as security info). Returns how many messages were queued.
 */
export async function notifyPasswordReset(
  deps: NoticeDeps,
  user: User,
  meta: RequestMeta,
  addresses: readonly string[],
): Promise<number> {
  let sent = 0;
  for (const to of new Set(addresses.map((a) => a.trim().toLowerCase()).filter(Boolean))) {
    const ok = await sendNotice(
      deps,
      user,
      meta,
      'notice-password-reset',
      'notice.password_reset',
      { subjectKey: 'notice.passwordReset.subject', resetUrl: `${deps.config.issuer}/reset` },
      to,
    );
    if (ok) sent++;
  }
  return sent;
}

/** Tells administrators (each in their own language) that an administrator's password was reset. */
export async function notifyAdminsOfAdminReset(
  deps: NoticeDeps,
  subject: User,
  admins: readonly User[],
  meta: RequestMeta,
): Promise<number> {
  let sent = 0;
  for (const admin of admins) {
    if (admin.id === subject.id || !admin.email) continue;
    const ok = await sendNotice(deps, admin, meta, 'notice-admin-reset', 'notice.admin_password_reset', {
      subjectKey: 'notice.adminReset.subject',
      subjectParams: { login: oneLine(subject.login, 100) },
      subjectLogin: oneLine(subject.login, 100),
    });
    if (ok) sent++;
  }
  return sent;
}

/** "Contact an administrator": the helpdesk recipients learn which account asked, and when. */
export async function notifyHelpdesk(
  deps: NoticeDeps,
  recipients: readonly User[],
  login: string,
  meta: RequestMeta,
  toAddress?: string,
): Promise<number> {
  let sent = 0;
  const targets: Array<{ user: User; to?: string }> = toAddress
    ? [
        {
          user: recipients[0] ?? ({ login: 'helpdesk', displayName: '', locale: null } as User),
          to: toAddress,
        },
      ]
    : recipients.filter((r) => r.email).map((user) => ({ user }));
  for (const { user, to } of targets) {
    const ok = await sendNotice(
      deps,
      user,
      meta,
      'notice-contact-admin',
      'notice.contact_admin',
      {
        subjectKey: 'notice.contactAdmin.subject',
        subjectParams: { login: oneLine(login, 100) },
        requester: oneLine(login, 100),
      },
      to,
    );
    if (ok) sent++;
  }
  return sent;
}

/** The user's language for messages: their own setting when it is one we have, else the default. */
export function userLocale(user: User, config: Config): Locale {
  return isLocale(user.locale) ? user.locale : config.defaultLocale;
}

async function sendNotice(
  deps: NoticeDeps,
  user: User,
  meta: RequestMeta,
  template: string,
  purpose: string,
  data: EmailData,
  toAddress?: string,
): Promise<boolean> {
  const to = (toAddress ?? user.email)?.trim();
  if (!to) return false;
  const locale = userLocale(user, deps.config);
  const policy = policyFromSettings(await readSettings(deps.db));
  const email = renderEmail(deps.views, locale, template, {
    ...data,
    org: policy.organizationName,
    logoUrl: policy.logoUrl,
    accentColor: policy.accentColor,
    name: oneLine(user.displayName || user.login, 100),
    login: oneLine(user.login, 100),
    when: formatDateTime(deps.clock.now(), locale, timeZoneOf(deps.config.organizationCountry)),
    ip: oneLine(meta.ip ?? '', 64),
    device: oneLine(meta.userAgent ?? '', 200),
    contact: policy.helpdeskContact === 'default' ? null : policy.helpdeskContact,
  });
  try {
    await deps.delivery.send({
      channel: 'email',
      to,
      locale,
      subject: email.subject,
      text: email.text,
      html: email.html,
      purpose,
    });
    return true;
  } catch (err) {
    // A notice that cannot go out must not undo the change the user just made.
    if (!(err instanceof DeliveryError)) throw err;
    deps.logger?.warn({ failure: err.code, purpose }, 'notice not delivered');
    return false;
  }
}

import type { Clock } from '../clock.ts';
import type { Config, Locale } from '../config.ts';
import type { Db, Tx } from '../db/knex.ts';
import { type Delivery, DeliveryError } from '../delivery/index.ts';
import { openQueued, type QueuedEmail, queueEmail, queueNotice } from '../delivery/queue.ts';
import {
  type EmailData,
  type EmailViews,
  formatDateTime,
  oneLine,
  renderEmail,
  timeZoneOf,
} from '../delivery/templates.ts';
import { isLocale, type MessageKey } from '../i18n/index.ts';
import type { Logger } from '../logger.ts';
import { CONTACT_RULE } from '../policy/counters.ts';
import { policyFromSettings } from '../policy/settings.ts';
import { countEvent } from '../security/counters.ts';
import type { SecretBox } from '../security/secrets.ts';
import {
  type ClaimedNotice,
  claimDueNotices,
  markNoticeFailed,
  markNoticeSent,
} from '../store/notice-queue.ts';
import { readSettings } from '../store/settings.ts';
import { findUserByLogin, listUsersWithRole, type User } from '../store/users.ts';
import { auditOwn } from './audit.ts';

/** What the notices need; AppDeps has all of it. */
export interface NoticeDeps {
  db: Db;
  /** Delivery's email templates (made once by the container). */
  emails: EmailViews;
  delivery: Delivery;
  clock: Clock;
  config: Config;
  /** Seals queued payloads (recipients, IPs) under SECRET_KEY. */
  box: SecretBox;
  /** When given, retries and notices that finally failed are logged here. */
  logger?: Logger;
}

/** Where the change came from, as the request saw it. */
export interface RequestMeta {
  ip: string | null | undefined;
  userAgent: string | null | undefined;
  /** The language of the flow's pages: the notice is written in it (else the user's own setting). */
  locale?: string;
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
 * when the user has no profile email.
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

export type OrganizationMethodChange = 'added' | 'replaced' | 'removed';

/**
 * Tells the user that an administrator added, replaced or removed a contact method on their account
 * ("added by your organisation"). Needs only the queue, so the CLI sends it too. Returns whether a
 * message was queued: false when the user has no profile email.
 */
export async function notifyOrganizationMethodChanged(
  deps: Pick<NoticeDeps, 'db' | 'box' | 'clock' | 'config'>,
  user: User,
  change: OrganizationMethodChange,
  methodLabel: string,
  meta: RequestMeta,
): Promise<boolean> {
  return sendNotice(deps, user, meta, 'notice-security-info', `notice.organization_method_${change}`, {
    subjectKey: `notice.orgMethod.${change}.subject` as MessageKey,
    bodyKey: `notice.orgMethod.${change}.body` as MessageKey,
    method: oneLine(methodLabel, 120),
    portalUrl: `${deps.config.issuer}/my/security-info`,
  });
}

/**
 * The notice of notifyOrganizationMethodChanged as an email to queue (the CSV import queues a
 * batch's notices in one insert); undefined when the user has no address.
 */
export function organizationMethodEmail(
  deps: Pick<NoticeDeps, 'clock' | 'config'>,
  user: User,
  change: OrganizationMethodChange,
  methodLabel: string,
  meta: RequestMeta,
): QueuedEmail | undefined {
  return noticeEmail(deps, user, meta, 'notice-security-info', `notice.organization_method_${change}`, {
    subjectKey: `notice.orgMethod.${change}.subject` as MessageKey,
    bodyKey: `notice.orgMethod.${change}.body` as MessageKey,
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
  const locale = noticeLocale(user, meta, deps.config);
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
  /** The user had no password yet and set a first one: the notice says "set", not "reset". */
  first = false,
): Promise<number> {
  let sent = 0;
  for (const to of new Set(addresses.map((a) => a.trim().toLowerCase()).filter(Boolean))) {
    const ok = await sendNotice(
      deps,
      user,
      meta,
      first ? 'notice-password-set' : 'notice-password-reset',
      first ? 'notice.password_set' : 'notice.password_reset',
      first
        ? { subjectKey: 'notice.passwordSet.subject', signInUrl: `${deps.config.issuer}/my/security-info` }
        : { subjectKey: 'notice.passwordReset.subject', resetUrl: `${deps.config.issuer}/reset` },
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

/**
 * The language of a notice a flow caused: the flow's own (the pages the person was reading), else
 * the user's setting, else the default. A reset done in Japanese sends a Japanese notice.
 */
export function noticeLocale(user: User, meta: RequestMeta, config: Config): Locale {
  return isLocale(meta.locale) ? meta.locale : userLocale(user, config);
}

/** The user's language for messages: their own setting when it is one we have, else the default. */
export function userLocale(user: User, config: Config): Locale {
  return isLocale(user.locale) ? user.locale : config.defaultLocale;
}

/**
 * Queues one notice email to `toAddress` or the user's profile email, rendered later by the worker
 * in the user's language. The time, IP and device are those of the event (now). Returns whether a
 * message was queued: false when there is no address.
 */
async function sendNotice(
  deps: Pick<NoticeDeps, 'db' | 'box' | 'clock' | 'config'>,
  user: User,
  ...notice: Notice
): Promise<boolean> {
  const email = noticeEmail(deps, user, ...notice);
  if (!email) return false;
  await queueEmail(deps, email, user.id ?? null);
  return true;
}

/**
 * One notice: the request of the event, the email template, the message's purpose, the template's
 * data, and the address (default: the user's profile email).
 */
type Notice = [meta: RequestMeta, template: string, purpose: string, data: EmailData, toAddress?: string];

/** The email a notice would queue, or undefined when the user has no address. */
function noticeEmail(
  deps: Pick<NoticeDeps, 'clock' | 'config'>,
  user: User,
  ...[meta, template, purpose, data, toAddress]: Notice
): QueuedEmail | undefined {
  const to = (toAddress ?? user.email)?.trim();
  if (!to) return undefined;
  const locale = noticeLocale(user, meta, deps.config);
  return {
    to,
    locale,
    template,
    purpose,
    data: {
      ...data,
      name: oneLine(user.displayName || user.login, 100),
      login: oneLine(user.login, 100),
      when: formatDateTime(deps.clock.now(), locale, timeZoneOf(deps.config.organizationCountry)),
      ip: oneLine(meta.ip ?? '', 64),
      device: oneLine(meta.userAgent ?? '', 200),
    },
  };
}

// ------------------------------------------------------------------------------------------------
// "Contact an administrator"

/** A contact request as queued: only what the user typed and where the request came from. */
interface ContactRequest {
  login: string;
  ip: string | null;
  userAgent: string | null;
}

/** At most one contact request per account per hour reaches the helpdesk. */
export const CONTACT_PURPOSE = 'contact.request';

/**
 * "Contact an administrator", as the request sees it: one row in the queue, whatever the user ID.
 * Whether the account exists, whether it asked within the hour and who is told is decided by the
 * worker (resolveContactRequest), so the answer takes the same time and does the same database work
 * for a real account and an unknown one.
 */
export async function requestHelpdeskContact(
  deps: NoticeDeps,
  login: string,
  meta: RequestMeta,
): Promise<void> {
  const job: ContactRequest = {
    login: login.slice(0, 256),
    ip: meta.ip ? oneLine(meta.ip, 64) : null,
    userAgent: meta.userAgent ? oneLine(meta.userAgent, 512) : null,
  };
  await queueNotice(deps, 'contact', CONTACT_PURPOSE, job);
}

/**
 * The worker's half of a contact request, in the transaction that finishes the job: an unknown user
 * ID, or an account that already asked within the hour, ends here with nothing sent. Otherwise the
 * request is counted and audited and one email per recipient is queued: the address the policy
 * names, else the active helpdesk users with an email, else the active administrators.
 */
async function resolveContactRequest(deps: NoticeDeps, trx: Tx, job: ClaimedNotice): Promise<number> {
  const req = openQueued<ContactRequest>(deps.box, job.payload);
  const user = await findUserByLogin(trx, req.login);
  if (!user) return 0;
  const now = deps.clock.now();
  const key = `reset.contact:${req.login.normalize('NFKC').toLowerCase()}`;
  // Once an hour per account: the counter reserves the slot or refuses, in this transaction.
  const counted = await countEvent(
    { db: trx, clock: { now: () => now } },
    { key, rule: CONTACT_RULE, userId: user.id },
  );
  if (!counted.ok) return 0;
  const meta: RequestMeta = { ip: req.ip, userAgent: req.userAgent };
  await auditOwn(trx, job.createdAt, user.id, meta, {
    activity: 'reset.attempt',
    result: 'contacted_admin',
  });
  // The emails say when the user asked, not when the worker got to it.
  const at: NoticeDeps = { ...deps, db: trx as Db, clock: { now: () => job.createdAt } };
  const setting = policyFromSettings(await readSettings(trx)).helpdeskContact;
  if (setting.includes('@') && !/^https?:/.test(setting)) {
    return notifyHelpdesk(at, [], user.login, meta, setting);
  }
  const active = (u: User) => u.status === 'active' && !!u.email;
  const helpdesk = (await listUsersWithRole(trx, 'helpdesk')).filter(active);
  const recipients = helpdesk.length ? helpdesk : (await listUsersWithRole(trx, 'admin')).filter(active);
  return notifyHelpdesk(at, recipients, user.login, meta);
}

// ------------------------------------------------------------------------------------------------
// The worker

/** Tries per notice before it is given up as failed (the first try included). */
export const NOTICE_MAX_ATTEMPTS = 10;
/** The wait after the first failed try; it doubles after each further one, up to NOTICE_RETRY_MAX_MS. */
export const NOTICE_RETRY_BASE_MS = 30_000;
export const NOTICE_RETRY_MAX_MS = 3600_000;
/** How long a claimed row is left to its worker before another may take it (a worker that died). */
export const NOTICE_LEASE_MS = 5 * 60_000;
// Small batches: every row of a batch must be tried within the lease, and one send may take up to
// the Delivery's 20-second limit.
const BATCH = 5;
const MAX_BATCHES = 40;

/** The wait before try `attempts + 1`, after `attempts` failed tries: 30 s, 1 min, 2 min, ... 1 h. */
export function noticeRetryDelay(attempts: number): number {
  return Math.min(NOTICE_RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), NOTICE_RETRY_MAX_MS);
}

export interface DeliveryRun {
  /** Emails handed to the Delivery, and contact requests resolved. */
  sent: number;
  /** Tries that failed and were put back for later. */
  retried: number;
  /** Notices given up on: they show to administrators as failed. */
  failed: number;
}

/**
 * Sends every due notice: claims rows (FOR UPDATE SKIP LOCKED, so instances share the work), renders
 * each email with the branding of now, sends it through the Delivery, and records the outcome. A
 * failed try is retried with exponential backoff, NOTICE_MAX_ATTEMPTS times in all; a refused
 * recipient is not retried. Emails queued by a contact request are sent in the same run.
 */
export async function deliverNotices(deps: NoticeDeps): Promise<DeliveryRun> {
  const run: DeliveryRun = { sent: 0, retried: 0, failed: 0 };
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const claimed = await claimDueNotices(deps.db, deps.clock.now(), BATCH, NOTICE_LEASE_MS);
    if (!claimed.length) break;
    for (const job of claimed) await deliverOne(deps, job, run);
  }
  return run;
}

async function deliverOne(deps: NoticeDeps, job: ClaimedNotice, run: DeliveryRun): Promise<void> {
  try {
    if (job.kind === 'contact') {
      await deps.db.transaction(async (trx) => {
        await resolveContactRequest(deps, trx, job);
        if (!(await markNoticeSent(trx, job, deps.clock.now()))) throw new LostClaim();
      });
    } else {
      const email = openQueued<QueuedEmail>(deps.box, job.payload);
      const policy = policyFromSettings(await readSettings(deps.db));
      const rendered = renderEmail(deps.emails, email.locale, email.template, {
        ...email.data,
        org: policy.organizationName,
        logoUrl: policy.logoUrl,
        accentColor: policy.accentColor,
        contact: policy.helpdeskContact === 'default' ? null : policy.helpdeskContact,
      });
      await deps.delivery.send({
        channel: 'email',
        to: email.to,
        locale: email.locale,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        purpose: job.purpose,
      });
      await markNoticeSent(deps.db, job, deps.clock.now());
    }
    run.sent++;
  } catch (err) {
    if (err instanceof LostClaim) return;
    const known = err instanceof DeliveryError;
    const reason = known ? `${err.code}: ${err.message}` : 'internal error';
    const now = deps.clock.now();
    const again = (!known || err.retryable) && job.attempts < NOTICE_MAX_ATTEMPTS;
    const retryAt = again ? new Date(now.getTime() + noticeRetryDelay(job.attempts)) : undefined;
    await markNoticeFailed(deps.db, job, reason.slice(0, 500), now, retryAt);
    const log = { noticeId: job.id, purpose: job.purpose, attempts: job.attempts, failure: reason };
    if (!known) deps.logger?.error({ ...log, err }, 'notice could not be processed');
    if (again) {
      run.retried++;
      deps.logger?.info({ ...log, retryAt }, 'notice not delivered; will retry');
    } else {
      run.failed++;
      deps.logger?.warn(log, 'notice not delivered; given up');
    }
  }
}

/** Another worker took the row over (this one outlived its lease): its outcome is not ours to record. */
class LostClaim extends Error {}

import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/knex.ts';
import { queueEmail } from '../delivery/queue.ts';
import { formatDateTime, oneLine, timeZoneOf } from '../delivery/templates.ts';
import { isLocale } from '../i18n/index.ts';
import type { LimitAlerts } from '../security/rate-limits.ts';
import type { SecretBox } from '../security/secrets.ts';
import { listUsersWithRole } from '../store/users.ts';

/** What the administrator alerts need. */
export interface AlertDeps {
  db: Db;
  box: SecretBox;
  clock: Clock;
  config: Config;
}

/**
 * Alerts for administrators, injected into the sending limits (security/rate-limits.ts decides when,
 * once per pause; this decides who and what). They go through the notice queue, so a mail outage
 * delays them instead of losing them.
 */
export function adminAlerts(deps: AlertDeps): LimitAlerts {
  return {
    /** Every active administrator with a profile email hears that phone channels are paused. */
    async phoneBudgetPaused(until, budget) {
      const admins = (await listUsersWithRole(deps.db, 'admin')).filter(
        (u) => u.status === 'active' && u.email?.trim(),
      );
      for (const admin of admins) {
        const locale = isLocale(admin.locale) ? admin.locale : deps.config.defaultLocale;
        await queueEmail(
          deps,
          {
            to: admin.email!.trim(),
            locale,
            template: 'phone-budget-alert',
            purpose: 'alert.phone_budget',
            data: {
              subjectKey: 'phone.alert.subject',
              name: oneLine(admin.displayName || admin.login, 100),
              budget,
              until: formatDateTime(until, locale, timeZoneOf(deps.config.organizationCountry)),
              settingsUrl: `${deps.config.issuer}/admin/`,
            },
          },
          admin.id,
        );
      }
    },
  };
}

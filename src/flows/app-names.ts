import type { Translate } from '../i18n/index.ts';
import { ADMIN_CLIENT_ID, DEMO_CLIENT_ID, PORTAL_CLIENT_ID } from '../oidc/builtin-clients.ts';

/**
 * The names people see for the built-in applications follow the organization's name and the page's
 * language ("Acme account", "Acme デモ"); the name stored with the client is only its default.
 */
export function builtinAppName(clientId: string | undefined, t: Translate, org: string): string | undefined {
  if (clientId === PORTAL_CLIENT_ID) return t('appName.portal', { org });
  if (clientId === DEMO_CLIENT_ID) return t('appName.demo', { org });
  if (clientId === ADMIN_CLIENT_ID) return t('appName.admin', { org });
  return undefined;
}

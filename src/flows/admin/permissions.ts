import { AppError } from '../../http/errors.ts';

/**
 * What an administrator may do. Administrators (and automation clients holding the `admin` scope)
 * may do everything; the helpdesk may look up users, unlock them and read contact requests, and
 * may not change policy, groups or clients.
 */
export const PERMISSIONS = [
  'policy.read',
  'policy.write',
  'users.read',
  'users.write',
  'users.unlock',
  'groups.read',
  'groups.write',
  'clients.read',
  'clients.write',
  'audit.read',
  'reports.read',
  'contacts.read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const HELPDESK: readonly Permission[] = ['users.read', 'users.unlock', 'contacts.read'];

export function permissionsForRoles(roles: readonly string[]): Set<Permission> {
  if (roles.includes('admin')) return new Set(PERMISSIONS);
  if (roles.includes('helpdesk')) return new Set(HELPDESK);
  return new Set();
}

/** Who performs an administrative action; recorded as the actor of its audit event. */
export interface Actor {
  /** A user id, `client:<client_id>` for an automation client, or `cli`. */
  id: string;
  kind: 'user' | 'client' | 'cli';
  /** What is shown for the actor (login or client id). */
  label: string;
  permissions: ReadonlySet<Permission>;
  via: 'api' | 'console' | 'cli' | 'scim';
  ip?: string | null;
  userAgent?: string | null;
}

export const cliActor = (): Actor => ({
  id: 'cli',
  kind: 'cli',
  label: 'cli',
  permissions: new Set(PERMISSIONS),
  via: 'cli',
});

export function can(actor: Actor, p: Permission): boolean {
  return actor.permissions.has(p);
}

export function requirePermission(actor: Actor, p: Permission): void {
  if (!can(actor, p)) throw new AppError('forbidden', 403, 'admin.error.forbidden');
}

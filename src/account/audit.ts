import type { Tx } from '../db/knex.ts';
import { type AuditEvent, recordAudit } from '../store/audit.ts';

/**
 * The audit event of what a user did to their own account (actor and subject both the user), with
 * the request it came from (`meta`; undefined when no request of the user's caused it).
 */
export function auditOwn(
  db: Tx,
  at: Date,
  userId: string,
  meta: Pick<AuditEvent, 'ip' | 'userAgent'> | undefined,
  e: Pick<AuditEvent, 'activity' | 'result' | 'reason' | 'details'>,
): Promise<void> {
  return recordAudit(db, {
    at,
    actorId: userId,
    subjectId: userId,
    ...e,
    ip: meta?.ip,
    userAgent: meta?.userAgent,
  });
}

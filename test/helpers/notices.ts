import { type DeliveryRun, deliverNotices, type NoticeDeps } from '../../src/account/notices.ts';
import type { TobiraApp } from '../../src/app.ts';
import { createEmailViews, type EmailViews } from '../../src/delivery/templates.ts';

type WorkerTarget = { app: TobiraApp } | TobiraApp | (Omit<NoticeDeps, 'emails'> & { emails?: EmailViews });

/**
 * Runs the notice worker once, as the background timer would: every due notice is sent (or put back
 * for a retry). Requests only queue notices, so a test reads the SMTP peer or the outbox after this.
 * Takes a test server, an app, or the deps a test gave the notice functions (a MethodContext too).
 */
export function deliverQueuedNotices(target: WorkerTarget): Promise<DeliveryRun> {
  if ('app' in target) return target.app.deliverNotices();
  if ('deliverNotices' in target) return target.deliverNotices();
  return deliverNotices({ emails: createEmailViews(false), ...target });
}

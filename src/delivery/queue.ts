import type { Clock } from '../clock.ts';
import type { Locale } from '../config.ts';
import type { Tx } from '../db/knex.ts';
import type { SecretBox } from '../security/secrets.ts';
import { enqueueNotice, enqueueNotices, type NoticeKind } from '../store/notice-queue.ts';
import type { EmailData } from './templates.ts';

/*
 * Putting notices into the durable queue (src/store/notice-queue.ts). Nothing here sends: the worker
 * in src/account/notices.ts renders and sends each row through the Delivery, with retries. Payloads
 * are sealed under SECRET_KEY, since they hold addresses and the IP and device of a request.
 */

const SEAL = 'notice-queue';

export interface QueueDeps {
  /** The database, or the transaction of the event the notice is about. */
  db: Tx;
  box: SecretBox;
  clock: Clock;
}

/** One email waiting in the queue: rendered from `template` when it is sent, with the branding then. */
export interface QueuedEmail {
  to: string;
  locale: Locale;
  /** views/emails/<template>.{html,text}.eta */
  template: string;
  purpose: string;
  /** Everything the template needs except the branding (org, logoUrl, accentColor, contact). */
  data: EmailData;
}

/** Queues a job of any kind; the worker opens `payload` with openQueued. */
export function queueNotice(
  q: QueueDeps,
  kind: NoticeKind,
  purpose: string,
  payload: unknown,
  userId: string | null = null,
): Promise<number> {
  const sealed = q.box.encrypt(SEAL, JSON.stringify(payload));
  return enqueueNotice(q.db, { kind, purpose, userId, payload: sealed }, q.clock.now());
}

/** Queues one email; `userId` names the account it is about (shown to administrators if it fails). */
export function queueEmail(q: QueueDeps, email: QueuedEmail, userId: string | null = null): Promise<number> {
  return queueNotice(q, 'email', email.purpose, email, userId);
}

/** Queues several emails in one insert (the CSV import's notices of one batch). */
export function queueEmails(
  q: QueueDeps,
  emails: ReadonlyArray<{ email: QueuedEmail; userId: string | null }>,
): Promise<void> {
  return enqueueNotices(
    q.db,
    emails.map(({ email, userId }) => ({
      kind: 'email' as const,
      purpose: email.purpose,
      userId,
      payload: q.box.encrypt(SEAL, JSON.stringify(email)),
    })),
    q.clock.now(),
  );
}

export function openQueued<T>(box: SecretBox, sealed: string): T {
  return JSON.parse(box.decryptString(SEAL, sealed)) as T;
}

import type { Tx } from '../db/knex.ts';
import { deleteInBatches, type SweepLimits } from './sweep.ts';

export type OutboxChannel = 'email' | 'sms' | 'voice';

export interface NewOutboxMessage {
  channel: OutboxChannel;
  recipient: string;
  locale: string;
  subject?: string | null;
  bodyText: string;
  bodyHtml?: string | null;
  purpose: string;
}

export interface OutboxMessage {
  id: number;
  channel: OutboxChannel;
  recipient: string;
  locale: string;
  subject: string | null;
  bodyText: string;
  bodyHtml: string | null;
  purpose: string;
  createdAt: Date;
}

function fromRow(r: any): OutboxMessage {
  return {
    id: Number(r.id),
    channel: r.channel,
    recipient: r.recipient,
    locale: r.locale,
    subject: r.subject,
    bodyText: r.body_text,
    bodyHtml: r.body_html,
    purpose: r.purpose,
    createdAt: new Date(r.created_at),
  };
}

/** Stores one message; returns its id. */
export async function insertOutbox(db: Tx, m: NewOutboxMessage, now: Date): Promise<number> {
  const [row] = await db('outbox')
    .insert({
      channel: m.channel,
      recipient: m.recipient,
      locale: m.locale,
      subject: m.subject ?? null,
      body_text: m.bodyText,
      body_html: m.bodyHtml ?? null,
      purpose: m.purpose,
      created_at: now,
    })
    .returning('id');
  return Number(row?.id ?? row);
}

/** Newest first; the id breaks ties between messages stored at the same instant. */
export async function listOutbox(db: Tx, limit = 100, recipient?: string): Promise<OutboxMessage[]> {
  const q = db('outbox').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (recipient !== undefined) q.where({ recipient });
  return (await q).map(fromRow);
}

/** The newest message to one recipient (tests read codes and notices from here). */
export async function latestOutboxTo(db: Tx, recipient: string): Promise<OutboxMessage | undefined> {
  const [m] = await listOutbox(db, 1, recipient);
  return m;
}

/** Messages are kept for a day: long enough to read a code or a notice, short enough not to pile up. */
export const OUTBOX_RETENTION_MS = 24 * 3600_000;

/** Deletes messages older than the retention; returns how many. */
export async function sweepOutbox(db: Tx, now: Date, limits?: SweepLimits): Promise<number> {
  const cutoff = new Date(now.getTime() - OUTBOX_RETENTION_MS);
  return deleteInBatches(db, 'outbox', 'id', (q) => q.where('created_at', '<', cutoff), limits);
}

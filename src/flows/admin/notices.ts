import { z } from 'zod';
import type { Tx } from '../../db/knex.ts';
import { listNotices, type NoticeRow, noticeQueueDepth } from '../../store/notice-queue.ts';
import { type Actor, requirePermission } from './permissions.ts';
import { pick } from './shared.ts';
import { parseOrThrow } from './validation.ts';

/*
 * The notice queue as administrators see it (API, console, CLI): how many notices wait, and the
 * ones that finally failed, with the reason. Recipients and bodies are never shown: a notice names
 * the account it concerns, its purpose and its tries.
 */

export const noticeQuerySchema = z.object({
  status: z.enum(['failed', 'pending']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
export type NoticeQuery = z.output<typeof noticeQuerySchema>;

export function parseNoticeQuery(raw: Record<string, unknown>): NoticeQuery {
  return parseOrThrow(
    noticeQuerySchema,
    Object.fromEntries(Object.entries(raw).filter(([k]) => k in noticeQuerySchema.shape)),
  );
}

export interface NoticeView {
  id: number;
  purpose: string;
  /** The account the notice was for (its recipient, or the account a contact request named). */
  userId: string | null;
  login: string | null;
  status: 'pending' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  /** Pending: when the next try is due. Failed: when it was given up. */
  nextTryAt: string | null;
  failedAt: string | null;
}

export interface NoticeList {
  depth: { pending: number; failed: number };
  notices: NoticeView[];
}

function view(n: NoticeRow): NoticeView {
  return {
    ...pick(n, 'id', 'purpose', 'userId', 'login'),
    status: n.status === 'failed' ? 'failed' : 'pending',
    ...pick(n, 'attempts', 'lastError'),
    createdAt: n.createdAt.toISOString(),
    nextTryAt: n.status === 'pending' ? n.dueAt.toISOString() : null,
    failedAt: n.status === 'failed' && n.finishedAt ? n.finishedAt.toISOString() : null,
  };
}

/** The queue depth and the notices of one status (failed by default), newest first. */
export async function listQueuedNotices(
  deps: { db: Tx },
  actor: Actor,
  q: NoticeQuery = {},
): Promise<NoticeList> {
  requirePermission(actor, 'audit.read');
  const rows = await listNotices(deps.db, q.status ?? 'failed', q.limit ?? 100);
  return { depth: await noticeQueueDepth(deps.db), notices: rows.map(view) };
}

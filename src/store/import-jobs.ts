import type { Tx } from '../db/knex.ts';
import { deleteInBatches, type SweepLimits } from './sweep.ts';

/* The CSV import's jobs (table import_jobs): state and progress, readable from any instance. */

export type ImportJobState = 'running' | 'done' | 'failed';

export interface ImportCounts {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

export interface ImportJob extends ImportCounts {
  id: string;
  actorId: string | null;
  dryRun: boolean;
  state: ImportJobState;
  errors: Array<{ line: number; column: string; key: string; params?: Record<string, unknown> }>;
  truncated: boolean;
  failure: { key: string; params?: Record<string, unknown> } | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function fromRow(r: any): ImportJob {
  return {
    id: r.id,
    actorId: r.actor_id,
    dryRun: r.dry_run,
    state: r.state,
    rows: r.rows,
    created: r.created,
    updated: r.updated,
    unchanged: r.unchanged,
    failed: r.failed,
    errors: json(r.errors) ?? [],
    truncated: r.truncated,
    failure: json(r.failure) ?? null,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    finishedAt: r.finished_at ? new Date(r.finished_at) : null,
  };
}

export async function createImportJob(
  db: Tx,
  j: { id: string; actorId: string | null; dryRun: boolean },
  now: Date,
): Promise<ImportJob> {
  const [row] = await db('import_jobs')
    .insert({
      id: j.id,
      actor_id: j.actorId,
      dry_run: j.dryRun,
      state: 'running',
      created_at: now,
      updated_at: now,
    })
    .returning('*');
  return fromRow(row);
}

const counts = (c: ImportCounts) => ({
  rows: c.rows,
  created: c.created,
  updated: c.updated,
  unchanged: c.unchanged,
  failed: c.failed,
});

/** After each batch: the counts so far (updated_at doubles as the job's heartbeat). */
export async function updateImportJobProgress(db: Tx, id: string, c: ImportCounts, now: Date): Promise<void> {
  await db('import_jobs')
    .where({ id, state: 'running' })
    .update({ ...counts(c), updated_at: now });
}

export async function finishImportJob(
  db: Tx,
  id: string,
  end: {
    state: 'done' | 'failed';
    counts?: ImportCounts;
    errors?: ImportJob['errors'];
    truncated?: boolean;
    failure?: ImportJob['failure'];
  },
  now: Date,
): Promise<void> {
  await db('import_jobs')
    .where({ id })
    .update({
      state: end.state,
      ...(end.counts ? counts(end.counts) : {}),
      errors: end.errors ? JSON.stringify(end.errors) : null,
      truncated: end.truncated ?? false,
      failure: end.failure ? JSON.stringify(end.failure) : null,
      updated_at: now,
      finished_at: now,
    });
}

export async function findImportJob(db: Tx, id: string): Promise<ImportJob | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const r = await db('import_jobs').where({ id }).first();
  return r ? fromRow(r) : undefined;
}

/** Import jobs are kept for 30 days: long enough to look a result up, short enough not to pile up. */
export const IMPORT_JOB_RETENTION_MS = 30 * 86_400_000;

/** Deletes import jobs older than the retention (by created_at, indexed); returns how many. */
export async function sweepImportJobs(db: Tx, now: Date, limits?: SweepLimits): Promise<number> {
  const cutoff = new Date(now.getTime() - IMPORT_JOB_RETENTION_MS);
  return deleteInBatches(db, 'import_jobs', 'id', (q) => q.where('created_at', '<', cutoff), limits);
}

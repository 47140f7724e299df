import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../http/errors.ts';
import type { MessageKey, Params } from '../../i18n/index.ts';
import {
  createImportJob,
  findImportJob,
  finishImportJob,
  updateImportJobProgress,
} from '../../store/import-jobs.ts';
import type { AdminDepsWithConfig } from './contacts.ts';
import { type Actor, requirePermission } from './permissions.ts';
import { importUsersCsv } from './users-import.ts';
import { FieldError } from './validation.ts';

/*
 * A CSV import as a job (issue 16): the upload is copied to a temporary file (at disk speed, so the
 * request ends at once), the job's row is created and the import runs in the background, writing
 * its counts after every batch. Any instance answers GET /api/admin/v1/imports/{id} from that row;
 * a running job whose counts have not moved for STALE_MS is reported "interrupted" (its process
 * stopped; the batches it wrote stay written, and importing the file again finishes the work).
 */

/** The largest upload a job takes (a 1,000,000-row file of ordinary rows is about 100 MB). */
export const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
export const STALE_MS = 5 * 60_000;

export type ImportJobState = 'running' | 'done' | 'failed' | 'interrupted';

export interface ImportJobView {
  id: string;
  state: ImportJobState;
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: Array<{ line: number; column: string; key: MessageKey; params?: Params }>;
  truncated: boolean;
  /** Why a failed job stopped. */
  failure: { key: MessageKey; params?: Params } | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** Jobs this process runs (tests and shutdown may wait for them). */
export const runningImports = new Set<Promise<void>>();

/** Copies an upload to a new temporary file, refusing more than MAX_UPLOAD_BYTES (413). */
export async function spoolUpload(source: AsyncIterable<string | Uint8Array> | NodeJS.ReadableStream) {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tobira-import-'));
  const file = path.join(dir, 'users.csv');
  let size = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > MAX_UPLOAD_BYTES)
        done(
          new FieldError(
            { file: { key: 'admin.import.tooLarge', params: { max: MAX_UPLOAD_BYTES / 1024 / 1024 } } },
            413,
          ),
        );
      else done(null, chunk);
    },
  });
  try {
    await pipeline(source as NodeJS.ReadableStream, limit, fs.createWriteStream(file, { mode: 0o600 }));
  } catch (e) {
    await fs.promises.rm(dir, { recursive: true, force: true });
    throw e;
  }
  return { file, dir };
}

/**
 * Starts importing a spooled file (which the job deletes when it ends). Returns at once with the
 * job as created; the job's row tells how it goes.
 */
export async function startImportJob(
  deps: AdminDepsWithConfig & { logger?: { error(o: object, msg: string): void } },
  actor: Actor,
  spooled: { file: string; dir: string },
  dryRun: boolean,
): Promise<ImportJobView> {
  requirePermission(actor, 'users.write');
  const id = crypto.randomUUID();
  let job: Awaited<ReturnType<typeof createImportJob>>;
  try {
    job = await createImportJob(deps.db, { id, actorId: actor.id, dryRun }, deps.clock.now());
  } catch (e) {
    await fs.promises.rm(spooled.dir, { recursive: true, force: true });
    throw e;
  }
  const run = (async () => {
    try {
      const r = await importUsersCsv(deps, actor, fs.createReadStream(spooled.file), {
        dryRun,
        onProgress: (p) => updateImportJobProgress(deps.db, id, p, deps.clock.now()),
      });
      await finishImportJob(
        deps.db,
        id,
        { state: 'done', counts: r, errors: r.errors, truncated: r.truncated },
        deps.clock.now(),
      );
    } catch (e) {
      const failure =
        e instanceof FieldError && e.fields.file
          ? { key: e.fields.file.key, params: e.fields.file.params }
          : { key: 'admin.import.job.internal' as MessageKey };
      if (!(e instanceof FieldError)) deps.logger?.error({ err: e, job: id }, 'import job failed');
      await finishImportJob(deps.db, id, { state: 'failed', failure }, deps.clock.now()).catch(() => {});
    } finally {
      await fs.promises.rm(spooled.dir, { recursive: true, force: true });
    }
  })();
  runningImports.add(run);
  void run.finally(() => runningImports.delete(run));
  return view(job, deps.clock.now());
}

export async function getImportJob(
  deps: AdminDepsWithConfig,
  actor: Actor,
  id: string,
): Promise<ImportJobView> {
  requirePermission(actor, 'users.write');
  const job = await findImportJob(deps.db, id);
  if (!job) throw new AppError('not_found', 404, 'admin.import.job.notFound');
  return view(job, deps.clock.now());
}

function view(job: NonNullable<Awaited<ReturnType<typeof findImportJob>>>, now: Date): ImportJobView {
  const stale = job.state === 'running' && now.getTime() - job.updatedAt.getTime() > STALE_MS;
  return {
    id: job.id,
    state: stale ? 'interrupted' : job.state,
    dryRun: job.dryRun,
    rows: job.rows,
    created: job.created,
    updated: job.updated,
    unchanged: job.unchanged,
    failed: job.failed,
    errors: job.errors as ImportJobView['errors'],
    truncated: job.truncated,
    failure: job.failure as ImportJobView['failure'],
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

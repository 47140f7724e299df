import type { Context } from 'koa';
import { z } from 'zod';
import { API_PREFIX, type ApiRoute, resourceApi, withRequest } from './api-route.ts';
import { getImportJob, type ImportJobView, spoolUpload, startImportJob } from './import-jobs.ts';
import { importUsersCsv, type RowError } from './users-import.ts';
import { FieldError } from './validation.ts';

/*
 * The admin API's CSV import (issue 16): POST /users/import answers when the file is done (fine for
 * small files); POST /imports answers 202 at once with a job to poll at GET /imports/{id} (rows
 * done, counts, and at the end every row error), for files of any size.
 */

export const importQuery = z.object({ dryRun: z.enum(['true', 'false']).optional() });

function checkType(ctx: Context) {
  const type = String(ctx.get('content-type') ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'text/csv' && type !== 'application/octet-stream' && type !== 'text/plain')
    throw new FieldError({ file: { key: 'admin.import.contentType' } }, 415, 'unsupported_media_type');
}

const dryRunOf = (ctx: Context) => {
  const q = importQuery.safeParse(ctx.query);
  return q.success && q.data.dryRun === 'true';
};

const translated = (ctx: Context, errors: readonly RowError[] | ImportJobView['errors']) =>
  errors.map((e) => ({ line: e.line, column: e.column, message: ctx.state.t(e.key, e.params) }));

const r = resourceApi('users', {
  importUsers:
    'Import users from a CSV body (text/csv), streamed in batches; answers when done. `dryRun=true` only checks and reports every row error with its line. For large files use POST /imports.',
  startUserImport:
    'Start importing users from a CSV body (text/csv, up to 256 MB) as a job: answers 202 with the job and its Location at once; poll GET /imports/{id} for progress. `dryRun=true` only checks.',
  getUserImport:
    'An import job: state (running, done, failed, interrupted), rows done and counts so far; when done, the first 1,000 row errors with their lines',
});
// The body is the request stream, and dryRun is read by the handler itself.
const upload = { query: importQuery, csvBody: true } as const;

/** The users operations of the import: the admin API lists them among the users operations. */
export const importApi: ApiRoute[] = [
  r.post(
    '/users/import',
    'importUsers',
    'ImportResult',
    withRequest(async ({ deps: d, ctx, actor }) => {
      checkType(ctx);
      const r = await importUsersCsv(d, actor, ctx.req, { dryRun: dryRunOf(ctx) });
      return { ...r, errors: translated(ctx, r.errors) };
    }),
    upload,
  ),
  r.post(
    '/imports',
    'startUserImport',
    'ImportJob',
    withRequest(async ({ deps: d, ctx, actor }) => {
      checkType(ctx);
      const job = await startImportJob(d, actor, await spoolUpload(ctx.req), dryRunOf(ctx));
      ctx.set('Location', `${API_PREFIX}/imports/${job.id}`);
      return { ...job, errors: translated(ctx, job.errors), failure: null };
    }),
    { ...upload, status: 202 },
  ),
  r.get(
    '/imports/{id}',
    'getUserImport',
    'ImportJob',
    withRequest(async ({ deps: d, ctx, actor, params }) => {
      const job = await getImportJob(d, actor, params.id);
      return {
        ...job,
        errors: translated(ctx, job.errors),
        failure: job.failure ? ctx.state.t(job.failure.key, job.failure.params) : null,
      };
    }),
    { permission: 'users.write' },
  ),
];

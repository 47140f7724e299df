import type { Context } from 'koa';
import { z } from 'zod';
import { type AdminApiDeps, API_PREFIX, type ApiRoute } from './api-route.ts';
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

export function importRoutes(d: AdminApiDeps): ApiRoute[] {
  return [
    {
      method: 'post',
      path: '/users/import',
      operationId: 'importUsers',
      summary:
        'Import users from a CSV body (text/csv), streamed in batches; answers when done. `dryRun=true` only checks and reports every row error with its line. For large files use POST /imports.',
      tag: 'users',
      permission: 'users.write',
      query: importQuery,
      csvBody: true,
      response: { status: 200, schema: 'ImportResult' },
      handler: async ({ ctx, actor }) => {
        checkType(ctx);
        const r = await importUsersCsv(d, actor, ctx.req, { dryRun: dryRunOf(ctx) });
        return { ...r, errors: translated(ctx, r.errors) };
      },
    },
    {
      method: 'post',
      path: '/imports',
      operationId: 'startUserImport',
      summary:
        'Start importing users from a CSV body (text/csv, up to 256 MB) as a job: answers 202 with the job and its Location at once; poll GET /imports/{id} for progress. `dryRun=true` only checks.',
      tag: 'users',
      permission: 'users.write',
      query: importQuery,
      csvBody: true,
      response: { status: 202, schema: 'ImportJob' },
      handler: async ({ ctx, actor }) => {
        checkType(ctx);
        const spooled = await spoolUpload(ctx.req);
        const job = await startImportJob(d, actor, spooled, dryRunOf(ctx));
        ctx.set('Location', `${API_PREFIX}/imports/${job.id}`);
        return { ...job, errors: translated(ctx, job.errors), failure: null };
      },
    },
    {
      method: 'get',
      path: '/imports/{id}',
      operationId: 'getUserImport',
      summary:
        'An import job: state (running, done, failed, interrupted), rows done and counts so far; when done, the first 1,000 row errors with their lines',
      tag: 'users',
      permission: 'users.write',
      response: { status: 200, schema: 'ImportJob' },
      handler: async ({ ctx, actor, params }) => {
        const job = await getImportJob(d, actor, params.id);
        return {
          ...job,
          errors: translated(ctx, job.errors),
          failure: job.failure ? ctx.state.t(job.failure.key, job.failure.params) : null,
        };
      },
    },
  ];
}

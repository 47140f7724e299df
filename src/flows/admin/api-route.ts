import { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { z } from 'zod';
import type { AppDeps } from '../../app/deps.ts';
import type { Actor, Permission } from './permissions.ts';
import type { AdminDeps } from './shared.ts';

export const API_PREFIX = '/api/admin/v1';

/** What a resource's API routes (users/api.ts, groups/api.ts, …) call the services with. */
export type AdminApiDeps = AppDeps & AdminDeps;

/** A handler that wrote the response itself. */
export const RAW = Symbol('raw');

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
type Tag = 'policy' | 'users' | 'groups' | 'clients' | 'audit' | 'reports' | 'session' | 'notices';

export interface ApiRoute {
  method: Method;
  /** OpenAPI template, e.g. /users/{user}. */
  path: string;
  operationId: string;
  summary: string;
  tag: Tag;
  /** What the caller needs (the service checks it again). */
  permission: Permission | null;
  body?: z.ZodType;
  /** The request body is a CSV file (text/csv), read by the handler as a stream. */
  csvBody?: true;
  query?: z.ZodObject;
  /** Name of a response schema in openapi.ts, or 'csv' / 'empty'. */
  response: { status: 200 | 201 | 202 | 204; schema: string };
  handler(cx: RequestParts): Promise<unknown>;
}

export interface RequestParts {
  deps: AdminApiDeps;
  ctx: Context;
  actor: Actor;
  body: unknown;
  params: Record<string, string>;
}

/**
 * A service operation as the API calls it: with the deps, the actor, the path's parameters in their
 * order, then the request body or the parsed query string (when the route takes one). Its result is
 * the response body.
 */
type Operation = (deps: AdminApiDeps, actor: Actor, ...args: any[]) => Promise<unknown>;

interface Options {
  body?: z.ZodType;
  /** The query string's schema (for the OpenAPI document) … */
  query?: z.ZodObject;
  /** … and the parser whose result the operation gets (the one the service's other callers use). */
  parse?: (raw: Record<string, unknown>) => unknown;
  csvBody?: true;
  /** The default: `<tag>.read` for GET, `<tag>.write` for the rest. */
  permission?: Permission | null;
  /** The default: 200, or 204 for an 'empty' response. */
  status?: 201 | 202;
}

/** A route whose handler needs the request itself (a CSV download or upload). */
export const withRequest = (handler: ApiRoute['handler']) => ({ handler });

const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);

/**
 * The routes of one resource: `r.get(path, operationId, response schema, operation, options)` and
 * likewise post, patch, put and delete. The summaries (keyed by operationId) document the routes in
 * the OpenAPI document; every route must have one.
 */
export function resourceApi<Id extends string>(tag: Tag, summaries: Record<Id, string>) {
  const route =
    (method: Method) =>
    (
      path: string,
      operationId: Id,
      schema: string,
      run: Operation | { handler: ApiRoute['handler'] },
      opts: Options = {},
    ): ApiRoute => {
      const names = pathParams(path);
      const handler: ApiRoute['handler'] =
        typeof run === 'function'
          ? ({ deps, ctx, actor, body, params }) => {
              const args: unknown[] = names.map((n) => params[n]);
              if (opts.body) args.push(body);
              if (opts.parse) args.push(opts.parse(ctx.query));
              return run(deps, actor, ...args);
            }
          : run.handler;
      return {
        method,
        path,
        operationId,
        summary: summaries[operationId],
        tag,
        permission:
          opts.permission === undefined
            ? (`${tag}.${method === 'get' ? 'read' : 'write'}` as Permission)
            : opts.permission,
        ...(opts.body ? { body: opts.body } : {}),
        ...(opts.csvBody ? { csvBody: true as const } : {}),
        ...(opts.query ? { query: opts.query } : {}),
        response: { status: opts.status ?? (schema === 'empty' ? 204 : 200), schema },
        handler,
      };
    };
  return {
    get: route('get'),
    post: route('post'),
    patch: route('patch'),
    put: route('put'),
    delete: route('delete'),
  };
}

/** Answers with CSV lines as a download named `<name>-<date>.csv`. */
export function sendCsv(
  { deps, ctx }: RequestParts,
  name: string,
  lines: AsyncIterable<string> | Iterable<string>,
) {
  ctx.type = 'text/csv; charset=utf-8';
  ctx.attachment(`${name}-${deps.clock.now().toISOString().slice(0, 10)}.csv`);
  ctx.body = Readable.from(lines);
  return RAW;
}

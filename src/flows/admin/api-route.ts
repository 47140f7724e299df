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

export interface ApiRoute {
  method: Method;
  /** OpenAPI template, e.g. /users/{user}. */
  path: string;
  operationId: string;
  summary: string;
  tag: 'policy' | 'users' | 'groups' | 'clients' | 'audit' | 'reports' | 'session' | 'notices';
  /** What the caller needs (the service checks it again). */
  permission: Permission | null;
  body?: z.ZodType;
  /** The request body is a CSV file (text/csv), read by the handler as a stream. */
  csvBody?: true;
  query?: z.ZodObject;
  /** Name of a response schema in openapi.ts, or 'csv' / 'empty'. */
  response: { status: 200 | 201 | 202 | 204; schema: string };
  handler(cx: {
    ctx: Context;
    actor: Actor;
    body: unknown;
    params: Record<string, string>;
  }): Promise<unknown>;
}

import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import type { AppDeps } from '../../app/deps.ts';
import { readJson } from '../../http/body.ts';
import { AppError } from '../../http/errors.ts';
import { policySchema } from '../../policy/settings.ts';
import { authenticateBearer, TokenError } from './auth.ts';
import * as contacts from './contacts.ts';
import { importRoutes } from './import-api.ts';
import * as invitations from './invitations.ts';
import { listQueuedNotices, noticeQuerySchema, parseNoticeQuery } from './notices.ts';
import { apiDocument } from './openapi.ts';
import type { Actor, Permission } from './permissions.ts';
import { reportData } from './reports.ts';
import * as svc from './service.ts';
import * as usersCsv from './users-csv.ts';
import { FieldError, translateFields } from './validation.ts';

export const API_PREFIX = '/api/admin/v1';

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

/** Every operation of the admin API; the router and the OpenAPI document are both made from it. */
export function apiRoutes(deps: AppDeps): ApiRoute[] {
  const d: AppDeps & svc.AdminDeps = { ...deps, onSettingsChanged: () => deps.branding.invalidate() };
  return [
    {
      method: 'get',
      path: '/me',
      operationId: 'whoAmI',
      summary: 'The caller: who the token stands for and what it may do',
      tag: 'session',
      permission: null,
      response: { status: 200, schema: 'Caller' },
      handler: async ({ actor }) => ({
        id: actor.id,
        kind: actor.kind,
        label: actor.label,
        permissions: [...actor.permissions],
      }),
    },
    {
      method: 'get',
      path: '/policy',
      operationId: 'getPolicy',
      summary: 'Read the policy (every setting of SSPR.md §2, with defaults filled in)',
      tag: 'policy',
      permission: 'policy.read',
      response: { status: 200, schema: 'Policy' },
      handler: ({ actor }) => svc.getPolicy(d, actor),
    },
    {
      method: 'patch',
      path: '/policy',
      operationId: 'updatePolicy',
      summary: 'Change some settings; takes effect at once and is audited with before and after values',
      tag: 'policy',
      permission: 'policy.write',
      body: policySchema.partial(),
      response: { status: 200, schema: 'PolicyUpdate' },
      handler: ({ actor, body }) => svc.updatePolicy(d, actor, body),
    },
    {
      method: 'get',
      path: '/users',
      operationId: 'listUsers',
      summary: 'List or search users (login, name or email contains q)',
      tag: 'users',
      permission: 'users.read',
      query: svc.userSearchSchema,
      response: { status: 200, schema: 'UserList' },
      handler: ({ ctx, actor }) => svc.listUsers(d, actor, svc.parseUserSearch(ctx.query)),
    },
    {
      method: 'post',
      path: '/users',
      operationId: 'createUser',
      summary: 'Create a user; a temporary password is returned once when the password is managed here',
      tag: 'users',
      permission: 'users.write',
      body: svc.createUserSchema,
      response: { status: 201, schema: 'UserWithPassword' },
      handler: ({ actor, body }) => svc.createUser(d, actor, body),
    },
    {
      method: 'get',
      path: '/users/{user}',
      operationId: 'getUser',
      summary:
        'One user by id or login, with the kinds and dates of registered methods (never their contents)',
      tag: 'users',
      permission: 'users.read',
      response: { status: 200, schema: 'UserDetail' },
      handler: ({ actor, params }) => svc.getUser(d, actor, params.user),
    },
    {
      method: 'patch',
      path: '/users/{user}',
      operationId: 'updateUser',
      summary: 'Change the profile, roles, language, or whether the password is managed outside Tobira',
      tag: 'users',
      permission: 'users.write',
      body: svc.updateUserSchema,
      response: { status: 200, schema: 'UserDetail' },
      handler: ({ actor, params, body }) => svc.updateUser(d, actor, params.user, body),
    },
    {
      method: 'post',
      path: '/users/{user}/disable',
      operationId: 'disableUser',
      summary: 'Disable the account and end its sessions and tokens',
      tag: 'users',
      permission: 'users.write',
      response: { status: 200, schema: 'UserDetail' },
      handler: ({ actor, params }) => svc.setUserStatus(d, actor, params.user, 'disabled'),
    },
    {
      method: 'post',
      path: '/users/{user}/enable',
      operationId: 'enableUser',
      summary: 'Enable the account',
      tag: 'users',
      permission: 'users.write',
      response: { status: 200, schema: 'UserDetail' },
      handler: ({ actor, params }) => svc.setUserStatus(d, actor, params.user, 'active'),
    },
    {
      method: 'post',
      path: '/users/{user}/reset-password',
      operationId: 'resetUserPassword',
      summary: 'Set a temporary password (returned once) that must be changed at the next sign-in',
      tag: 'users',
      permission: 'users.write',
      response: { status: 200, schema: 'UserWithPassword' },
      handler: ({ actor, params }) => svc.resetPassword(d, actor, params.user),
    },
    {
      method: 'post',
      path: '/users/{user}/unlock',
      operationId: 'unlockUser',
      summary: 'Clear the sign-in lockout',
      tag: 'users',
      permission: 'users.unlock',
      response: { status: 200, schema: 'UserDetail' },
      handler: ({ actor, params }) => svc.unlockUser(d, actor, params.user),
    },
    {
      method: 'post',
      path: '/users/{user}/require-reregistration',
      operationId: 'requireReregistration',
      summary: 'Remove every registered method, so the user registers again',
      tag: 'users',
      permission: 'users.write',
      response: { status: 200, schema: 'UserDetail' },
      handler: ({ actor, params }) => svc.requireReregistration(d, actor, params.user),
    },
    {
      method: 'delete',
      path: '/users/{user}',
      operationId: 'deleteUser',
      summary:
        'Erase a user and everything theirs, ending their sessions; audit events stay under a pseudonym',
      tag: 'users',
      permission: 'users.write',
      response: { status: 204, schema: 'empty' },
      handler: async ({ actor, params }) => {
        await svc.deleteUser(d, actor, params.user);
      },
    },
    {
      method: 'get',
      path: '/users/{user}/contact-methods',
      operationId: 'getContactMethods',
      summary: 'The phones and alternate email on file (masked), and which the organisation pre-registered',
      tag: 'users',
      permission: 'users.read',
      response: { status: 200, schema: 'ContactMethods' },
      handler: ({ actor, params }) => contacts.getContactMethods(d, actor, params.user),
    },
    {
      method: 'put',
      path: '/users/{user}/contact-methods',
      operationId: 'setContactMethods',
      summary:
        'Pre-register the mobile phone, alternate phone and alternate email (null or "" removes one); never app secrets, keys or answers',
      tag: 'users',
      permission: 'users.write',
      body: contacts.contactMethodsSchema,
      response: { status: 200, schema: 'ContactMethods' },
      handler: async ({ actor, params, body }) => {
        const r = await contacts.setContactMethods(d, actor, params.user, body);
        return { contactMethods: r.contactMethods };
      },
    },
    {
      method: 'get',
      path: '/users/{user}/invitation',
      operationId: 'getInvitation',
      summary: 'The open invitation of a user (when it was sent and when it expires), or null',
      tag: 'users',
      permission: 'users.read',
      response: { status: 200, schema: 'InvitationState' },
      handler: ({ actor, params }) => invitations.getInvitation(d, actor, params.user),
    },
    {
      method: 'post',
      path: '/users/{user}/invitation',
      operationId: 'inviteUser',
      summary:
        'Email a single-use link (valid invitationValidDays) to set a first password; sending again withdraws the previous link',
      tag: 'users',
      permission: 'users.write',
      response: { status: 201, schema: 'InvitationSent' },
      handler: ({ actor, params }) => invitations.inviteUser(d, actor, params.user),
    },
    {
      method: 'delete',
      path: '/users/{user}/invitation',
      operationId: 'revokeInvitation',
      summary: 'Withdraw the open invitation: its link stops working at once',
      tag: 'users',
      permission: 'users.write',
      response: { status: 204, schema: 'empty' },
      handler: ({ actor, params }) => invitations.revokeInvitation(d, actor, params.user),
    },
    {
      method: 'get',
      path: '/users.csv',
      operationId: 'exportUsers',
      summary:
        'Every user as CSV (login, name, email, locale, groups, roles, pre-registered phones and email, password_managed)',
      tag: 'users',
      permission: 'users.read',
      response: { status: 200, schema: 'csv' },
      handler: async ({ ctx, actor }) => {
        const lines = await usersCsv.exportUsersCsv(d, actor);
        ctx.type = 'text/csv; charset=utf-8';
        ctx.attachment(`users-${d.clock.now().toISOString().slice(0, 10)}.csv`);
        ctx.body = Readable.from(lines);
        return RAW;
      },
    },
    ...importRoutes(d),
    {
      method: 'get',
      path: '/contact-requests',
      operationId: 'listContactRequests',
      summary: '"Contact an administrator" requests (audit events with result contacted_admin)',
      tag: 'users',
      permission: 'contacts.read',
      response: { status: 200, schema: 'AuditList' },
      handler: async ({ actor }) => ({ events: await svc.listContactRequests(d, actor), next: null }),
    },
    {
      method: 'get',
      path: '/groups',
      operationId: 'listGroups',
      summary: 'List groups with member counts',
      tag: 'groups',
      permission: 'groups.read',
      response: { status: 200, schema: 'GroupList' },
      handler: async ({ actor }) => ({ groups: await svc.listAllGroups(d, actor) }),
    },
    {
      method: 'post',
      path: '/groups',
      operationId: 'createGroup',
      summary: 'Create a group',
      tag: 'groups',
      permission: 'groups.write',
      body: svc.groupSchema,
      response: { status: 201, schema: 'Group' },
      handler: ({ actor, body }) => svc.createGroup(d, actor, body),
    },
    {
      method: 'delete',
      path: '/groups/{group}',
      operationId: 'deleteGroup',
      summary: 'Delete a group (by id or name); refused while the reset policy names it',
      tag: 'groups',
      permission: 'groups.write',
      response: { status: 204, schema: 'empty' },
      handler: ({ actor, params }) => svc.deleteGroup(d, actor, params.group),
    },
    {
      method: 'get',
      path: '/groups/{group}/members',
      operationId: 'listGroupMembers',
      summary: 'The members of a group',
      tag: 'groups',
      permission: 'groups.read',
      response: { status: 200, schema: 'GroupMembers' },
      handler: async ({ actor, params }) => {
        const r = await svc.groupMembers(d, actor, params.group);
        return { group: { id: r.group.id, name: r.group.name }, members: r.members };
      },
    },
    {
      method: 'put',
      path: '/groups/{group}/members/{user}',
      operationId: 'addGroupMember',
      summary: 'Add a user (by id or login) to a group',
      tag: 'groups',
      permission: 'groups.write',
      response: { status: 200, schema: 'MembershipChange' },
      handler: async ({ actor, params }) => ({
        changed: await svc.addGroupMember(d, actor, params.group, params.user),
      }),
    },
    {
      method: 'delete',
      path: '/groups/{group}/members/{user}',
      operationId: 'removeGroupMember',
      summary: 'Remove a user from a group',
      tag: 'groups',
      permission: 'groups.write',
      response: { status: 200, schema: 'MembershipChange' },
      handler: async ({ actor, params }) => ({
        changed: await svc.removeGroupMember(d, actor, params.group, params.user),
      }),
    },
    {
      method: 'get',
      path: '/clients',
      operationId: 'listClients',
      summary: 'List applications (OpenID Connect clients); secrets are never returned',
      tag: 'clients',
      permission: 'clients.read',
      response: { status: 200, schema: 'ClientList' },
      handler: async ({ actor }) => ({ clients: await svc.listAllClients(d, actor) }),
    },
    {
      method: 'post',
      path: '/clients',
      operationId: 'createClient',
      summary: 'Register an application; a confidential client gets a secret, returned once',
      tag: 'clients',
      permission: 'clients.write',
      body: svc.createClientSchema,
      response: { status: 201, schema: 'ClientWithSecret' },
      handler: ({ actor, body }) => svc.createClient(d, actor, body),
    },
    {
      method: 'get',
      path: '/clients/{clientId}',
      operationId: 'getClient',
      summary: 'One application',
      tag: 'clients',
      permission: 'clients.read',
      response: { status: 200, schema: 'Client' },
      handler: ({ actor, params }) => svc.getClient(d, actor, params.clientId),
    },
    {
      method: 'patch',
      path: '/clients/{clientId}',
      operationId: 'updateClient',
      summary: 'Change redirect URIs, grant types, name, scopes or first-party status',
      tag: 'clients',
      permission: 'clients.write',
      body: svc.updateClientSchema,
      response: { status: 200, schema: 'Client' },
      handler: ({ actor, params, body }) => svc.updateClient(d, actor, params.clientId, body),
    },
    {
      method: 'post',
      path: '/clients/{clientId}/rotate-secret',
      operationId: 'rotateClientSecret',
      summary: 'Replace the secret (returned once); tokens already issued stay valid until they expire',
      tag: 'clients',
      permission: 'clients.write',
      response: { status: 200, schema: 'ClientWithSecret' },
      handler: ({ actor, params }) => svc.rotateClientSecret(d, actor, params.clientId),
    },
    {
      method: 'delete',
      path: '/clients/{clientId}',
      operationId: 'deleteClient',
      summary: 'Delete an application',
      tag: 'clients',
      permission: 'clients.write',
      response: { status: 204, schema: 'empty' },
      handler: ({ actor, params }) => svc.deleteClient(d, actor, params.clientId),
    },
    {
      method: 'get',
      path: '/audit',
      operationId: 'listAudit',
      summary:
        'Audit events, newest first, filtered by time range, user, activity and result; page with `before`',
      tag: 'audit',
      permission: 'audit.read',
      query: svc.auditQuerySchema,
      response: { status: 200, schema: 'AuditList' },
      handler: ({ ctx, actor }) => svc.listAuditEvents(d, actor, svc.parseAuditQuery(ctx.query)),
    },
    {
      method: 'get',
      path: '/audit.csv',
      operationId: 'exportAudit',
      summary: 'The same filtered events as CSV (UTF-8 with BOM; formula-like cells are quoted)',
      tag: 'audit',
      permission: 'audit.read',
      query: svc.auditQuerySchema.omit({ limit: true, before: true }),
      response: { status: 200, schema: 'csv' },
      handler: async ({ ctx, actor }) => {
        const lines = await svc.exportAuditCsv(d, actor, svc.parseAuditQuery(ctx.query));
        ctx.type = 'text/csv; charset=utf-8';
        ctx.attachment(`audit-${d.clock.now().toISOString().slice(0, 10)}.csv`);
        ctx.body = Readable.from(lines);
        return RAW;
      },
    },
    {
      method: 'get',
      path: '/notices',
      operationId: 'listNotices',
      summary:
        'The notice queue: how many notices wait or finally failed, and the failed ones (or `status=pending`)',
      tag: 'notices',
      permission: 'audit.read',
      query: noticeQuerySchema,
      response: { status: 200, schema: 'NoticeList' },
      handler: ({ ctx, actor }) => listQueuedNotices(d, actor, parseNoticeQuery(ctx.query)),
    },
    {
      method: 'get',
      path: '/reports',
      operationId: 'getReports',
      summary: 'Registration, methods per kind, resets per day and per method, and reset outcomes (30 days)',
      tag: 'reports',
      permission: 'reports.read',
      response: { status: 200, schema: 'Reports' },
      handler: ({ actor }) => reportData(d, actor),
    },
  ];
}

/** A handler that wrote the response itself. */
const RAW = Symbol('raw');

const toKoaPath = (p: string) => p.replace(/\{(\w+)\}/g, ':$1');

/** Errors as `{error, error_description}` (plus `fields` for a validation error) in the caller's language. */
async function apiErrors(ctx: Context, next: Next) {
  ctx.set('Cache-Control', 'no-store');
  try {
    await next();
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    ctx.status = err.status;
    if (err instanceof TokenError) ctx.set('WWW-Authenticate', err.wwwAuthenticate);
    const body: Record<string, unknown> = {
      error: err.code,
      error_description: ctx.state.t(err.messageKey, err.params),
    };
    if (err instanceof FieldError) body.fields = translateFields(err.fields, ctx.state.t);
    ctx.body = body;
  }
}

export function adminApiRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: API_PREFIX });
  const routes = apiRoutes(deps);
  router.use(apiErrors);
  router.get('/openapi.json', (ctx) => {
    ctx.body = apiDocument(routes, deps.config.issuer);
  });
  for (const r of routes) {
    router[r.method](toKoaPath(r.path), async (ctx) => {
      const actor = await authenticateBearer(deps, ctx);
      if (r.permission && !actor.permissions.has(r.permission)) {
        throw new TokenError(403, 'forbidden', 'not allowed');
      }
      let body: unknown;
      if (r.body) {
        const raw = await readJson(ctx);
        body = raw;
      }
      const out = await r.handler({ ctx, actor, body, params: ctx.params as Record<string, string> });
      if (out === RAW) return;
      ctx.status = r.response.status;
      if (r.response.status !== 204) ctx.body = out ?? {};
    });
  }
  router.all('/{*rest}', () => {
    throw new AppError('not_found', 404, 'admin.error.notFound');
  });
  return router;
}

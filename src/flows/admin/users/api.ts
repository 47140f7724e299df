import { Readable } from 'node:stream';
import { type AdminApiDeps, type ApiRoute, RAW } from '../api-route.ts';
import { listContactRequests } from '../audit/service.ts';
import * as contacts from '../contacts.ts';
import { importRoutes } from '../import-api.ts';
import * as invitations from '../invitations.ts';
import * as usersCsv from '../users-csv.ts';
import * as svc from './service.ts';

/** The admin API's users operations (listed by ../api.ts in this order, in one OpenAPI document). */
export function usersApi(d: AdminApiDeps): ApiRoute[] {
  return [
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
      handler: async ({ actor }) => ({ events: await listContactRequests(d, actor), next: null }),
    },
  ];
}

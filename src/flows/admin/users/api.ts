import { type ApiRoute, resourceApi, sendCsv, withRequest } from '../api-route.ts';
import { listContactRequests } from '../audit/service.ts';
import * as contacts from '../contacts.ts';
import { importApi } from '../import-api.ts';
import * as invitations from '../invitations.ts';
import * as usersCsv from '../users-csv.ts';
import * as svc from './service.ts';

const r = resourceApi('users', {
  listUsers: 'List or search users (login, name or email contains q)',
  createUser: 'Create a user; a temporary password is returned once when the password is managed here',
  getUser: 'One user by id or login, with the kinds and dates of registered methods (never their contents)',
  updateUser: 'Change the profile, roles, language, or whether the password is managed outside Tobira',
  disableUser: 'Disable the account and end its sessions and tokens',
  enableUser: 'Enable the account',
  resetUserPassword: 'Set a temporary password (returned once) that must be changed at the next sign-in',
  unlockUser: 'Clear the sign-in lockout',
  requireReregistration: 'Remove every registered method, so the user registers again',
  deleteUser:
    'Erase a user and everything theirs, ending their sessions; audit events stay under a pseudonym',
  getContactMethods:
    'The phones and alternate email on file (masked), and which the organisation pre-registered',
  setContactMethods:
    'Pre-register the mobile phone, alternate phone and alternate email (null or "" removes one); never app secrets, keys or answers',
  getInvitation: 'The open invitation of a user (when it was sent and when it expires), or null',
  inviteUser:
    'Email a single-use link (valid invitationValidDays) to set a first password; sending again withdraws the previous link',
  revokeInvitation: 'Withdraw the open invitation: its link stops working at once',
  exportUsers:
    'Every user as CSV (login, name, email, locale, groups, roles, pre-registered phones and email, password_managed)',
  listContactRequests: '"Contact an administrator" requests (audit events with result contacted_admin)',
});
const user = '/users/{user}';

/** The admin API's users operations (listed by ../api.ts in this order, in one OpenAPI document). */
export const usersApi: ApiRoute[] = [
  r.get('/users', 'listUsers', 'UserList', svc.listUsers, {
    query: svc.userSearchSchema,
    parse: svc.parseUserSearch,
  }),
  r.post('/users', 'createUser', 'UserWithPassword', svc.createUser, {
    body: svc.createUserSchema,
    status: 201,
  }),
  r.get(user, 'getUser', 'UserDetail', svc.getUser),
  r.patch(user, 'updateUser', 'UserDetail', svc.updateUser, { body: svc.updateUserSchema }),
  r.post(`${user}/disable`, 'disableUser', 'UserDetail', (d, a, u) => svc.setUserStatus(d, a, u, 'disabled')),
  r.post(`${user}/enable`, 'enableUser', 'UserDetail', (d, a, u) => svc.setUserStatus(d, a, u, 'active')),
  r.post(`${user}/reset-password`, 'resetUserPassword', 'UserWithPassword', svc.resetPassword),
  r.post(`${user}/unlock`, 'unlockUser', 'UserDetail', svc.unlockUser, { permission: 'users.unlock' }),
  r.post(`${user}/require-reregistration`, 'requireReregistration', 'UserDetail', svc.requireReregistration),
  r.delete(user, 'deleteUser', 'empty', svc.deleteUser),
  r.get(`${user}/contact-methods`, 'getContactMethods', 'ContactMethods', contacts.getContactMethods),
  r.put(
    `${user}/contact-methods`,
    'setContactMethods',
    'ContactMethods',
    async (d, a, u, body) => ({
      contactMethods: (await contacts.setContactMethods(d, a, u, body)).contactMethods,
    }),
    { body: contacts.contactMethodsSchema },
  ),
  r.get(`${user}/invitation`, 'getInvitation', 'InvitationState', invitations.getInvitation),
  r.post(`${user}/invitation`, 'inviteUser', 'InvitationSent', invitations.inviteUser, { status: 201 }),
  r.delete(`${user}/invitation`, 'revokeInvitation', 'empty', invitations.revokeInvitation),
  r.get(
    '/users.csv',
    'exportUsers',
    'csv',
    withRequest(async (req) => sendCsv(req, 'users', await usersCsv.exportUsersCsv(req.deps, req.actor))),
  ),
  ...importApi,
  r.get(
    '/contact-requests',
    'listContactRequests',
    'AuditList',
    async (d, a) => ({ events: await listContactRequests(d, a), next: null }),
    { permission: 'contacts.read' },
  ),
];

import fs from 'node:fs';
import { translator } from '../../i18n/index.ts';
import { CLIENT_SETTING_FLAGS, ClientSpecError, settingsFromFlags } from '../../oidc/clients.ts';
import * as apis from './apis/service.ts';
import {
  type AdminCommandContext,
  type AdminCommandResult,
  adminDepsOf,
  fromFlags,
  lists,
  type Options,
  parseFlags,
  refusalOf,
  strings,
  switches,
} from './cli-kit.ts';
import * as contacts from './contacts.ts';
import * as invitations from './invitations.ts';
import { listQueuedNotices, parseNoticeQuery } from './notices.ts';
import { cliActor } from './permissions.ts';
import { loadReport } from './reports.ts';
import * as svc from './service.ts';
import * as usersCsv from './users-csv.ts';
import { type ImportProgress, importUsersCsv } from './users-import.ts';

/** The CLI import prints its progress after this many rows (or a second). */
const PROGRESS_ROWS = 1000;

/**
 * The administration commands of the `tobira` CLI: the same operations as the admin API, through the
 * same service (same checks, one audit event each, actor `cli`).
 */
export type { AdminCommandContext, AdminCommandResult } from './cli-kit.ts';

export const ADMIN_USAGE = `
  user show LOGIN                           profile, groups, lockout, method kinds and dates
  user create LOGIN [--name N] [--email E] [--group G...] [--locale en|ja] [--no-password | --external]
                                            --no-password: "not yet activated", the user sets a first
                                            password through reset or an invitation
  user contact LOGIN [--mobile N] [--alternate-phone N] [--alternate-email E] [--country CC]
                                            pre-register contact methods ("" removes one); shows them masked
  user import FILE [--dry-run]              users from CSV, streamed; every row error with its line number;
                                            progress on standard error; the same file again changes nothing
  user export                               every user as CSV on standard output
  user invite LOGIN                         email a single-use link to set a first password (again: a new link)
  user revoke-invitation LOGIN              withdraw the open invitation
  user search [QUERY] [--status active|disabled] [--role admin|helpdesk] [--group G] [--limit N] [--after CURSOR]
  user update LOGIN [--name N] [--email E] [--role R...] [--clear-roles]
             [--password-managed local|external] [--locale en|ja] [--email-verified | --no-email-verified]
                                            a changed email is unverified unless --email-verified is given
  user disable LOGIN | user enable LOGIN    disabling also ends every session and token
  user reset-password LOGIN                 prints a temporary password, to be changed at the next sign-in
  user unlock LOGIN                         clear the sign-in lockout
  user require-reregistration LOGIN         remove every registered method
  user delete LOGIN                         erase the user and all that is theirs; ends their sessions;
                                            audit events stay under a pseudonym
  group members GROUP
  group remove-member GROUP LOGIN
  group delete GROUP
  client show CLIENT_ID
  client update CLIENT_ID [--redirect-uri URI...] [--grant-type T...] [--post-logout-redirect-uri URI...]
             [--name N] [--scope "S1 S2"] [--first-party | --no-first-party] [--admin | --no-admin]
             [--scim | --no-scim]
             [--backchannel-logout-uri URI] [--[no-]backchannel-logout-session-required]
             [--id-token-alg ALG] [--auth-method M] [--jwks JSON|@FILE] [--jwks-uri URI]
             [--default-max-age SECONDS] [--[no-]require-auth-time]   an empty value clears a setting
             [--frontchannel-logout-uri URI] [--[no-]frontchannel-logout-session-required]
             [--cors-origin ORIGIN...]   (--cors-origin "" clears the list)
                                            --admin grants the admin scope, --no-admin revokes it
                                            --scim grants SCIM provisioning (first-party only)
  client rotate-secret CLIENT_ID            prints the new secret once
  client delete CLIENT_ID
  api list                                  APIs (resource servers) and the applications granted each
  api show IDENTIFIER
  api add IDENTIFIER --name N [--scope S...] [--format jwt|opaque] [--ttl SECONDS] [--alg ES256|RS256|PS256|EdDSA]
             [--introspection-client CLIENT_ID]
                                            IDENTIFIER is the resource indicator apps send (https://…, api://…);
                                            jwt (default): checked by the API against /jwks, lives --ttl
                                            (default 600 s); opaque: stored and revocable, checked by the API
                                            at the introspection endpoint as --introspection-client
  api update IDENTIFIER [--name N] [--scope S...] [--format F] [--ttl SECONDS] [--alg ALG]
             [--introspection-client CLIENT_ID]
                                            --scope replaces the list (--scope "" clears it);
                                            --introspection-client "" removes it
  api delete IDENTIFIER                     and every grant on it
  api grant IDENTIFIER CLIENT_ID [--scope S...]
                                            the client's client-credentials tokens for the API carry
                                            these scopes (replaces its grant there)
  api revoke IDENTIFIER CLIENT_ID           no new tokens for it (issued ones run out)
  audit list [--from DATE] [--to DATE] [--user LOGIN] [--activity A|PREFIX*] [--result R] [--limit N]
  audit export [same filters]               CSV on standard output
  audit sweep                               delete events older than auditRetentionDays
  report show                               registration, methods, resets and outcomes (30 days)
  notice list [--failed | --pending] [--limit N]
                                            the notice queue: depth, and the notices that finally failed
`;

class CliUsage extends Error {}
/** An import with row errors: the report is printed, and the exit code says so (2). */
class RowsFailed extends Error {}

const OWN: Record<string, string[]> = {
  user: [
    'show',
    'search',
    'update',
    'disable',
    'enable',
    'reset-password',
    'unlock',
    'require-reregistration',
    'delete',
    'create',
    'contact',
    'invite',
    'revoke-invitation',
    'import',
    'export',
  ],
  group: ['members', 'remove-member', 'delete'],
  client: ['show', 'update', 'rotate-secret', 'delete'],
  api: ['list', 'show', 'add', 'update', 'delete', 'grant', 'revoke'],
  audit: ['list', 'export', 'sweep'],
  report: ['show'],
  notice: ['list'],
};

function args(rest: string[], options: Options = {}, positionals = 0) {
  const r = parseFlags(rest, options, true);
  if (r.positionals.length !== positionals) {
    throw new CliUsage(
      positionals
        ? `expected ${positionals} argument(s), got ${r.positionals.length}`
        : 'no arguments expected',
    );
  }
  return r;
}

const auditOptions = strings('from', 'to', 'user', 'activity', 'result', 'limit');

function describeUser(u: svc.UserDetail): string {
  const lines = [
    `${u.login} (${u.id})`,
    `  name: ${u.displayName || '-'}   email: ${u.email ?? '-'}${u.email ? (u.emailVerified ? ' (verified)' : ' (not verified)') : ''}   status: ${u.status}   roles: ${u.roles.join(',') || '-'}`,
    `  password: managed ${u.passwordManaged}${u.mustChangePassword ? ', must change at next sign-in' : ''}; changed ${u.passwordChangedAt ?? 'never'}${u.activated ? '' : ' (not yet activated)'}`,
    `  groups: ${u.groups.join(', ') || '-'}`,
    `  lockout: ${u.lock.locked ? `locked until ${u.lock.lockedUntil}` : `not locked (${u.lock.failures} failures)`}`,
    `  reset: ${u.reset.inScope ? `${u.reset.gatesAvailable.length} of ${u.reset.gatesRequired} methods, ${u.reset.capable ? 'capable' : 'not capable'}` : 'not enabled by policy'}`,
    `  methods: ${u.methods.map((m) => `${m.kind} (${m.createdAt.slice(0, 10)}${m.isDefault ? ', default' : ''})`).join(', ') || '-'}`,
  ];
  return lines.join('\n');
}

/**
 * Runs an administration command; undefined when argv is not one (the caller handles it). Exit
 * codes follow the rest of the CLI: 2 usage or invalid input, 3 conflict, 4 not found.
 */
export async function runAdminCommand(
  argv: string[],
  cx: AdminCommandContext,
): Promise<AdminCommandResult | undefined> {
  const [cmd, sub] = argv;
  if (!cmd || !sub || !OWN[cmd]?.includes(sub)) return undefined;
  const jsonOut = argv.includes('--json');
  const out: string[] = [];
  const print = (human: string, json: unknown) => out.push(jsonOut ? JSON.stringify(json) : human);
  const deps = adminDepsOf(cx);
  const actor = cliActor();
  const rest = argv.slice(2);
  try {
    const raw = await dispatch(cmd, sub, rest, deps, actor, print, cx.progress);
    if (typeof raw === 'string') return { code: 0, stdout: raw, stderr: '' };
    return { code: 0, stdout: out.length ? `${out.join('\n')}\n` : '', stderr: '' };
  } catch (err) {
    let code = 1;
    let message: string;
    const refusal = refusalOf(err);
    if (refusal) {
      ({ code, message } = refusal);
    } else if (err instanceof RowsFailed) {
      return { code: 2, stdout: out.length ? `${out.join('\n')}\n` : '', stderr: '' };
    } else if (err instanceof CliUsage || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      code = 2;
      message = `${cmd} ${sub}: ${(err as Error).message}`;
    } else {
      message = `unexpected error: ${(err as Error).message}`;
    }
    const stderr = jsonOut ? `${JSON.stringify({ error: message })}\n` : `tobira: ${message}\n`;
    return { code, stdout: out.join('\n'), stderr };
  }
}

async function dispatch(
  cmd: string,
  sub: string,
  rest: string[],
  deps: svc.AdminDeps,
  actor: ReturnType<typeof cliActor>,
  print: (human: string, json: unknown) => void,
  progress?: (line: string) => void,
): Promise<string | undefined> {
  if (cmd === 'user' && sub === 'export') {
    args(rest, {}, 0);
    let text = '';
    for await (const line of await usersCsv.exportUsersCsv(deps, actor)) text += line;
    return text;
  }
  if (cmd === 'user' && sub === 'import') {
    const { values, positionals } = args(rest, { 'dry-run': { type: 'boolean' } }, 1);
    let stream: AsyncIterable<Uint8Array>;
    try {
      stream = fs.createReadStream(positionals[0]);
      await new Promise<void>((ok, fail) => {
        (stream as fs.ReadStream).once('open', () => ok()).once('error', fail);
      });
    } catch (err) {
      throw new CliUsage(`cannot read ${positionals[0]}: ${(err as Error).message}`);
    }
    // Progress on stderr: after every PROGRESS_ROWS rows or a second (of the injected clock), and at the end.
    let last = { rows: 0, at: deps.clock.now().getTime() };
    const line = (p: ImportProgress) =>
      `${p.rows} rows: ${p.created} created, ${p.updated} updated, ${p.unchanged} unchanged, ${p.failed} with errors\n`;
    const r = await importUsersCsv(deps, actor, stream, {
      dryRun: !!values['dry-run'],
      onProgress: (p) => {
        const at = deps.clock.now().getTime();
        if (p.rows - last.rows < PROGRESS_ROWS && at - last.at < 1000) return;
        last = { rows: p.rows, at };
        progress?.(line(p));
      },
    });
    if (r.rows !== last.rows) progress?.(line(r));
    const t = translator('en');
    const errors = r.errors.map((e) => ({ line: e.line, column: e.column, message: t(e.key, e.params) }));
    print(
      [
        `${r.dryRun ? 'dry run: ' : ''}${r.rows} rows: ${r.created} ${r.dryRun ? 'to create' : 'created'}, ${r.updated} ${r.dryRun ? 'to update' : 'updated'}, ${r.unchanged} unchanged, ${r.failed} with errors`,
        ...errors.map((e) => `  line ${e.line}, ${e.column}: ${e.message}`),
      ].join('\n'),
      { ...r, errors },
    );
    if (r.failed) throw new RowsFailed();
    return;
  }
  if (cmd === 'user') {
    if (sub === 'search') {
      const r = parseFlags(rest, strings('status', 'role', 'group', 'limit', 'after'));
      if (r.positionals.length > 1) throw new CliUsage('at most one QUERY');
      const { json: _json, ...filters } = r.values;
      const search = svc.parseUserSearch({ q: r.positionals[0], ...filters });
      const res = await svc.listUsers(deps, actor, search);
      const more = res.next ? `\n(more users match: --after ${res.next})` : '';
      print(
        (res.users
          .map((u) => `${u.login}\t${u.status}\t${u.roles.join(',') || '-'}\t${u.displayName}`)
          .join('\n') || 'no users match') + more,
        res,
      );
      return;
    }
    if (sub === 'create') {
      const { values, positionals } = args(
        rest,
        { ...strings('name', 'email', 'locale'), ...lists('group'), ...switches('no-password', 'external') },
        1,
      );
      if (values['no-password'] && values.external)
        throw new CliUsage('--no-password and --external exclude each other');
      const body: Record<string, unknown> = {
        login: positionals[0],
        ...fromFlags(values, { name: 'displayName', email: 'email', group: 'groups', locale: 'locale' }),
      };
      if (values.external) body.passwordManaged = 'external';
      if (values['no-password']) body.initialPassword = 'none';
      const r = await svc.createUser(deps, actor, body);
      print(
        `${describeUser(r.user)}${r.temporaryPassword ? `\n  temporary password: ${r.temporaryPassword}` : ''}`,
        r,
      );
      return;
    }
    if (sub === 'contact') {
      const { values, positionals } = args(
        rest,
        strings('mobile', 'alternate-phone', 'alternate-email', 'country'),
        1,
      );
      const body = fromFlags(values, {
        mobile: 'mobilePhone',
        'alternate-phone': 'alternatePhone',
        'alternate-email': 'alternateEmail',
        country: 'country',
      });
      const r = Object.keys(body).length
        ? await contacts.setContactMethods(deps, actor, positionals[0], body)
        : await contacts.getContactMethods(deps, actor, positionals[0]);
      const list = r.contactMethods
        .map(
          (c) =>
            `  ${c.slot}: ${c.value} (${c.source === 'organization' ? `added by the organisation${c.confirmed ? ', confirmed' : ', not confirmed yet'}` : 'registered by the user'})`,
        )
        .join('\n');
      print(list || '  no contact methods', { contactMethods: r.contactMethods });
      return;
    }
    if (sub === 'update') {
      const { values, positionals } = args(
        rest,
        {
          ...strings('name', 'email', 'password-managed', 'locale'),
          ...lists('role'),
          ...switches('clear-roles', 'email-verified'),
        },
        1,
      );
      const patch = {
        ...fromFlags(values, {
          name: 'displayName',
          email: 'email',
          'email-verified': 'emailVerified',
          'password-managed': 'passwordManaged',
          locale: 'locale',
        }),
        ...(values['clear-roles'] ? { roles: [] } : {}),
        ...fromFlags(values, { role: 'roles' }),
      };
      const u = await svc.updateUser(deps, actor, positionals[0], patch);
      print(describeUser(u), u);
      return;
    }
    const { positionals } = args(rest, {}, 1);
    const login = positionals[0];
    if (sub === 'delete') {
      const r = await svc.deleteUser(deps, actor, login);
      print(`deleted user ${r.deleted}; audit events kept as ${r.pseudonym}`, r);
      return;
    }
    if (sub === 'invite') {
      const r = await invitations.inviteUser(deps, actor, login);
      print(`invitation sent to ${login}; valid until ${r.invitation.expiresAt}`, r);
      return;
    }
    if (sub === 'revoke-invitation') {
      await invitations.revokeInvitation(deps, actor, login);
      print(`invitation of ${login} withdrawn`, { revoked: true });
      return;
    }
    if (sub === 'show') {
      const u = await svc.getUser(deps, actor, login);
      print(describeUser(u), u);
    } else if (sub === 'disable' || sub === 'enable') {
      const u = await svc.setUserStatus(deps, actor, login, sub === 'disable' ? 'disabled' : 'active');
      print(`${u.login} is now ${u.status}`, u);
    } else if (sub === 'reset-password') {
      const r = await svc.resetPassword(deps, actor, login);
      print(
        `temporary password for ${r.user.login}: ${r.temporaryPassword}\n(shown once; it must be changed at the next sign-in)`,
        { id: r.user.id, login: r.user.login, temporaryPassword: r.temporaryPassword },
      );
    } else if (sub === 'unlock') {
      const u = await svc.unlockUser(deps, actor, login);
      print(`${u.login} can sign in again`, u);
    } else if (sub === 'require-reregistration') {
      const u = await svc.requireReregistration(deps, actor, login);
      print(`every method of ${u.login} was removed`, u);
    }
    return;
  }

  if (cmd === 'group') {
    if (sub === 'members') {
      const { positionals } = args(rest, {}, 1);
      const r = await svc.groupMembers(deps, actor, positionals[0]);
      print(
        r.members.map((m) => `${m.login}\t${m.displayName}`).join('\n') || `${r.group.name} has no members`,
        {
          group: r.group.name,
          members: r.members,
        },
      );
    } else if (sub === 'remove-member') {
      const { positionals } = args(rest, {}, 2);
      const removed = await svc.removeGroupMember(deps, actor, positionals[0], positionals[1]);
      print(
        removed
          ? `removed ${positionals[1]} from ${positionals[0]}`
          : `${positionals[1]} was not in ${positionals[0]}`,
        {
          removed,
        },
      );
    } else if (sub === 'delete') {
      const { positionals } = args(rest, {}, 1);
      await svc.deleteGroup(deps, actor, positionals[0]);
      print(`deleted group ${positionals[0]}`, { deleted: positionals[0] });
    }
    return;
  }

  if (cmd === 'client') {
    if (sub === 'update') {
      const { values, positionals } = args(
        rest,
        {
          ...lists('redirect-uri', 'post-logout-redirect-uri', 'grant-type'),
          ...strings('name', 'scope', 'backchannel-logout-uri'),
          ...switches('first-party', 'admin', 'scim'),
          ...CLIENT_SETTING_FLAGS,
        },
        1,
      );
      let patch: Record<string, unknown>;
      try {
        patch = settingsFromFlags(values, (f) => fs.readFileSync(f, 'utf8'));
      } catch (err) {
        if (err instanceof ClientSpecError) throw new CliUsage(err.message);
        throw err;
      }
      Object.assign(
        patch,
        fromFlags(values, {
          'backchannel-logout-uri': 'backchannelLogoutUri',
          'redirect-uri': 'redirectUris',
          'post-logout-redirect-uri': 'postLogoutRedirectUris',
          'grant-type': 'grantTypes',
          name: 'name',
          scope: 'scope',
          'first-party': 'firstParty',
          admin: 'admin',
          scim: 'scim',
        }),
      );
      // An empty back-channel URI or scope clears it.
      for (const k of ['backchannelLogoutUri', 'scope']) if (patch[k] === '') patch[k] = null;
      const c = await svc.updateClient(deps, actor, positionals[0], patch);
      print(`updated client ${c.clientId}: ${c.grantTypes.join(',')} ${c.redirectUris.join(' ')}`, c);
      return;
    }
    const { positionals } = args(rest, {}, 1);
    if (sub === 'show') {
      const c = await svc.getClient(deps, actor, positionals[0]);
      print(
        [
          `${c.clientId}${c.builtin ? ' (built in)' : ''}: ${c.name}`,
          `  ${c.public ? 'public' : 'confidential'}${c.firstParty ? ', first-party' : ''}; grants: ${c.grantTypes.join(', ')}`,
          `  redirect URIs: ${c.redirectUris.join(' ') || '-'}`,
          `  scope: ${c.scope ?? '(any)'}; admin scope: ${c.admin ? 'granted' : 'not granted'}; scim: ${c.scim ? 'granted' : 'not granted'}`,
          `  token endpoint auth: ${c.authMethod}; ID token alg: ${c.idTokenAlg}${c.jwksUri ? `; jwks_uri: ${c.jwksUri}` : c.jwks ? '; jwks: set' : ''}`,
          `  back-channel logout: ${c.backchannelLogoutUri ?? '-'}${c.backchannelLogoutSessionRequired ? ' (sid required)' : ''}`,
          `  front-channel logout: ${c.frontchannelLogoutUri ?? '-'}${c.frontchannelLogoutSessionRequired ? ' (iss and sid)' : ''}`,
          `  CORS origins: ${c.corsOrigins.join(' ') || (c.public ? '(its redirect URIs)' : '-')}`,
        ].join('\n'),
        c,
      );
    } else if (sub === 'rotate-secret') {
      const r = await svc.rotateClientSecret(deps, actor, positionals[0]);
      print(
        `new client_secret for ${r.client.clientId}: ${r.clientSecret}\n(shown once: store it now; the old one no longer works)`,
        {
          client_id: r.client.clientId,
          client_secret: r.clientSecret,
        },
      );
    } else if (sub === 'delete') {
      await svc.deleteClient(deps, actor, positionals[0]);
      print(`deleted client ${positionals[0]}`, { deleted: positionals[0] });
    }
    return;
  }

  if (cmd === 'api') return apiCommand(sub, rest, deps, actor, print);

  if (cmd === 'audit') {
    if (sub === 'sweep') {
      args(rest);
      const n = await svc.sweepAuditRetention(deps);
      print(`deleted ${n} audit events older than the retention period`, { deleted: n });
      return;
    }
    const { values } = args(rest, auditOptions);
    const { json: _json, ...filters } = values;
    const q = svc.parseAuditQuery(filters);
    if (sub === 'export') {
      let csv = '';
      for await (const line of await svc.exportAuditCsv(deps, actor, q)) csv += line;
      return csv;
    }
    const r = await svc.listAuditEvents(deps, actor, q);
    print(
      r.events
        .map((e) => `${e.at}\t${e.activity}\t${e.result}\t${e.actor ?? '-'}\t${e.subject ?? '-'}`)
        .join('\n') || 'no events match',
      r,
    );
    return;
  }

  if (cmd === 'notice' && sub === 'list') {
    const { values } = args(rest, {
      failed: { type: 'boolean' },
      pending: { type: 'boolean' },
      limit: { type: 'string' },
    });
    if (values.failed && values.pending) throw new CliUsage('give --failed or --pending, not both');
    const q = parseNoticeQuery({ status: values.pending ? 'pending' : 'failed', limit: values.limit });
    const r = await listQueuedNotices(deps, actor, q);
    const rows = r.notices.map(
      (n) =>
        `${n.id}\t${n.createdAt}\t${n.purpose}\t${n.login ?? '-'}\t${n.attempts} tries\t${
          n.status === 'failed' ? `failed ${n.failedAt}` : `next ${n.nextTryAt}`
        }\t${n.lastError ?? '-'}`,
    );
    print(
      [
        `queue: ${r.depth.pending} pending, ${r.depth.failed} failed`,
        ...(rows.length ? rows : [`no ${q.status} notices`]),
      ].join('\n'),
      r,
    );
    return;
  }

  if (cmd === 'report' && sub === 'show') {
    args(rest);
    const r = await loadReport(deps);
    const reg = r.registration;
    print(
      [
        `as of ${r.asOf} (resets over ${r.days} days)`,
        `active users: ${reg.active}; registered: ${reg.registered}; enabled for reset: ${reg.inScope}; capable of reset: ${reg.capable}`,
        `methods: ${r.methods.map((m) => `${m.kind} ${m.registered} (${m.users} users)`).join(', ') || '-'}`,
        `resets: ${r.resetsPerDay.reduce((n, d) => n + d.count, 0)}; by method: ${r.resetsPerMethod.map((m) => `${m.method} ${m.count}`).join(', ') || '-'}`,
        `attempts: ${r.outcomes.map((o) => `${o.result} ${o.count}`).join(', ')}`,
      ].join('\n'),
      r,
    );
  }
  return;
}

function describeApi(a: apis.ApiView): string {
  return [
    `${a.identifier}: ${a.name}`,
    `  scopes: ${a.scopes.join(' ') || '-'}; tokens: ${a.tokenFormat}, ${a.tokenTtlSeconds} s${a.tokenFormat === 'jwt' ? `, ${a.signingAlg}` : ''}${a.introspectionClientId ? `; introspected by ${a.introspectionClientId}` : ''}`,
    ...(a.grants.length
      ? a.grants.map((g) => `  granted to ${g.clientId}: ${g.scopes.join(' ') || '(no scopes)'}`)
      : ['  granted to no application']),
  ].join('\n');
}

/** `--scope` given once or more; a single empty value clears the list. */
const scopesOf = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.flatMap((s) => String(s).split(' ')).filter(Boolean) : undefined;

/** `--ttl` as whole seconds (the service checks the range). */
function ttlOf(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d{1,6}$/.test(v)) throw new CliUsage('--ttl: whole seconds, such as 600');
  return Number(v);
}

async function apiCommand(
  sub: string,
  rest: string[],
  deps: svc.AdminDeps,
  actor: ReturnType<typeof cliActor>,
  print: (human: string, json: unknown) => void,
): Promise<undefined> {
  if (sub === 'list') {
    args(rest);
    const list = await apis.listAllApis(deps, actor);
    print(list.map(describeApi).join('\n') || 'no APIs yet', list);
    return;
  }
  const settingFlags = {
    ...strings('name', 'format', 'ttl', 'alg', 'introspection-client'),
    ...lists('scope'),
  };
  if (sub === 'show' || sub === 'delete') {
    const { positionals } = args(rest, {}, 1);
    if (sub === 'show') {
      const a = await apis.getApi(deps, actor, positionals[0]);
      print(describeApi(a), a);
    } else {
      await apis.deleteApi(deps, actor, positionals[0]);
      print(`deleted API ${positionals[0]}`, { deleted: positionals[0] });
    }
    return;
  }
  if (sub === 'add' || sub === 'update') {
    const { values, positionals } = args(rest, settingFlags, 1);
    const input = {
      ...(sub === 'add' ? { identifier: positionals[0] } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.scope !== undefined ? { scopes: scopesOf(values.scope) } : {}),
      ...(values.format !== undefined ? { tokenFormat: values.format } : {}),
      ...(values.ttl !== undefined ? { tokenTtlSeconds: ttlOf(values.ttl) } : {}),
      ...(values.alg !== undefined ? { signingAlg: values.alg } : {}),
      ...(values['introspection-client'] !== undefined
        ? { introspectionClientId: values['introspection-client'] || null }
        : {}),
    };
    const a =
      sub === 'add'
        ? await apis.createApi(deps, actor, input)
        : await apis.updateApi(deps, actor, positionals[0], input);
    print(`${sub === 'add' ? 'created' : 'updated'} API ${describeApi(a)}`, a);
    return;
  }
  if (sub === 'grant') {
    const { values, positionals } = args(rest, lists('scope'), 2);
    const a = await apis.grantApi(deps, actor, positionals[0], positionals[1], {
      scopes: scopesOf(values.scope) ?? [],
    });
    print(describeApi(a), a);
    return;
  }
  const { positionals } = args(rest, {}, 2);
  const r = await apis.revokeApiGrant(deps, actor, positionals[0], positionals[1]);
  print(
    r.changed
      ? `${positionals[1]} may no longer ask for tokens for ${positionals[0]}`
      : `${positionals[1]} held no grant on ${positionals[0]}`,
    r,
  );
  return;
}

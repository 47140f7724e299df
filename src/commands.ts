import fs from 'node:fs';
import { BackupError, backupEmbedded } from './backup.ts';
import { migrateLatest } from './db/migrate.ts';
import { ADMIN_USAGE, runAdminCommand } from './flows/admin/cli.ts';
import * as kit from './flows/admin/cli-kit.ts';
import { cliActor } from './flows/admin/permissions.ts';
import * as svc from './flows/admin/service.ts';
import { AppError } from './http/errors.ts';
import {
  addClient,
  CLIENT_SETTING_FLAGS,
  ClientSpecError,
  GRANT_TYPES,
  type GrantType,
  settingsFromFlags,
} from './oidc/clients.ts';
import { rotateKeys } from './oidc/keys.ts';
import {
  createRegistrationToken,
  listRegistrationTokens,
  revokeRegistrationToken,
} from './oidc/registration.ts';
import {
  parseCliValue,
  policyFromSettings,
  questionSettingsProblem,
  validatePolicyValue,
} from './policy/settings.ts';
import { type Activity, recordAudit } from './store/audit.ts';
import { listClients } from './store/clients.ts';
import { isServerDatabase } from './store/locks.ts';
import { exportDirectory, ImportError, importDirectory } from './store/portable.ts';
import { readSettings, writeSetting } from './store/settings.ts';
import { DuplicateError, normalizeLogin } from './store/users.ts';

export interface CommandContext extends kit.AdminCommandContext {
  /** Present when the command runs inside a server (through the control socket). */
  onKeysChanged?: () => Promise<unknown>;
}

export type CommandResult = kit.AdminCommandResult;

export const USAGE = `Usage: tobira <command> [options]   (add --json for machine-readable output)

  migrate                                   apply database migrations
  user add LOGIN [--name N] [--email E] [--admin] [--password-stdin]
  user set-password LOGIN --password-stdin
  user list [--limit N] [--after LOGIN]       in login order, 1000 at a time; says when truncated
  group add NAME
  group add-member GROUP LOGIN
  group list
  client add CLIENT_ID --redirect-uri URI [--redirect-uri URI...] [--public]
             [--grant-type T...] [--first-party] [--post-logout-redirect-uri URI...]
             [--backchannel-logout-uri URI [--backchannel-logout-session-required]]
             [--name NAME] [--scope "S1 S2"] [--admin] [--scim]
             [--id-token-alg ES256|RS256|PS256|EdDSA]
             [--auth-method client_secret_basic|client_secret_post|client_secret_jwt|private_key_jwt]
             [--jwks JSON|@FILE | --jwks-uri URI] [--default-max-age SECONDS] [--require-auth-time]
             [--frontchannel-logout-uri URI [--frontchannel-logout-session-required]]
             [--cors-origin ORIGIN...]
                                            --admin grants the admin scope (admin API); denied by default
                                            --scim grants the scim scope (SCIM /scim/v2/); needs --first-party
  client list
  client registration-token create [--expires-in-days N] | list | revoke ID
                                            initial access tokens for Dynamic Client Registration
                                            (DYNAMIC_CLIENT_REGISTRATION=on); the token is shown once
  policy show
  policy set KEY VALUE                      VALUE is JSON (true, 2, ["a"]) or a plain string
  keys rotate                               add new signing keys; old ones stay published until expiry
  backup FILE                               snapshot of the embedded database (works while the server runs)
  restore FILE                              unpack a backup into an empty DATA_DIR (server stopped)
  export [FILE]                             users, groups, security info, clients and policy as JSON
  import FILE                               load an export into a database without users
${ADMIN_USAGE}`;

class UsageError extends Error {}

/**
 * `--help` (or `-h`) anywhere on a command line: the usage lines of that command (e.g. `user update`),
 * of its group (`user`) when the sub-command is unknown, else the whole usage. undefined without it.
 */
export function helpFor(argv: string[]): string | undefined {
  if (!argv.some((a) => a === '--help' || a === '-h')) return undefined;
  const words = argv.filter((a) => !a.startsWith('-'));
  const entries: string[][] = [];
  for (const line of USAGE.split('\n').slice(1)) {
    if (/^ {2}\S/.test(line)) entries.push([line]);
    else if (/^ {3,}\S/.test(line) && entries.length) entries[entries.length - 1].push(line);
  }
  for (let n = Math.min(words.length, 2); n > 0; n--) {
    const prefix = words.slice(0, n).join(' ');
    const hits = entries.filter((e) => {
      const text = e[0].trim();
      return text === prefix || text.startsWith(`${prefix} `) || text.includes(`| ${prefix} `);
    });
    if (hits.length) return `Usage: tobira ${prefix} ...\n\n${hits.flat().join('\n')}\n`;
  }
  return USAGE;
}

const MAX_PASSWORD = 256;

function passwordFromStdin(stdin: string | undefined): string {
  if (stdin === undefined) throw new UsageError('--password-stdin: no input on standard input');
  const pw = stdin.replace(/\r?\n$/, '');
  const len = [...pw].length;
  if (len < 8) throw new UsageError('password: at least 8 characters are required');
  if (len > MAX_PASSWORD) throw new UsageError(`password: at most ${MAX_PASSWORD} characters are allowed`);
  return pw;
}

/** Runs one CLI command against a database. Shared by the `tobira` process and the server's control socket. */
export async function runCommand(
  argv: string[],
  stdin: string | undefined,
  cx: CommandContext,
): Promise<CommandResult> {
  const help = helpFor(argv);
  if (help) return { code: 0, stdout: help, stderr: '' };
  const admin = await runAdminCommand(argv, cx);
  if (admin) return admin;
  const out: string[] = [];
  const jsonOut = argv.includes('--json');
  const print = (human: string, json: unknown) => out.push(jsonOut ? JSON.stringify(json) : human);
  // Notes for a person (a truncated list): on standard error, so --json output stays parseable.
  const notes: string[] = [];
  try {
    const code = await dispatch(argv, stdin, cx, print, (n) => notes.push(n));
    return {
      code,
      stdout: out.length ? `${out.join('\n')}\n` : '',
      stderr: notes.map((n) => `tobira: ${n}\n`).join(''),
    };
  } catch (err) {
    let message: string;
    let code = 1;
    if (err instanceof UsageError || err instanceof ClientSpecError || err instanceof BackupError) {
      message = err.message;
      code = 2;
    } else if (err instanceof ImportError) {
      message = err.message;
      code = 3;
    } else if (err instanceof DuplicateError) {
      message = `already exists: ${err.message}`;
      code = 3;
    } else if (err instanceof NotFound) {
      message = err.message;
      code = 4;
    } else if (
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      message = (err as Error).message;
      code = 2;
    } else if (kit.refusalOf(err)) {
      ({ code, message } = kit.refusalOf(err)!);
    } else {
      message = `unexpected error: ${(err as Error).message}`;
    }
    const stderr = jsonOut
      ? `${JSON.stringify({ error: message })}\n`
      : `tobira: ${message}\n${code === 2 ? `\n${USAGE}` : ''}`;
    return { code, stdout: out.join('\n'), stderr };
  }
}

class NotFound extends Error {}

/**
 * The services' refusals that these commands have always put in their own words: a user or group
 * that does not exist (exit code 4), a login or group name already taken (3).
 */
const inOwnWords =
  (names: { user?: string; group?: string }) =>
  (err: unknown): never => {
    const [what, problem] = err instanceof AppError ? err.code.split('.') : [];
    const name = what === 'user' || what === 'group' ? names[what] : undefined;
    if (name !== undefined && problem === 'not_found') throw new NotFound(`no such ${what}: ${name}`);
    if (name !== undefined && problem === 'exists') throw new DuplicateError(`${what} ${name} exists`);
    throw err;
  };

async function dispatch(
  argv: string[],
  stdin: string | undefined,
  cx: CommandContext,
  print: (human: string, json: unknown) => void,
  note: (message: string) => void,
): Promise<number> {
  const { db, box, clock } = cx;
  const [cmd, sub] = argv;
  const audit = (activity: Activity, subjectId: string | null, details?: Record<string, unknown>) =>
    recordAudit(db, { at: clock.now(), actorId: 'cli', subjectId, activity, result: 'succeeded', details });
  const args = (rest: string[], options: kit.Options = {}) => kit.parseFlags(rest, options);
  // Users and groups are written through the admin services, as the admin API and the console do.
  const deps = kit.adminDepsOf(cx);
  const actor = cliActor();

  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    print(USAGE.trimEnd(), { usage: USAGE });
    return 0;
  }

  if (cmd === 'migrate') {
    args(argv.slice(1));
    const applied = await migrateLatest(db);
    print(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date', { applied });
    return 0;
  }

  if (cmd === 'backup') {
    const { positionals } = args(argv.slice(1));
    if (positionals.length !== 1) throw new UsageError('backup: exactly one FILE is required');
    const r = await backupEmbedded(db, positionals[0]);
    print(`backup written to ${positionals[0]} (${r.bytes} bytes)`, { file: positionals[0], bytes: r.bytes });
    return 0;
  }

  if (cmd === 'restore') {
    throw new UsageError(
      isServerDatabase(db)
        ? 'restore: for the embedded database only; with DATABASE_URL use pg_restore (see README)'
        : 'restore: stop the server first; restore unpacks into an empty DATA_DIR',
    );
  }

  if (cmd === 'export') {
    const { positionals } = args(argv.slice(1));
    if (positionals.length > 1) throw new UsageError('export: at most one FILE');
    const doc = await exportDirectory(db, clock.now());
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    const counts = Object.fromEntries(Object.entries(doc.tables).map(([t, rows]) => [t, rows.length]));
    if (!positionals.length) {
      print(text.trimEnd(), doc);
      return 0;
    }
    fs.writeFileSync(positionals[0], text, { mode: 0o600 });
    print(`exported to ${positionals[0]}: ${JSON.stringify(counts)}`, { file: positionals[0], counts });
    return 0;
  }

  if (cmd === 'import') {
    const { positionals } = args(argv.slice(1));
    if (positionals.length !== 1) throw new UsageError('import: exactly one FILE is required');
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(positionals[0], 'utf8'));
    } catch {
      throw new UsageError(`import: ${positionals[0]} is not a readable JSON file`);
    }
    const counts = await importDirectory(db, doc);
    cx.onClientsChanged?.();
    await audit('admin.import', null, counts);
    print(`imported: ${JSON.stringify(counts)}`, { counts });
    return 0;
  }

  if (cmd === 'user' && sub === 'add') {
    const options = { ...kit.strings('name', 'email'), ...kit.switches('admin', 'password-stdin') };
    const { values, positionals } = args(argv.slice(2), options);
    const login = positionals[0];
    if (!login || positionals.length > 1) throw new UsageError('user add: exactly one LOGIN is required');
    const password = values['password-stdin'] ? passwordFromStdin(stdin) : undefined;
    const body = {
      login,
      ...kit.fromFlags(values, { name: 'displayName', email: 'email' }),
      roles: values.admin ? ['admin'] : [],
      // Without a password the account is "not yet activated", as before: no temporary password.
      ...(password ? {} : { initialPassword: 'none' }),
    };
    const { user } = await svc.createUser(deps, actor, body, { password }).catch(inOwnWords({ user: login }));
    print(`created user ${user.login} (${user.id})`, { id: user.id, login: user.login, roles: user.roles });
    return 0;
  }

  if (cmd === 'user' && sub === 'set-password') {
    const { values, positionals } = args(argv.slice(2), { 'password-stdin': { type: 'boolean' } });
    if (!values['password-stdin']) throw new UsageError('user set-password: --password-stdin is required');
    const login = positionals[0];
    if (!login) throw new UsageError('user set-password: LOGIN is required');
    const pw = passwordFromStdin(stdin);
    const user = await svc.setUserPassword(deps, actor, login, pw).catch(inOwnWords({ user: login }));
    print(`password set for ${user.login}`, { id: user.id, login: user.login });
    return 0;
  }

  if (cmd === 'user' && sub === 'list') {
    const { values } = args(argv.slice(2), kit.strings('limit', 'after'));
    const limit = values.limit === undefined ? 1000 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
      throw new UsageError('--limit: a whole number from 1 to 100000');
    // In login order, page by page of the service (at most 500 each) up to the limit.
    const users: svc.UserSummary[] = [];
    let next = typeof values.after === 'string' ? normalizeLogin(values.after) : undefined;
    do {
      const page = await svc.listUsers(deps, actor, {
        limit: Math.min(500, limit - users.length),
        after: next,
      });
      users.push(...page.users);
      next = page.next ?? undefined;
    } while (next !== undefined && users.length < limit);
    if (next !== undefined)
      note(
        `list truncated: ${users.length} users shown, more follow (tobira user list --after ${users[users.length - 1].login})`,
      );
    const rows = users.map((u) => ({
      id: u.id,
      login: u.login,
      name: u.displayName,
      email: u.email,
      status: u.status,
      roles: u.roles,
    }));
    print(
      rows.length
        ? rows.map((r) => `${r.login}\t${r.status}\t${r.roles.join(',') || '-'}\t${r.name}`).join('\n')
        : 'no users yet',
      rows,
    );
    return 0;
  }

  if (cmd === 'group' && sub === 'add') {
    const { positionals } = args(argv.slice(2));
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new UsageError('group add: exactly one NAME is required');
    const g = await svc.createGroup(deps, actor, { name }).catch(inOwnWords({ group: name }));
    print(`created group ${g.name}`, { id: g.id, name: g.name });
    return 0;
  }

  if (cmd === 'group' && sub === 'add-member') {
    const { positionals } = args(argv.slice(2));
    const [groupName, login] = positionals;
    if (!groupName || !login || positionals.length > 2)
      throw new UsageError('group add-member: GROUP and LOGIN are required');
    const named = inOwnWords({ group: groupName, user: login });
    const group = await svc.resolveGroup(db, groupName).catch(named);
    const user = await svc.resolveUser(db, login).catch(named);
    const added = await svc.addGroupMember(deps, actor, group.id, user.id);
    print(added ? `added ${user.login} to ${group.name}` : `${user.login} is already in ${group.name}`, {
      group: group.name,
      login: user.login,
      added,
    });
    return 0;
  }

  if (cmd === 'group' && sub === 'list') {
    args(argv.slice(2));
    const groups = await svc.listAllGroups(deps, actor);
    print(
      groups.map((g) => `${g.name}\t${g.members}`).join('\n') || 'no groups yet',
      groups.map((g) => ({ name: g.name, members: g.members })),
    );
    return 0;
  }

  if (cmd === 'client' && sub === 'add') {
    const { values, positionals } = args(argv.slice(2), {
      ...kit.lists('redirect-uri', 'post-logout-redirect-uri', 'grant-type'),
      ...kit.strings('backchannel-logout-uri', 'name', 'scope'),
      ...kit.switches('public', 'first-party', 'admin', 'scim'),
      ...CLIENT_SETTING_FLAGS,
    });
    const clientId = positionals[0];
    const settings = settingsFromFlags(values, (f) => fs.readFileSync(f, 'utf8'));
    if (!clientId || positionals.length > 1)
      throw new UsageError('client add: exactly one CLIENT_ID is required');
    const grantTypes = (values['grant-type'] as string[] | undefined) ?? undefined;
    for (const g of grantTypes ?? []) {
      if (!(GRANT_TYPES as readonly string[]).includes(g)) {
        throw new UsageError(`--grant-type: "${g}" is not one of ${GRANT_TYPES.join(', ')}`);
      }
    }
    const secret = await addClient(
      db,
      box,
      {
        clientId,
        redirectUris: (values['redirect-uri'] as string[] | undefined) ?? [],
        postLogoutRedirectUris: values['post-logout-redirect-uri'] as string[] | undefined,
        backchannelLogoutUri: values['backchannel-logout-uri'] as string | undefined,
        public: !!values.public,
        grantTypes: grantTypes as GrantType[] | undefined,
        firstParty: !!values['first-party'],
        name: values.name as string | undefined,
        scope: values.scope as string | undefined,
        admin: !!values.admin,
        scim: !!values.scim,
        ...(settings as Partial<import('./oidc/clients.ts').ClientSpec>),
      },
      clock.now(),
      { production: cx.config?.production },
    );
    cx.onClientsChanged?.();
    await audit('admin.client.create', null, {
      clientId,
      via: 'cli',
      admin: !!values.admin,
      ...(values.scim ? { scim: true } : {}),
    });
    print(
      secret
        ? `created client ${clientId}\nclient_secret: ${secret}\n(shown once: store it now)`
        : `created public client ${clientId}`,
      { client_id: clientId, client_secret: secret ?? null },
    );
    return 0;
  }

  if (cmd === 'client' && sub === 'registration-token') {
    const action = argv[2];
    const { values, positionals } = args(argv.slice(3), { 'expires-in-days': { type: 'string' } });
    const now = clock.now();
    if (action === 'create') {
      if (positionals.length) throw new UsageError('client registration-token create: no arguments');
      const raw = values['expires-in-days'] as string | undefined;
      if (raw !== undefined && (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > 3650))
        throw new UsageError('--expires-in-days: a whole number of days, 1 to 3650');
      const t = await createRegistrationToken(db, now, raw === undefined ? undefined : Number(raw));
      await audit('admin.client.registration_token_create', null, {
        tokenId: t.id,
        expiresAt: t.expiresAt?.toISOString() ?? null,
      });
      print(
        `initial access token ${t.id}${t.expiresAt ? ` (expires ${t.expiresAt.toISOString()})` : ''}\n` +
          `token: ${t.token}\n(shown once: store it now; only its hash is kept)`,
        { id: t.id, token: t.token, expires_at: t.expiresAt?.toISOString() ?? null },
      );
      return 0;
    }
    if (action === 'list') {
      if (positionals.length) throw new UsageError('client registration-token list: no arguments');
      const rows = await listRegistrationTokens(db, now);
      print(
        rows
          .map(
            (r) =>
              `${r.id}\tcreated ${r.createdAt.toISOString()}\texpires ${r.expiresAt?.toISOString() ?? 'never'}`,
          )
          .join('\n') || 'no registration tokens',
        rows.map((r) => ({
          id: r.id,
          created_at: r.createdAt.toISOString(),
          expires_at: r.expiresAt?.toISOString() ?? null,
        })),
      );
      return 0;
    }
    if (action === 'revoke') {
      if (positionals.length !== 1) throw new UsageError('client registration-token revoke: exactly one ID');
      const id = positionals[0].toLowerCase();
      if (!/^[0-9a-f]{8,64}$/.test(id))
        throw new UsageError('client registration-token revoke: ID is the hex id that list shows');
      if (!(await revokeRegistrationToken(db, id))) throw new NotFound(`no registration token ${id}`);
      await audit('admin.client.registration_token_revoke', null, { tokenId: id.slice(0, 12) });
      print(`revoked registration token ${id}`, { revoked: id });
      return 0;
    }
    throw new UsageError('client registration-token: create, list or revoke');
  }

  if (cmd === 'client' && sub === 'list') {
    args(argv.slice(2));
    const clients = await listClients(db);
    const rows = clients.map((c) => ({
      client_id: c.clientId,
      first_party: c.firstParty,
      admin: c.adminGranted,
      scim: c.scimGranted,
      grant_types: c.metadata.grant_types,
      redirect_uris: c.metadata.redirect_uris,
    }));
    print(
      rows
        .map((r) => `${r.client_id}\t${(r.grant_types as string[]).join(',')}${r.admin ? '\tadmin' : ''}`)
        .join('\n') || 'no clients',
      rows,
    );
    return 0;
  }

  if (cmd === 'policy' && sub === 'show') {
    args(argv.slice(2));
    const policy = policyFromSettings(await readSettings(db));
    print(
      Object.entries(policy)
        .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
        .join('\n'),
      policy,
    );
    return 0;
  }

  if (cmd === 'policy' && sub === 'set') {
    const { positionals } = args(argv.slice(2));
    const [key, raw] = positionals;
    if (!key || raw === undefined || positionals.length > 2)
      throw new UsageError('policy set: KEY and VALUE are required');
    const check = validatePolicyValue(key, parseCliValue(raw));
    if (!check.ok) throw new UsageError(check.message);
    const before = policyFromSettings(await readSettings(db)) as Record<string, unknown>;
    const crossRule = questionSettingsProblem(key, { ...before, [key]: check.value });
    if (crossRule) throw new UsageError(crossRule);
    await db.transaction(async (trx) => {
      await writeSetting(trx, key, check.value, clock.now(), 'cli');
      await recordAudit(trx, {
        at: clock.now(),
        actorId: 'cli',
        activity: 'admin.policy.update',
        result: 'succeeded',
        details: { key, before: before[key], after: check.value },
      });
    });
    print(`${key} = ${JSON.stringify(check.value)}`, { key, value: check.value });
    return 0;
  }

  if (cmd === 'keys' && sub === 'rotate') {
    args(argv.slice(2));
    const kids = await rotateKeys(db, box, clock.now());
    await cx.onKeysChanged?.();
    await audit('admin.keys.rotate', null, { kids });
    print(
      `new signing keys: ${kids.join(', ')}; previous keys stay published until what they signed expires`,
      {
        kids,
      },
    );
    return 0;
  }

  throw new UsageError(
    `unknown command: ${
      argv
        .filter((a) => a !== '--json')
        .slice(0, 2)
        .join(' ') || '(none)'
    }`,
  );
}

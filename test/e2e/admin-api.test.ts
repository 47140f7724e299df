import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { sweepAuditRetention } from '../../src/flows/admin/service.ts';
import { ACR_MFA } from '../../src/oidc/acr.ts';
import { type Activity, recordAudit } from '../../src/store/audit.ts';
import { insertCredential } from '../../src/store/credentials.ts';
import { Browser } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { registerAppInPortal } from '../helpers/reset.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, toolAvailable } from '../helpers/tools.ts';

interface ApiResponse {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** Parses CSV (RFC 4180: quoted cells, doubled quotes, CRLF) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

// Administrators' and helpdesk users' tokens need a sign-in with a second factor: codes from oathtool.
const skipReason = toolAvailable(OATHTOOL) ? undefined : `${OATHTOOL} not found: apt-get install oathtool`;
if (skipReason && process.env.TOBIRA_REQUIRE_TOOLS === '1') throw new Error(skipReason);
if (skipReason) process.stderr.write(`NOTICE: ${skipReason}; skipping the admin API tests\n`);

describe(`admin API over HTTP with tokens (${backendName})`, { skip: skipReason }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  let machine: { clientId: string; secret?: string };
  let web: { clientId: string; secret?: string };
  let adminToken: string;
  let helpdeskToken: string;
  let ninaToken: string;
  let ada: { id: string };
  let hal: { id: string };
  let nina: { id: string };
  /** Authenticator-app secrets of the users who sign in with a second factor (ada, hal). */
  const totp: Record<string, string> = {};

  async function api(
    token: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    raw?: string,
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`${srv.url}/api/admin/v1${path}`, {
      method,
      headers,
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    // Keep a byte-order mark: the CSV export starts with one.
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await r.arrayBuffer());
    const json =
      (r.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : undefined;
    return { status: r.status, body: json, text, headers: r.headers };
  }

  const maxId = async () => Number((await tdb.db('audit_events').max({ m: 'id' }).first())?.m ?? 0);

  /** Runs an action and checks it left exactly one administrator audit event, with this actor. */
  async function audited<T>(
    activity: string,
    actorId: string,
    action: () => Promise<T>,
    subjectId?: string | null,
  ): Promise<T> {
    const from = await maxId();
    const out = await action();
    const events = await tdb
      .db('audit_events')
      .where('id', '>', from)
      .andWhere('activity', 'like', 'admin.%')
      .orderBy('id');
    assert.equal(
      events.length,
      1,
      `one admin event for ${activity}, got ${events.map((e: any) => e.activity).join(', ')}`,
    );
    assert.equal(events[0].activity, activity);
    assert.equal(events[0].actor_id, actorId);
    assert.equal(events[0].result, 'succeeded');
    if (subjectId !== undefined) assert.equal(events[0].subject_id, subjectId);
    return out;
  }

  /** A user's access token through the first-party client granted admin; with a second factor when the user has one. */
  async function userToken(login: string, pw = password, scope = 'openid admin', newPassword?: string) {
    const config = await discover(srv.issuer, web.clientId, web.secret);
    const secret = totp[login];
    const code = () => {
      clock.advance(30_000);
      return oathtoolCode(secret, clock.now());
    };
    const { tokens } = await codeFlow(
      config,
      { username: login, password: pw, newPassword, code: secret ? code : undefined },
      { scope, browser: new Browser(), extra: secret ? { acr_values: ACR_MFA } : {} },
    );
    return tokens.access_token;
  }

  async function machineToken(clientId: string, secret: string, scope = 'admin') {
    const config = await discover(srv.issuer, clientId, secret);
    return (await oidc.clientCredentialsGrant(config, scope ? { scope } : {})).access_token;
  }

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    // Tokens here come from password sign-ins; the console test covers the second factor.
    await setPolicy(srv, 'mfa', 'off');
    ada = await addUserViaCli(srv, 'ada', password, ['--admin', '--email', 'ada@example.com']);
    hal = await addUserViaCli(srv, 'hal', password);
    nina = await addUserViaCli(srv, 'nina', password, [
      '--name',
      'Nina Simone',
      '--email',
      'nina@example.com',
    ]);
    await tdb
      .db('users')
      .where({ id: hal.id })
      .update({ roles: JSON.stringify(['helpdesk']) });
    totp.ada = await registerAppInPortal(srv.issuer, 'ada', password, clock);
    totp.hal = await registerAppInPortal(srv.issuer, 'hal', password, clock);
    // The admin scope is granted to each client explicitly.
    machine = await addClientViaCli(srv, ['machine', '--grant-type', 'client_credentials', '--admin']);
    web = await addClientViaCli(srv, ['web-app', '--redirect-uri', REDIRECT_URI, '--first-party', '--admin']);
    adminToken = await machineToken(machine.clientId, machine.secret!);
    helpdeskToken = await userToken('hal');
    ninaToken = await userToken('nina');
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  it('serves an OpenAPI 3.1 document listing every operation', async () => {
    const r = await api(undefined, 'GET', '/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, '3.1.0');
    const ops = Object.values(r.body.paths as Record<string, Record<string, any>>).flatMap((p) =>
      Object.values(p),
    );
    const ids = ops.map((o) => o.operationId);
    for (const id of [
      'getPolicy',
      'updatePolicy',
      'listUsers',
      'createUser',
      'getUser',
      'updateUser',
      'disableUser',
      'enableUser',
      'resetUserPassword',
      'unlockUser',
      'requireReregistration',
      'listGroups',
      'createGroup',
      'deleteGroup',
      'addGroupMember',
      'removeGroupMember',
      'listClients',
      'createClient',
      'updateClient',
      'rotateClientSecret',
      'deleteClient',
      'listAudit',
      'exportAudit',
      'getReports',
    ]) {
      assert.ok(ids.includes(id), id);
    }
    // Every $ref resolves.
    for (const m of r.text.matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)) {
      assert.ok(r.body.components.schemas[m[1]], m[1]);
    }
    assert.ok(
      r.body.paths['/policy'].patch.requestBody.content['application/json'].schema.properties.resetScope,
    );
  });

  it('refuses requests without a valid token (401) and tokens without the admin scope or role (403)', async () => {
    let r = await api(undefined, 'GET', '/users');
    assert.equal(r.status, 401);
    assert.equal(r.body.error, 'invalid_token');
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="tobira-admin"/);
    r = await api('not-a-token', 'GET', '/users');
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_token"/);

    const plain = await addClientViaCli(srv, ['plain-machine', '--grant-type', 'client_credentials']);
    r = await api(await machineToken(plain.clientId, plain.secret!, ''), 'GET', '/users');
    assert.equal(r.status, 403);
    assert.equal(r.body.error, 'insufficient_scope');

    // A user who is neither administrator nor helpdesk, even with the admin scope.
    r = await api(ninaToken, 'GET', '/users');
    assert.equal(r.status, 403);
    r = await api(ninaToken, 'PATCH', '/policy', { mfa: 'off' });
    assert.equal(r.status, 403);
    // An administrator's token from a password-only sign-in (test/security/admin-scope.test.ts attacks it).
    const pwdOnly = await codeFlow(
      await discover(srv.issuer, web.clientId, web.secret),
      { username: 'ada', password },
      { scope: 'openid admin', browser: new Browser() },
    );
    r = await api(pwdOnly.tokens.access_token, 'GET', '/users');
    assert.equal(r.status, 403);
    assert.equal(r.body.error, 'insufficient_user_authentication');
    // An administrator's token without the admin scope.
    r = await api(await userToken('ada', password, 'openid'), 'GET', '/users');
    assert.equal(r.status, 403);
    assert.equal(r.body.error, 'insufficient_scope');
    // An administrator's own sign-in with the scope works.
    r = await api(await userToken('ada'), 'GET', '/me');
    assert.equal(r.status, 200);
    assert.equal(r.body.id, ada.id);
    assert.ok(r.body.permissions.includes('policy.write'));
  });

  it('lets the helpdesk view users and unlock, but not change policy, groups, clients or users', async () => {
    let r = await api(helpdeskToken, 'GET', '/me');
    assert.deepEqual(r.body.permissions.sort(), ['contacts.read', 'users.read', 'users.unlock']);
    r = await api(helpdeskToken, 'GET', '/users?q=nin');
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.users.map((u: any) => u.login),
      ['nina'],
    );
    r = await api(helpdeskToken, 'GET', '/users/nina');
    assert.equal(r.status, 200);
    assert.equal(r.body.email, 'nina@example.com');
    await audited(
      'admin.user.unlock',
      hal.id,
      async () => {
        r = await api(helpdeskToken, 'POST', `/users/${nina.id}/unlock`);
        assert.equal(r.status, 200);
      },
      nina.id,
    );
    r = await api(helpdeskToken, 'GET', '/contact-requests');
    assert.equal(r.status, 200);
    const before = await maxId();
    for (const [method, path, body] of [
      ['PATCH', '/policy', { mfa: 'off' }],
      ['GET', '/policy', undefined],
      ['POST', '/groups', { name: 'x' }],
      ['POST', '/clients', { clientId: 'x', redirectUris: ['https://x.example/cb'] }],
      ['POST', `/users/${nina.id}/disable`, undefined],
      ['POST', `/users/${nina.id}/reset-password`, undefined],
      ['PATCH', `/users/${nina.id}`, { roles: ['admin'] }],
      ['GET', '/audit', undefined],
      ['GET', '/reports', undefined],
    ] as const) {
      r = await api(helpdeskToken, method, path, body);
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.body.error, 'forbidden');
    }
    assert.equal(await maxId(), before, 'refused requests change nothing');
    r = await api(adminToken, 'GET', '/policy');
    assert.equal(r.body.mfa, 'off');
  });

  it('reads and changes the policy: field-level 400s, one audit event with before and after, effective at once', async () => {
    let r = await api(adminToken, 'GET', '/policy');
    assert.equal(r.status, 200);
    assert.equal(r.body.resetScope, 'all');
    assert.equal(r.body.auditRetentionDays, 365);

    r = await api(adminToken, 'PATCH', '/policy', {
      resetScope: 'sometimes',
      reconfirmDays: 1000,
      resetMethods: [],
      accentColor: 'red',
      logoUrl: 'javascript:alert(1)',
      noSuchSetting: true,
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_request');
    assert.deepEqual(Object.keys(r.body.fields).sort(), [
      'accentColor',
      'logoUrl',
      'noSuchSetting',
      'reconfirmDays',
      'resetMethods',
      'resetScope',
    ]);
    assert.match(r.body.fields.reconfirmDays, /730/);
    r = await api(adminToken, 'PATCH', '/policy', { resetScope: 'selected' });
    assert.equal(r.status, 400);
    assert.ok(r.body.fields.resetGroups, 'selected scope needs groups');
    r = await api(adminToken, 'PATCH', '/policy', { resetScope: 'selected', resetGroups: ['nope'] });
    assert.equal(r.status, 400);
    assert.match(r.body.fields.resetGroups, /nope/);
    r = await api(adminToken, 'PATCH', '/policy', undefined, '{not json');
    assert.equal(r.status, 400);
    r = await api(adminToken, 'PATCH', '/policy', undefined, '[1]');
    assert.equal(r.status, 400);
    assert.ok(r.body.fields.body);

    // In Japanese when asked.
    const ja = await fetch(`${srv.url}/api/admin/v1/policy`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${adminToken}`,
        'content-type': 'application/json',
        'accept-language': 'ja',
      },
      body: JSON.stringify({ reconfirmDays: -1 }),
    });
    assert.match((await ja.json()).fields.reconfirmDays, /以上/);

    await api(adminToken, 'POST', '/groups', { name: 'staff' });
    r = await audited('admin.policy.update', `client:${machine.clientId}`, () =>
      api(adminToken, 'PATCH', '/policy', {
        resetScope: 'selected',
        resetGroups: ['staff'],
        reconfirmDays: 90,
        mfa: 'off',
      }),
    );
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.changed.sort(), ['reconfirmDays', 'resetGroups', 'resetScope']);
    const ev = await tdb
      .db('audit_events')
      .where({ activity: 'admin.policy.update' })
      .orderBy('id', 'desc')
      .first();
    const details = typeof ev.details === 'string' ? JSON.parse(ev.details) : ev.details;
    assert.deepEqual(details.before, { resetScope: 'all', resetGroups: [], reconfirmDays: 180 });
    assert.deepEqual(details.after, { resetScope: 'selected', resetGroups: ['staff'], reconfirmDays: 90 });
    assert.equal((await srv.app.deps.policy()).resetScope, 'selected', 'in force at once');
    r = await api(adminToken, 'GET', '/policy');
    assert.equal(r.body.reconfirmDays, 90);
    // The reset policy's group cannot be deleted.
    r = await api(adminToken, 'DELETE', '/groups/staff');
    assert.equal(r.status, 409);
    await api(adminToken, 'PATCH', '/policy', { resetScope: 'all', resetGroups: [] });
  });

  it('creates users (temporary password once), refuses bad or duplicate ones, lists and searches', async () => {
    let r = await api(adminToken, 'POST', '/users', {
      login: 'bad login!',
      email: 'not-an-email',
      roles: ['root'],
      extra: 1,
    });
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.body.fields).sort(), ['email', 'extra', 'login', 'roles.0']);
    r = await api(adminToken, 'POST', '/users', {});
    assert.equal(r.status, 400);
    assert.match(r.body.fields.login, /required/);
    r = await api(adminToken, 'POST', '/users', { login: 'NINA' });
    assert.equal(r.status, 409);
    assert.ok(r.body.fields.login);

    const res = await audited('admin.user.create', `client:${machine.clientId}`, () =>
      api(adminToken, 'POST', '/users', {
        login: 'omar',
        displayName: 'Omar K',
        email: 'omar@example.com',
        groups: ['staff'],
      }),
    );
    assert.equal(res.status, 201);
    assert.match(res.body.temporaryPassword, /^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    assert.equal(res.body.user.mustChangePassword, true);
    assert.deepEqual(res.body.user.groups, ['staff']);
    // The temporary password signs in.
    assert.ok(await userToken('omar', res.body.temporaryPassword, 'openid', 'velvet thunder orchard 81'));

    r = await api(adminToken, 'POST', '/users', { login: 'ext', passwordManaged: 'external' });
    assert.equal(r.status, 201);
    assert.equal(r.body.temporaryPassword, null);
    assert.equal(r.body.user.passwordManaged, 'external');

    r = await api(adminToken, 'GET', '/users?q=OMA');
    assert.deepEqual(
      r.body.users.map((u: any) => u.login),
      ['omar'],
    );
    r = await api(adminToken, 'GET', '/users?q=simone');
    assert.deepEqual(
      r.body.users.map((u: any) => u.login),
      ['nina'],
      'matches the display name',
    );
    r = await api(adminToken, 'GET', '/users?q=%25');
    assert.equal(r.body.users.length, 0, 'LIKE wildcards are literal');
    assert.equal(r.body.next, null);
    r = await api(adminToken, 'GET', '/users?role=admin');
    assert.deepEqual(
      r.body.users.map((u: any) => u.login),
      ['ada'],
    );
    // Keyset pages: walking `next` visits every user once, in login order, and the last page says so.
    const seen: string[] = [];
    let after = '';
    for (let pages = 0; pages < 10; pages++) {
      r = await api(adminToken, 'GET', `/users?limit=2${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      assert.equal(r.status, 200);
      assert.ok(r.body.users.length <= 2);
      seen.push(...r.body.users.map((u: any) => u.login));
      if (!r.body.next) break;
      assert.equal(r.body.users.length, 2, 'a page with a next cursor is full');
      after = r.body.next;
    }
    assert.ok(seen.length >= 5);
    assert.deepEqual(seen, [...seen].sort(), 'login order');
    assert.equal(new Set(seen).size, seen.length, 'no user twice');
    r = await api(adminToken, 'GET', '/users?offset=1');
    assert.equal(r.status, 400, 'OFFSET paging is gone');
    r = await api(adminToken, 'GET', '/users?limit=0&status=gone');
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.body.fields).sort(), ['limit', 'status']);
  });

  it("shows a user's method kinds and dates, never labels, numbers, secrets or answers", async () => {
    const now = clock.now();
    await insertCredential(
      tdb.db,
      nina.id,
      { kind: 'phone', label: '+81 90 1234 5678', data: { number: '+819012345678', type: 'mobile' } },
      now,
    );
    await insertCredential(
      tdb.db,
      nina.id,
      { kind: 'app', label: 'Work phone', data: { secret: 'JBSWY3DPEHPK3PXPSECRET' } },
      now,
    );
    const r = await api(adminToken, 'GET', `/users/${nina.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.methods.map((m: any) => m.kind).sort(), ['app', 'phone']);
    // Kinds, dates, and who added it (the user, or the organisation: issue 16); never contents.
    assert.deepEqual(Object.keys(r.body.methods[0]).sort(), [
      'confirmed',
      'createdAt',
      'isDefault',
      'kind',
      'lastUsedAt',
      'source',
    ]);
    for (const secret of ['1234', '819012345678', 'Work phone', 'JBSWY3DP'])
      assert.ok(!r.text.includes(secret), secret);
    assert.equal(r.body.reset.capable, true);
    const byLogin = await api(adminToken, 'GET', '/users/nina');
    assert.equal(byLogin.body.id, nina.id);
    assert.equal((await api(adminToken, 'GET', '/users/nobody')).status, 404);
    assert.equal((await api(adminToken, 'GET', '/users/00000000-0000-0000-0000-000000000000')).status, 404);
  });

  it('updates, disables (ending sessions) and enables a user; marks the password as managed elsewhere', async () => {
    let r = await api(adminToken, 'PATCH', '/users/nina', { displayName: 'x'.repeat(201), locale: 'fr' });
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.body.fields).sort(), ['displayName', 'locale']);
    r = await audited(
      'admin.user.update',
      `client:${machine.clientId}`,
      () => api(adminToken, 'PATCH', '/users/nina', { displayName: 'Nina S.', passwordManaged: 'external' }),
      nina.id,
    );
    assert.equal(r.body.displayName, 'Nina S.');
    assert.equal(r.body.passwordManaged, 'external');
    r = await api(adminToken, 'POST', '/users/nina/reset-password');
    assert.equal(r.status, 409, 'a password managed elsewhere is not reset here');
    await api(adminToken, 'PATCH', '/users/nina', { passwordManaged: 'local' });

    const token = await userToken('nina', password, 'openid');
    const config = await discover(srv.issuer, web.clientId, web.secret);
    assert.equal((await oidc.tokenIntrospection(config, token)).active, true);
    r = await audited(
      'admin.user.disable',
      `client:${machine.clientId}`,
      () => api(adminToken, 'POST', '/users/nina/disable'),
      nina.id,
    );
    assert.equal(r.body.status, 'disabled');
    assert.equal((await oidc.tokenIntrospection(config, token)).active, false, 'tokens are revoked');
    await assert.rejects(userToken('nina', password, 'openid'), 'a disabled user cannot sign in');
    r = await audited(
      'admin.user.enable',
      `client:${machine.clientId}`,
      () => api(adminToken, 'POST', '/users/nina/enable'),
      nina.id,
    );
    assert.equal(r.body.status, 'active');
    assert.ok(await userToken('nina', password, 'openid'));
  });

  it('an administrator cannot disable or demote themself', async () => {
    const adaToken = await userToken('ada');
    let r = await api(adaToken, 'POST', '/users/ada/disable');
    assert.equal(r.status, 409);
    r = await api(adaToken, 'PATCH', '/users/ada', { roles: [] });
    assert.equal(r.status, 409);
    assert.ok(r.body.fields.roles);
  });

  it('resets a password to a temporary one that must be changed, and unlocks a locked account', async () => {
    const r = await audited(
      'admin.user.reset_password',
      `client:${machine.clientId}`,
      () => api(adminToken, 'POST', '/users/nina/reset-password'),
      nina.id,
    );
    assert.equal(r.status, 200);
    const temp = r.body.temporaryPassword as string;
    assert.equal(r.body.user.mustChangePassword, true);
    const row = await tdb.db('users').where({ id: nina.id }).first();
    assert.equal(row.must_change_password, true);
    assert.ok(
      !JSON.stringify(await tdb.db('audit_events').where({ activity: 'admin.user.reset_password' })).includes(
        temp,
      ),
      'never logged',
    );
    await assert.rejects(userToken('nina', password, 'openid'), 'the old password no longer works');
    assert.ok(await userToken('nina', temp, 'openid', 'copper lantern drizzle 62'));
    // The user is told.
    await deliverQueuedNotices(srv);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: 'nina@example.com' })
      .orderBy('id', 'desc')
      .first();
    assert.ok(mail, 'a notice went to the user');

    await tdb
      .db('counters')
      .insert({
        key: 'signin:nina',
        hits: 0,
        lock_count: 1,
        locked_until: new Date(clock.now().getTime() + 60_000),
        updated_at: clock.now(),
      })
      .onConflict('key')
      .merge();
    let d = await api(helpdeskToken, 'GET', '/users/nina');
    assert.equal(d.body.lock.locked, true);
    d = await api(adminToken, 'POST', '/users/nina/unlock');
    assert.equal(d.body.lock.locked, false);
    assert.equal((await tdb.db('counters').where({ key: 'signin:nina' })).length, 0);
  });

  it('requires re-registration by removing every method', async () => {
    const r = await audited(
      'admin.user.require_reregistration',
      `client:${machine.clientId}`,
      () => api(adminToken, 'POST', `/users/${nina.id}/require-reregistration`),
      nina.id,
    );
    assert.deepEqual(r.body.methods, []);
    assert.equal((await tdb.db('credentials').where({ user_id: nina.id })).length, 0);
    const ev = await tdb.db('audit_events').where({ activity: 'admin.user.require_reregistration' }).first();
    const details = typeof ev.details === 'string' ? JSON.parse(ev.details) : ev.details;
    assert.equal(details.removed, 2);
  });

  it('manages groups and membership', async () => {
    let r = await api(adminToken, 'POST', '/groups', { name: '' });
    assert.equal(r.status, 400);
    assert.ok(r.body.fields.name);
    r = await api(adminToken, 'POST', '/groups', { name: 'staff' });
    assert.equal(r.status, 409);
    const g = await audited('admin.group.create', `client:${machine.clientId}`, () =>
      api(adminToken, 'POST', '/groups', { name: 'sales' }),
    );
    assert.equal(g.status, 201);
    r = await audited(
      'admin.group.add_member',
      `client:${machine.clientId}`,
      () => api(adminToken, 'PUT', `/groups/${g.body.id}/members/nina`),
      nina.id,
    );
    assert.equal(r.body.changed, true);
    r = await api(adminToken, 'GET', '/groups/sales/members');
    assert.deepEqual(
      r.body.members.map((m: any) => m.login),
      ['nina'],
    );
    r = await api(adminToken, 'GET', '/groups');
    assert.equal(r.body.groups.find((x: any) => x.name === 'sales').members, 1);
    r = await audited(
      'admin.group.remove_member',
      `client:${machine.clientId}`,
      () => api(adminToken, 'DELETE', '/groups/sales/members/nina'),
      nina.id,
    );
    assert.equal(r.body.changed, true);
    r = await audited('admin.group.delete', `client:${machine.clientId}`, () =>
      api(adminToken, 'DELETE', `/groups/${g.body.id}`),
    );
    assert.equal(r.status, 204);
    assert.equal((await api(adminToken, 'GET', '/groups/sales/members')).status, 404);
  });

  it('manages clients: create (secret once), edit, rotate, delete; the cache follows at once', async () => {
    let r = await api(adminToken, 'POST', '/clients', {
      clientId: 'bad id',
      redirectUris: ['not a url', 'https://app.example/cb#frag'],
      grantTypes: ['password'],
    });
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.body.fields).sort(), [
      'clientId',
      'grantTypes.0',
      'redirectUris.0',
      'redirectUris.1',
    ]);
    r = await api(adminToken, 'POST', '/clients', {
      clientId: 'x1',
      public: true,
      grantTypes: ['client_credentials'],
    });
    assert.equal(r.status, 400);
    assert.ok(r.body.fields.grantTypes);
    r = await api(adminToken, 'POST', '/clients', { clientId: 'x2', grantTypes: ['authorization_code'] });
    assert.equal(r.status, 400);
    assert.ok(r.body.fields.redirectUris);
    // "admin" is granted with `admin: true`, never listed among the ordinary scopes.
    r = await api(adminToken, 'POST', '/clients', {
      clientId: 'x3',
      grantTypes: ['client_credentials'],
      scope: 'admin',
    });
    assert.equal(r.status, 400);
    assert.match(r.body.fields.scope, /Grant the admin scope/);

    r = await audited('admin.client.create', `client:${machine.clientId}`, () =>
      api(adminToken, 'POST', '/clients', {
        clientId: 'robot',
        grantTypes: ['client_credentials'],
        admin: true,
      }),
    );
    assert.equal(r.status, 201);
    assert.equal(r.body.client.admin, true);
    const secret1 = r.body.clientSecret as string;
    assert.ok(secret1.length >= 40);
    assert.ok(!JSON.stringify(await api(adminToken, 'GET', '/clients')).includes(secret1), 'never listed');
    const robotToken = await machineToken('robot', secret1);
    assert.equal((await api(robotToken, 'GET', '/me')).body.id, 'client:robot');

    r = await api(adminToken, 'POST', '/clients', { clientId: 'robot', grantTypes: ['client_credentials'] });
    assert.equal(r.status, 409);

    r = await api(adminToken, 'POST', '/clients', {
      clientId: 'shop',
      redirectUris: ['https://shop.example/cb'],
      name: 'Shop',
    });
    assert.equal(r.status, 201);
    r = await audited('admin.client.update', `client:${machine.clientId}`, () =>
      api(adminToken, 'PATCH', '/clients/shop', {
        redirectUris: ['https://shop.example/cb2', 'com.example.shop:/cb'],
        grantTypes: ['authorization_code'],
      }),
    );
    assert.deepEqual(r.body.redirectUris, ['https://shop.example/cb2', 'com.example.shop:/cb']);
    assert.deepEqual(r.body.grantTypes, ['authorization_code']);
    r = await api(adminToken, 'PATCH', '/clients/shop', { redirectUris: [] });
    assert.equal(r.status, 400);
    assert.ok(r.body.fields.redirectUris);
    r = await api(adminToken, 'PATCH', '/clients/tobira-portal', {
      redirectUris: ['https://evil.example/cb'],
    });
    assert.equal(r.status, 409, 'built-in clients are not editable');
    assert.equal((await api(adminToken, 'DELETE', '/clients/tobira-portal')).status, 409);

    r = await audited('admin.client.rotate_secret', `client:${machine.clientId}`, () =>
      api(adminToken, 'POST', '/clients/robot/rotate-secret'),
    );
    const secret2 = r.body.clientSecret as string;
    assert.notEqual(secret2, secret1);
    await assert.rejects(machineToken('robot', secret1), 'the old secret is refused at once');
    const robot2 = await machineToken('robot', secret2);
    assert.equal((await api(robot2, 'GET', '/me')).status, 200);

    r = await audited('admin.client.delete', `client:${machine.clientId}`, () =>
      api(adminToken, 'DELETE', '/clients/robot'),
    );
    assert.equal(r.status, 204);
    await assert.rejects(machineToken('robot', secret2));
    assert.equal((await api(robot2, 'GET', '/me')).status, 401, "a deleted client's tokens stop working");
    assert.equal((await api(adminToken, 'GET', '/clients/robot')).status, 404);
  });

  it('lists the audit log with filters, and the CSV export holds exactly what the filter shows', async () => {
    // A login a spreadsheet would run as a formula, and a display name with a comma and quotes.
    const weird = await api(adminToken, 'POST', '/users', { login: '=cmd', displayName: 'Smith, "Jo"' });
    assert.equal(weird.status, 400, 'logins cannot start with =');
    const minus = await api(adminToken, 'POST', '/users', { login: '-2+3', displayName: 'Smith, "Jo"' });
    assert.equal(minus.status, 201);

    let r = await api(adminToken, 'GET', '/audit?activity=admin.*&limit=500');
    assert.equal(r.status, 200);
    assert.ok(r.body.events.length > 20);
    assert.ok(r.body.events.every((e: any) => e.activity.startsWith('admin.')));
    r = await api(adminToken, 'GET', `/audit?user=nina&activity=admin.user.*`);
    assert.ok(r.body.events.length >= 5);
    assert.ok(r.body.events.every((e: any) => e.subjectId === nina.id || e.actorId === nina.id));
    assert.ok(r.body.events.every((e: any) => e.subject === 'nina'));
    r = await api(adminToken, 'GET', '/audit?result=failed');
    assert.ok(r.body.events.length >= 1, 'failed sign-ins');
    assert.ok(r.body.events.every((e: any) => e.result === 'failed'));
    const today = clock.now().toISOString().slice(0, 10);
    r = await api(adminToken, 'GET', `/audit?from=${today}&to=${today}&activity=admin.client.*`);
    assert.ok(r.body.events.length >= 4);
    r = await api(adminToken, 'GET', '/audit?from=2000-01-01&to=2000-01-02');
    assert.equal(r.body.events.length, 0);
    r = await api(adminToken, 'GET', '/audit?from=yesterday&result=maybe&activity=DROP%20TABLE');
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.body.fields).sort(), ['activity', 'from', 'result']);
    // Paging.
    const page1 = await api(adminToken, 'GET', '/audit?limit=3');
    const page2 = await api(adminToken, 'GET', `/audit?limit=3&before=${page1.body.next}`);
    assert.equal(page2.body.events.length, 3);
    assert.ok(page2.body.events[0].id < page1.body.events[2].id);

    const filter = `user=${encodeURIComponent('-2+3')}`;
    const listed = await api(adminToken, 'GET', `/audit?${filter}&limit=500`);
    const csv = await audited('admin.audit.export', `client:${machine.clientId}`, () =>
      api(adminToken, 'GET', `/audit.csv?${filter}`),
    );
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(
      csv.headers.get('content-disposition') ?? '',
      /attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"/,
    );
    assert.ok(csv.text.startsWith('\uFEFF'));
    const rows = parseCsv(csv.text.slice(1));
    assert.deepEqual(rows[0], [
      'id',
      'time',
      'actor_id',
      'actor',
      'subject_id',
      'subject',
      'activity',
      'result',
      'reason',
      'ip',
      'user_agent',
      'details',
    ]);
    assert.deepEqual(
      rows.slice(1).map((row) => Number(row[0])),
      listed.body.events.map((e: any) => e.id),
      'the same events as the listing',
    );
    assert.equal(rows[1][5], "'-2+3", 'a formula-like cell is defused with a quote');
    assert.equal(rows[1][6], 'admin.user.create');
    // The whole filtered log exports too, and every row has every column.
    const all = await api(adminToken, 'GET', '/audit.csv?activity=admin.*');
    const allRows = parseCsv(all.text.slice(1));
    assert.ok(allRows.length > 20);
    assert.ok(allRows.every((row) => row.length === 12));
  });

  it('reports count the seeded reset events', async () => {
    const now = clock.now();
    const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * 86_400_000);
    const seed = [
      { at: at(0), activity: 'reset.complete', result: 'succeeded', details: { methods: ['app', 'email'] } },
      { at: at(1), activity: 'reset.complete', result: 'succeeded', details: { methods: ['sms'] } },
      { at: at(40), activity: 'reset.complete', result: 'succeeded', details: { methods: ['sms'] } },
      { at: at(0), activity: 'reset.attempt', result: 'succeeded' },
      { at: at(1), activity: 'reset.attempt', result: 'succeeded' },
      { at: at(2), activity: 'reset.attempt', result: 'abandoned' },
      { at: at(3), activity: 'reset.attempt', result: 'contacted_admin' },
      { at: at(3), activity: 'reset.attempt', result: 'contacted_admin' },
    ] as const;
    for (const e of seed)
      await recordAudit(tdb.db, { ...e, details: 'details' in e ? { ...e.details } : null });
    const r = await api(adminToken, 'GET', '/reports');
    assert.equal(r.status, 200);
    assert.equal(r.body.resetsPerDay.length, 30);
    assert.equal(r.body.resetsPerDay.at(-1).count, 1);
    assert.equal(r.body.resetsPerDay.at(-2).count, 1);
    assert.equal(
      r.body.resetsPerDay.reduce((n: number, d: any) => n + d.count, 0),
      2,
      'the 40-day-old reset is outside',
    );
    assert.deepEqual(r.body.resetsPerMethod, [
      { method: 'app', count: 1 },
      { method: 'sms', count: 1 },
      { method: 'email', count: 1 },
    ]);
    const outcome = Object.fromEntries(r.body.outcomes.map((o: any) => [o.result, o.count]));
    assert.deepEqual(outcome, {
      succeeded: 2,
      failed: 0,
      blocked: 0,
      cancelled: 0,
      abandoned: 1,
      contacted_admin: 2,
    });
    assert.equal(r.body.registration.active, (await tdb.db('users').where({ status: 'active' })).length);
  });

  it('deletes audit events older than the retention setting in the sweep', async () => {
    const old = new Date(clock.now().getTime() - 10 * 86_400_000);
    await recordAudit(tdb.db, { at: old, activity: 'test.old' as Activity, result: 'succeeded' });
    await recordAudit(tdb.db, { at: clock.now(), activity: 'test.new' as Activity, result: 'succeeded' });
    assert.equal(await sweepAuditRetention({ db: tdb.db, clock }), 0, 'the default (365 days) keeps them');
    await api(adminToken, 'PATCH', '/policy', { auditRetentionDays: 0 });
    assert.equal(await sweepAuditRetention({ db: tdb.db, clock }), 0, '0 keeps everything');
    await api(adminToken, 'PATCH', '/policy', { auditRetentionDays: 7 });
    assert.ok((await sweepAuditRetention({ db: tdb.db, clock })) >= 1);
    assert.equal((await tdb.db('audit_events').where({ activity: 'test.old' })).length, 0);
    assert.equal((await tdb.db('audit_events').where({ activity: 'test.new' })).length, 1);
  });
});

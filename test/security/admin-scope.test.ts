import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { ACR_MFA } from '../../src/oidc/acr.ts';
import { Browser } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { registerAppInPortal } from '../helpers/reset.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  StepFlow,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, toolAvailable } from '../helpers/tools.ts';

/**
 * Attacks on the admin scope (issue 10, finding 1): each request sequence that used to give
 * administrator rights to a client or a token that should not have them, now refused.
 */
const skipReason = toolAvailable(OATHTOOL) ? undefined : `${OATHTOOL} not found: apt-get install oathtool`;
if (skipReason && process.env.TOBIRA_REQUIRE_TOOLS === '1') throw new Error(skipReason);
if (skipReason) process.stderr.write(`NOTICE: ${skipReason}; skipping the admin scope attacks\n`);

describe(`admin scope: least privilege (${backendName})`, { skip: skipReason }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  let totp = '';
  let ada: { id: string };
  /** A client-credentials client an administrator granted the admin scope (the test's own operator). */
  let operator: { clientId: string; secret?: string };
  /** A first-party client granted the admin scope, for administrators' own tokens. */
  let opsConsole: { clientId: string; secret?: string };

  async function api(token: string, method: string, path: string, body?: unknown) {
    const r = await fetch(`${srv.url}/api/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return {
      status: r.status,
      body: text ? JSON.parse(text) : undefined,
      wwwAuthenticate: r.headers.get('www-authenticate') ?? '',
    };
  }

  async function machineToken(c: { clientId: string; secret?: string }, scope?: string) {
    const config = await discover(srv.issuer, c.clientId, c.secret);
    return oidc.clientCredentialsGrant(config, scope ? { scope } : {});
  }

  const cli = (...argv: string[]) =>
    runCommand([...argv, '--json'], undefined, {
      db: srv.db,
      box: srv.box,
      clock,
      onClientsChanged: () => srv.app.deps.clients.invalidate(),
    });

  const nextCode = () => {
    clock.advance(30_000);
    return oathtoolCode(totp, clock.now());
  };

  async function userTokens(
    c: { clientId: string; secret?: string },
    opts: { mfa: boolean; scope?: string; prompt?: string },
  ) {
    const config = await discover(srv.issuer, c.clientId, c.secret);
    const { tokens } = await codeFlow(
      config,
      { username: 'ada', password, code: nextCode },
      {
        scope: opts.scope ?? 'openid admin',
        browser: new Browser(),
        extra: {
          ...(opts.mfa ? { acr_values: ACR_MFA } : {}),
          ...(opts.prompt ? { prompt: opts.prompt } : {}),
        },
      },
    );
    return tokens;
  }

  const isInvalidScope = (err: any) => err?.error === 'invalid_scope';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    ada = await addUserViaCli(srv, 'ada', password, ['--admin']);
    totp = await registerAppInPortal(srv.issuer, 'ada', password, clock);
    operator = await addClientViaCli(srv, ['operator', '--grant-type', 'client_credentials', '--admin']);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  it('a client registered without the admin grant gets no admin token, and its token is refused by /me', async () => {
    const plain = await addClientViaCli(srv, ['plain-machine', '--grant-type', 'client_credentials']);
    // The attack: ask for the admin scope anyway.
    await assert.rejects(machineToken(plain, 'admin'), (err: any) => {
      assert.equal(err.error, 'invalid_scope');
      return true;
    });
    await assert.rejects(machineToken(plain, 'openid admin'), isInvalidScope);
    // Its ordinary token does not open the admin API.
    const t = await machineToken(plain);
    assert.ok(!String(t.scope ?? '').includes('admin'));
    const me = await api(t.access_token, 'GET', '/me');
    assert.equal(me.status, 403);
    assert.equal(me.body.error, 'insufficient_scope');
    assert.equal(me.body.permissions, undefined, 'no permissions listed');
    // Listing "admin" among the ordinary scopes is not a way to grant it either.
    const r = await cli(
      'client',
      'add',
      'sneaky',
      '--grant-type',
      'client_credentials',
      '--scope',
      'openid admin',
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--admin/);
    assert.equal(await tdb.db('clients').where({ client_id: 'sneaky' }).first(), undefined);
  });

  it('the admin grant is explicit, and revoking it stops the tokens already issued', async () => {
    const t = await machineToken(operator, 'admin');
    assert.equal(t.scope, 'admin');
    let me = await api(t.access_token, 'GET', '/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.id, 'client:operator');
    assert.ok(me.body.permissions.includes('policy.write'));

    const bot = await addClientViaCli(srv, ['bot', '--grant-type', 'client_credentials']);
    await assert.rejects(machineToken(bot, 'admin'), isInvalidScope);
    // An administrator grants it through the API (audited), then the CLI revokes it.
    const granted = await api(t.access_token, 'PATCH', '/clients/bot', { admin: true });
    assert.equal(granted.status, 200);
    assert.equal(granted.body.admin, true);
    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'admin.client.update', actor_id: 'client:operator' })
      .orderBy('id', 'desc')
      .first();
    const details = typeof audit.details === 'string' ? JSON.parse(audit.details) : audit.details;
    assert.deepEqual(details.changed, ['admin']);
    assert.deepEqual(details.after, { admin: true });
    const botToken = (await machineToken(bot, 'admin')).access_token;
    assert.equal((await api(botToken, 'GET', '/me')).status, 200);

    const r = await cli('client', 'update', 'bot', '--no-admin');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).admin, false);
    me = await api(botToken, 'GET', '/me');
    assert.equal(me.status, 403, 'a token issued before the revocation is refused');
    assert.equal(me.body.error, 'insufficient_scope');
    await assert.rejects(machineToken(bot, 'admin'), isInvalidScope);
  });

  it('a third-party client asking for admin on behalf of a user gets invalid_scope: no consent page, no token', async () => {
    const outsider = await addClientViaCli(srv, ['outsider', '--redirect-uri', REDIRECT_URI]);
    // Granted admin for its own client credentials, yet third-party: still no admin for users.
    const partner = await addClientViaCli(srv, [
      'partner',
      '--redirect-uri',
      REDIRECT_URI,
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'client_credentials',
      '--admin',
    ]);
    for (const c of [outsider, partner]) {
      const config = await discover(srv.issuer, c.clientId, c.secret);
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid admin',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: 'st',
      });
      const br = new Browser();
      const seen: string[] = [];
      let r = await br.get(url.href);
      for (let i = 0; i < 10 && r.location && !r.location.startsWith(REDIRECT_URI); i++) {
        r = await br.get(r.location);
        seen.push(r.text);
      }
      assert.ok(r.location?.startsWith(REDIRECT_URI), `${c.clientId}: sent back to the app`);
      const back = new URL(r.location!);
      assert.equal(back.searchParams.get('error'), 'invalid_scope', c.clientId);
      assert.equal(back.searchParams.get('code'), null, `${c.clientId}: no code`);
      for (const page of seen) {
        assert.doesNotMatch(page, /name="username"|\/confirm"/, `${c.clientId}: no sign-in or consent page`);
      }
    }
    // The consent page of an ordinary request lists its scopes, never admin.
    const f = await StepFlow.start(await discover(srv.issuer, outsider.clientId, outsider.secret), {
      scope: 'openid profile',
    });
    await f.submit({ username: 'ada', password });
    assert.match(f.page.text, /name="code"/, 'the second factor (ada has an app)');
    await f.submit({ code: nextCode() });
    assert.match(f.page.text, /\/confirm"/, 'the consent page');
    assert.doesNotMatch(f.page.text, /\badmin\b/i, 'admin is never offered on a consent page');
  });

  it("an administrator's password-only token cannot change the policy, even from a granted first-party client", async () => {
    opsConsole = await addClientViaCli(srv, [
      'ops-console',
      '--redirect-uri',
      REDIRECT_URI,
      '--first-party',
      '--admin',
    ]);
    await setPolicy(srv, 'mfa', 'off');
    const op = (await machineToken(operator, 'admin')).access_token;
    const before = (await api(op, 'GET', '/policy')).body;
    assert.equal(before.mfa, 'off');
    const tokens = await userTokens(opsConsole, { mfa: false });
    assert.equal(tokens.claims()!.acr, 'urn:tobira:acr:pwd');
    assert.ok(tokens.scope?.split(' ').includes('admin'));
    const r = await api(tokens.access_token, 'PATCH', '/policy', { mfa: 'required' });
    assert.equal(r.status, 403);
    assert.equal(r.body.error, 'insufficient_user_authentication');
    assert.match(r.wwwAuthenticate, /error="insufficient_user_authentication"/);
    assert.match(r.wwwAuthenticate, /acr_values="urn:tobira:acr:mfa"/);
    assert.equal((await api(tokens.access_token, 'GET', '/me')).status, 403, '/me too');
    assert.deepEqual((await api(op, 'GET', '/policy')).body, before, 'the policy is unchanged');
    assert.equal(
      (await tdb.db('audit_events').where({ activity: 'admin.policy.update', actor_id: ada.id })).length,
      0,
    );
  });

  it('an administrator signed in with a second factor through a granted first-party client may administer', async () => {
    const c = opsConsole;
    const tokens = await userTokens(c, { mfa: true, scope: 'openid admin' });
    assert.equal(tokens.claims()!.acr, ACR_MFA);
    let r = await api(tokens.access_token, 'GET', '/me');
    assert.equal(r.status, 200);
    assert.equal(r.body.id, ada.id);
    r = await api(tokens.access_token, 'PATCH', '/policy', { reconfirmDays: 90 });
    assert.equal(r.status, 200);
    assert.equal(r.body.policy.reconfirmDays, 90);

    // A token from a refresh keeps the sign-in's acr: still accepted; a password-only one still refused.
    const config = await discover(srv.issuer, c.clientId, c.secret);
    const withRefresh = await userTokens(c, {
      mfa: true,
      scope: 'openid offline_access admin',
      prompt: 'consent',
    });
    const refreshed = await oidc.refreshTokenGrant(config, withRefresh.refresh_token!);
    assert.equal((await api(refreshed.access_token, 'GET', '/me')).status, 200);
    const pwdRefresh = await userTokens(c, {
      mfa: false,
      scope: 'openid offline_access admin',
      prompt: 'consent',
    });
    const pwdRefreshed = await oidc.refreshTokenGrant(config, pwdRefresh.refresh_token!);
    r = await api(pwdRefreshed.access_token, 'GET', '/me');
    assert.equal(r.status, 403);
    assert.equal(r.body.error, 'insufficient_user_authentication');

    // Revoking the client's grant (here in the console's service through the API) stops the user's token.
    const op = (await machineToken(operator, 'admin')).access_token;
    assert.equal((await api(op, 'PATCH', '/clients/ops-console', { admin: false })).status, 200);
    r = await api(tokens.access_token, 'GET', '/me');
    assert.equal(r.status, 403);
    // And a new sign-in cannot ask for the scope any more.
    await assert.rejects(userTokens(c, { mfa: true }), isInvalidScope);
  });

  it('a first-party client not granted admin cannot get it for a user either', async () => {
    const inhouse = await addClientViaCli(srv, ['inhouse', '--redirect-uri', REDIRECT_URI, '--first-party']);
    await assert.rejects(userTokens(inhouse, { mfa: true }), isInvalidScope);
    // With an ordinary scope its mfa token is still no admin token.
    const tokens = await userTokens(inhouse, { mfa: true, scope: 'openid' });
    const r = await api(tokens.access_token, 'GET', '/me');
    assert.equal(r.status, 403);
    assert.equal(r.body.error, 'insufficient_scope');
  });

  it('the OpenAPI document states the requirements', async () => {
    const doc = await (await fetch(`${srv.url}/api/admin/v1/openapi.json`)).json();
    const scheme = doc.components.securitySchemes.oauth2;
    assert.match(scheme.description, /granted/);
    assert.match(scheme.description, /first-party/);
    assert.match(scheme.description, /urn:tobira:acr:mfa/);
    assert.match(scheme.flows.clientCredentials.scopes.admin, /granted/);
    assert.match(scheme.flows.authorizationCode.scopes.admin, /urn:tobira:acr:mfa/);
    assert.equal(doc.components.schemas.Client.properties.admin.type, 'boolean');
  });
});

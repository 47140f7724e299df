import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { PERMISSIONS } from '../../src/flows/admin/permissions.ts';
import * as svc from '../../src/flows/admin/service.ts';
import { updateClientRow } from '../../src/store/client-admin.ts';
import { findClient } from '../../src/store/clients.ts';
import { findUserByLogin, updateUser } from '../../src/store/users.ts';
import { Browser, formAction, hiddenInputs, type Resp } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { LogoutReceiver } from '../helpers/logout-rp.ts';
import { identifyForReset, registerAppInPortal } from '../helpers/reset.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { OATHTOOL, oathtoolCode, requireTool, toolAvailable } from '../helpers/tools.ts';

/**
 * Attacks on first-party sessions: a portal cookie and a console cookie copied before a self-service
 * reset, an administrator's reset, a disable or a sign-out are replayed afterwards; a refresh token
 * issued before is redeemed afterwards. Each must fail without changing anything, and the relying
 * party registered for back-channel logout (on 127.0.0.1, allowed by BACKCHANNEL_ALLOWED_NETWORKS)
 * receives a logout token signed with the provider's key, with the session's sid.
 */
describe(`first-party sessions are revoked (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let config: oidc.Configuration;
  const rp = new LogoutReceiver();
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  const actor = {
    id: 'client:test-automation',
    kind: 'client' as const,
    label: 'test-automation',
    permissions: new Set(PERMISSIONS),
    via: 'api' as const,
  };

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({
      db: tdb.db,
      clock,
      env: { BACKCHANNEL_ALLOWED_NETWORKS: '127.0.0.0/8' },
    });
    await setPolicy(srv, 'registrationRequired', false);
    const c = await addClientViaCli(srv, [
      'bc-app',
      '--redirect-uri',
      REDIRECT_URI,
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'refresh_token',
    ]);
    const uri = await rp.start(srv.issuer, c.clientId);
    // Back-channel metadata set directly in the store (the CLI/API fields are another change's job).
    const row = (await findClient(srv.db, c.clientId))!;
    await updateClientRow(
      srv.db,
      c.clientId,
      {
        metadata: { ...row.metadata, backchannel_logout_uri: uri, backchannel_logout_session_required: true },
      },
      clock.now(),
    );
    srv.app.deps.clients.invalidate();
    config = await discover(srv.issuer, c.clientId, c.secret);
  });
  after(async () => {
    await srv.stop();
    await rp.stop();
    await tdb.drop();
  });

  /** Opens a page, walking through the provider's sign-in (password, then the app's code). */
  async function open(br: Browser, path: string, login: string, secret: string): Promise<Resp> {
    let r = await br.follow(await br.get(path, srv.issuer));
    for (let i = 0; i < 6 && /\/interaction\//.test(r.url); i++) {
      const fields: Record<string, string> = { ...hiddenInputs(r.text) };
      if (/name="username"/.test(r.text)) Object.assign(fields, { username: login, password });
      else if (/name="code"/.test(r.text)) {
        clock.advance(30_000);
        fields.code = oathtoolCode(secret, clock.now());
      }
      r = await br.follow(await br.post(formAction(r.text), fields, r.url));
    }
    assert.equal(r.status, 200, `${path} opened for ${login}`);
    return r;
  }

  /** A browser holding only a copy of the victim's cookies, as an attacker who captured them. */
  function copyOf(br: Browser): Browser {
    const thief = new Browser();
    const host = new URL(srv.issuer).host;
    thief.cookies.set(host, new Map(br.cookies.get(host)));
    return thief;
  }

  interface Victim {
    login: string;
    id: string;
    secret: string;
    credentialId: string;
    portal: Browser;
    console: Browser;
    portalCsrf: string;
    consoleCsrf: string;
    refreshToken: string;
    sid: string;
  }

  /** A helpdesk member with an authenticator app, signed in to the portal, the console and an app. */
  async function victim(login: string): Promise<Victim> {
    await addUserViaCli(srv, login, password, ['--email', `${login}@example.com`]);
    const u = (await findUserByLogin(srv.db, login))!;
    await updateUser(srv.db, u.id, { roles: ['helpdesk'] }, clock.now());
    const secret = await registerAppInPortal(srv.issuer, login, password, clock);
    const portal = new Browser();
    const p = await open(portal, '/my/security-info', login, secret);
    const consoleBr = new Browser();
    const c = await open(consoleBr, '/admin/', login, secret);
    // An app signed in through the same provider session as the portal, with a refresh token.
    const app = await codeFlow(
      config,
      { username: login, password },
      { browser: portal, scope: 'openid offline_access', extra: { prompt: 'consent' } },
    );
    assert.ok(app.tokens.refresh_token, 'the app has a refresh token');
    const sid = app.tokens.claims()!.sid as string;
    assert.ok(sid, 'the ID token carries sid');
    const cred = await tdb.db('credentials').where({ user_id: u.id, kind: 'app' }).first();
    return {
      login,
      id: u.id,
      secret,
      credentialId: cred.id,
      portal,
      console: consoleBr,
      portalCsrf: hiddenInputs(p.text)._csrf,
      consoleCsrf: hiddenInputs(c.text)._csrf,
      refreshToken: app.tokens.refresh_token!,
      sid,
    };
  }

  const renameWith = (br: Browser, v: Victim, name: string) =>
    br.post(`/my/security-info/${v.credentialId}/rename`, { _csrf: v.portalCsrf, name }, srv.issuer);
  const unlockWith = (br: Browser, v: Victim, target: string) =>
    br.post(`/admin/users/${target}/unlock`, { _csrf: v.consoleCsrf }, srv.issuer);
  const labelOf = async (v: Victim) =>
    (await tdb.db('credentials').where({ id: v.credentialId }).first()).label as string;
  const unlocksBy = async (v: Victim) =>
    (await tdb.db('audit_events').where({ activity: 'admin.user.unlock', actor_id: v.id })).length;

  /** Copies both cookies, shows they work, runs the event, then replays them as an attacker. */
  async function attack(v: Victim, event: () => Promise<void>, opts: { refreshRefused: boolean }) {
    const portalThief = copyOf(v.portal);
    const consoleThief = copyOf(v.console);
    // Before the event the copies work: that is what makes capturing them worth preventing.
    assert.equal((await renameWith(portalThief, v, 'captured')).status, 302);
    assert.equal(await labelOf(v), 'captured');
    assert.equal((await unlockWith(consoleThief, v, v.id)).status, 302);
    const unlocks = await unlocksBy(v);
    const logoutsBefore = rp.received.length;

    await event();

    // The copied portal cookie: a page sends to sign-in, a form is refused, nothing changes.
    const page = await portalThief.get('/my/security-info', srv.issuer);
    assert.equal(page.status, 302);
    assert.match(page.location ?? '', /\/auth\?/);
    const rename = await renameWith(copyOf(v.portal), v, 'pwned');
    assert.equal(rename.status, 401);
    assert.equal(await labelOf(v), 'captured', 'the rename did not happen');
    // The copied console cookie: the same.
    const dash = await consoleThief.get('/admin/', srv.issuer);
    assert.equal(dash.status, 302);
    assert.match(dash.location ?? '', /\/auth\?/);
    const unlock = await unlockWith(copyOf(v.console), v, v.id);
    assert.equal(unlock.status, 401);
    assert.equal(await unlocksBy(v), unlocks, 'the unlock did not happen');
    // Every row of the user ends, except after a sign-out: only the two signed-out sessions end
    // (the one left is the browser that registered the app).
    assert.equal(
      (await tdb.db('first_party_sessions').where({ user_id: v.id })).length,
      opts.refreshRefused ? 0 : 1,
    );

    if (opts.refreshRefused) {
      await assert.rejects(oidc.refreshTokenGrant(config, v.refreshToken), (err: any) => {
        assert.equal(err.error, 'invalid_grant');
        return true;
      });
    }

    // The app got a logout token for the provider session, signed by the provider, with its sid.
    await srv.app.deps.backchannel.idle();
    await rp.waitFor(logoutsBefore + 1);
    const mine = rp.received.slice(logoutsBefore).filter((l) => l.claims.sub === v.id);
    assert.equal(mine.length, 1, 'one logout token for the one provider session');
    assert.equal(mine[0].claims.sid, v.sid);
    assert.ok(
      mine[0].claims.events &&
        'http://schemas.openid.net/event/backchannel-logout' in (mine[0].claims.events as object),
    );
    const audited = await tdb
      .db('audit_events')
      .where({ activity: 'oidc.backchannel_logout', subject_id: v.id, result: 'succeeded' });
    assert.equal(audited.length, 1, 'the delivery is audited');
  }

  it('a self-service reset ends the portal and console sessions, tokens and the app session', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const v = await victim('vic-reset');
    await attack(
      v,
      async () => {
        const { br, r } = await identifyForReset(srv.issuer, v.login);
        assert.equal(r.location, `${srv.issuer}/reset/verify`);
        const page = await br.get('/reset/verify/app', srv.issuer);
        clock.advance(30_000);
        const res = await br.post(
          '/reset/verify/app',
          { ...hiddenInputs(page.text), code: oathtoolCode(v.secret, clock.now()) },
          srv.issuer,
        );
        const pw = await br.follow(res);
        const fresh = 'maple orbit quietly 77';
        const done = await br.post(
          '/reset/password',
          { ...hiddenInputs(pw.text), password: fresh, confirm: fresh },
          srv.issuer,
        );
        assert.match(done.text, /Your password was reset/);
      },
      { refreshRefused: true },
    );
  });

  it("an administrator's reset ends them", async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const v = await victim('vic-adminreset');
    await attack(
      v,
      async () => {
        await svc.resetPassword(srv.app.deps, actor, v.login);
      },
      { refreshRefused: true },
    );
  });

  it('a disable ends them', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const v = await victim('vic-disable');
    await attack(
      v,
      async () => {
        await svc.setUserStatus(srv.app.deps, actor, v.login, 'disabled');
      },
      { refreshRefused: true },
    );
  });

  it('signing out of the portal and the console ends those sessions and the provider session', async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const v = await victim('vic-signout');
    await attack(
      v,
      async () => {
        const p = await v.portal.post('/my/signout', { _csrf: v.portalCsrf }, srv.issuer);
        assert.equal(p.status, 302);
        assert.match(p.location ?? '', /\/session\/end\?/);
        const c = await v.console.post('/admin/signout', { _csrf: v.consoleCsrf }, srv.issuer);
        assert.equal(c.status, 302);
      },
      // offline_access outlives a sign-out by design (OpenID Connect Core §11); everything else ends.
      { refreshRefused: false },
    );
    // The provider session itself is gone: the app's next authorization asks for the password again.
    const again = await v.portal.follow(
      await v.portal.get(
        oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid' }).href,
      ),
      REDIRECT_URI,
    );
    assert.match(again.text, /name="username"/);
  });

  it("changing one's own password in the portal keeps that portal session and ends every other", async (t) => {
    if (!requireTool(t, OATHTOOL, 'oathtool')) return;
    const v = await victim('vic-change');
    const other = new Browser();
    await open(other, '/my/security-info', v.login, v.secret);
    const pwPage = await v.portal.get('/my/password', srv.issuer);
    const fresh = 'lantern quiet harbor 42';
    const r = await v.portal.post(
      '/my/password',
      { ...hiddenInputs(pwPage.text), current: password, password: fresh, confirm: fresh },
      srv.issuer,
    );
    assert.equal(r.status, 302);
    assert.equal((await v.portal.get('/my/security-info', srv.issuer)).status, 200, 'this session stays');
    assert.equal(
      (await other.get('/my/security-info', srv.issuer)).status,
      302,
      'the other portal session ended',
    );
    assert.equal((await v.console.get('/admin/', srv.issuer)).status, 302, 'the console session ended');
    await assert.rejects(oidc.refreshTokenGrant(config, v.refreshToken));
  });

  it('a forged or unknown session cookie is only a reason to sign in', async () => {
    const br = new Browser();
    const host = new URL(srv.issuer).host;
    br.cookies.set(host, new Map([['tobira.portal', 'A'.repeat(43)]]));
    const r = await br.get('/my/security-info', srv.issuer);
    assert.equal(r.status, 302);
    assert.match(r.location ?? '', /\/auth\?/);
    const rows = await tdb.db('first_party_sessions').select('id_hash');
    for (const row of rows) assert.match(row.id_hash, /^[0-9a-f]{64}$/, 'only hashes are stored');
    assert.ok(toolAvailable(OATHTOOL) ? rows.length > 0 : true);
  });
});

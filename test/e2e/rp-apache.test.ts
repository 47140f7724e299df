import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { endEverything } from '../../src/account/sessions.ts';
import { APACHE, type ApacheRp, MOD_AUTH_OPENIDC, startApacheRp } from '../helpers/apache.ts';
import { Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { toolAvailable } from '../helpers/tools.ts';

/**
 * Apache httpd with mod_auth_openidc, a relying party nobody here wrote, against Tobira: sign-in with
 * code + PKCE, userinfo, refresh, RP-initiated logout, and back-channel logout to Apache on 127.0.0.1
 * (allowed by BACKCHANNEL_ALLOWED_NETWORKS) ending Apache's own session.
 */
const missing = [APACHE, MOD_AUTH_OPENIDC].find((p) => !toolAvailable(p));
const skipReason = missing
  ? `${missing} not found: apt-get install apache2 libapache2-mod-auth-openidc`
  : undefined;
if (skipReason && process.env.TOBIRA_REQUIRE_TOOLS === '1') throw new Error(skipReason);
if (skipReason) process.stderr.write(`NOTICE: ${skipReason}\n`);

describe(`Apache mod_auth_openidc as a relying party (${backendName})`, { skip: skipReason }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let rp: ApacheRp;
  let ada: { id: string };
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, env: { BACKCHANNEL_ALLOWED_NETWORKS: '127.0.0.0/8' } });
    await setPolicy(srv, 'registrationRequired', false);
    ada = await addUserViaCli(srv, 'ada', password, ['--email', 'ada@example.test']);
    // The client is registered once Apache's port is known; Apache reads the secret from its config.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const base = `http://127.0.0.1:${port}`;
    const c = await addClientViaCli(srv, [
      'apache',
      '--first-party',
      '--redirect-uri',
      `${base}/protected/redirect_uri`,
      '--post-logout-redirect-uri',
      `${base}/loggedout.html`,
      '--backchannel-logout-uri',
      `${base}/protected/redirect_uri?logout=backchannel`,
      '--backchannel-logout-session-required',
    ]);
    rp = await startApacheRp({ issuer: srv.issuer, clientId: c.clientId, clientSecret: c.secret!, port });
  });
  after(async () => {
    await rp?.stop();
    await srv?.stop();
    await tdb?.drop();
  });

  /** Opens the protected page, follows Apache to Tobira, signs in there; ends on Apache's answer. */
  async function signIn(browser: Browser) {
    let r = await browser.get(rp.protectedUrl);
    for (let step = 0; step < 20; step++) {
      if (r.status >= 300 && r.status < 400 && r.location) r = await browser.get(r.location);
      else if (r.status === 200 && r.url.startsWith(srv.issuer) && /<form/.test(r.text)) {
        const form: Record<string, string> = hiddenInputs(r.text);
        if (/name="username"/.test(r.text)) Object.assign(form, { username: 'ada', password });
        r = await browser.post(formAction(r.text), form, r.url);
      } else break;
    }
    return r;
  }

  it('signs in through Tobira: Apache shows the page with the user from the ID token and userinfo', async () => {
    const browser = new Browser();
    const r = await signIn(browser);
    assert.equal(r.status, 200, `${r.url}\n${r.text.slice(0, 500)}\n${rp.errorLog().slice(-3000)}`);
    assert.match(r.text, /protected content/);
    assert.equal(r.headers.get('x-sub'), ada.id);
    assert.equal(r.headers.get('x-user'), 'ada');
    assert.equal(r.headers.get('x-email'), 'ada@example.test', 'email comes from userinfo');
  });

  it('refreshes its access token with the refresh token', async () => {
    const browser = new Browser();
    await signIn(browser);
    const info = async () =>
      JSON.parse((await browser.get(`${rp.redirectUri}?info=json&access_token_refresh_interval=0`)).text);
    const before = JSON.parse((await browser.get(`${rp.redirectUri}?info=json`)).text);
    assert.ok(before.refresh_token, `a refresh token: ${JSON.stringify(before)}`);
    const after = await info();
    assert.ok(after.access_token);
    assert.notEqual(after.access_token, before.access_token, 'a new access token');
    assert.notEqual(after.refresh_token, before.refresh_token, 'the refresh token rotated');
  });

  it('RP-initiated logout: Apache sends the user to Tobira, which ends the session and returns', async () => {
    const browser = new Browser();
    await signIn(browser);
    let r = await browser.follow(
      await browser.get(`${rp.redirectUri}?logout=${encodeURIComponent(`${rp.base}/loggedout.html`)}`),
      rp.base,
    );
    // Tobira's logout confirmation form.
    assert.equal(r.status, 200, r.text.slice(0, 300));
    r = await browser.follow(
      await browser.post(formAction(r.text), { ...hiddenInputs(r.text), logout: 'yes' }, r.url),
      rp.base,
    );
    assert.equal(r.location, `${rp.base}/loggedout.html`);
    const again = await browser.get(rp.protectedUrl);
    assert.equal(again.status, 302);
    assert.ok(again.location?.startsWith(srv.issuer), 'signed out at Apache');
  });

  it('back-channel logout reaches Apache on 127.0.0.1 and ends its session', async () => {
    const browser = new Browser();
    const r = await signIn(browser);
    assert.equal(r.status, 200);
    assert.equal((await browser.get(rp.protectedUrl)).status, 200, 'still signed in at Apache');
    await endEverything({ db: srv.db, backchannel: srv.app.deps.backchannel }, ada.id);
    await srv.app.deps.backchannel.idle();
    const audit = await srv.db('audit_events').where({ activity: 'oidc.backchannel_logout' });
    assert.ok(
      audit.some((a: any) => a.result === 'succeeded'),
      `delivered: ${JSON.stringify(audit)}\n${rp.errorLog().slice(-2000)}`,
    );
    const after = await browser.get(rp.protectedUrl);
    assert.equal(after.status, 302, 'Apache no longer has a session');
    assert.ok(after.location?.startsWith(srv.issuer));
  });
});

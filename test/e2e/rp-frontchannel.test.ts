import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { PERMISSIONS } from '../../src/flows/admin/permissions.ts';
import * as svc from '../../src/flows/admin/service.ts';
import { type MessageKey, translator } from '../../src/i18n/index.ts';
import { buildMetadata, ClientSpecError } from '../../src/oidc/clients.ts';
import { chromiumSkipReason, launchRequiredChromium } from '../helpers/chromium.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addUserViaCli, discover, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Front-channel logout (OpenID Connect Front-Channel Logout 1.0) with real apps: loopback HTTP
 * servers that record every request, and Debian's Chromium. After RP-initiated logout, and after
 * signing out of the portal, the page Tobira shows frames each app of the session that registered a
 * front-channel URI (with iss and the ID token's sid when it asked for them), and then continues to
 * where the logout was going. An app without the URI gets nothing.
 */

const t = (key: MessageKey) => translator('en')(key);

/** A relying party on 127.0.0.1 that records the requests it receives. */
class LoopbackApp {
  readonly hits: URL[] = [];
  #waiters: Array<{ path: string; resolve: (u: URL) => void }> = [];
  readonly #server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', this.origin);
    // The browser asks for a page's icon on its own; that is not the app being called.
    if (url.pathname !== '/favicon.ico') this.hits.push(url);
    for (const w of this.#waiters.filter((x) => x.path === url.pathname)) w.resolve(url);
    this.#waiters = this.#waiters.filter((x) => x.path !== url.pathname);
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end('<!doctype html><title>app</title>ok');
  });
  origin = '';

  async start(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', () => r()));
    this.origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.origin;
  }

  /** Resolves with the first request (past or future) to this path after `from` requests. */
  next(path: string, from = 0): Promise<URL> {
    const seen = this.hits.slice(from).find((u) => u.pathname === path);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ path, resolve }));
  }

  paths(from = 0): string[] {
    return this.hits.slice(from).map((u) => u.pathname);
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

describe(`front-channel logout (${backendName})`, { skip: chromiumSkipReason() }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const password = 'correct horse battery staple';
  const rpA = new LoopbackApp();
  const rpB = new LoopbackApp();
  const secrets: Record<string, string> = {};

  const cli = async (args: string[]) => {
    const r = await runCommand(args, undefined, { db: srv.db, box: srv.box, clock: systemClock });
    srv.app.deps.clients.invalidate();
    return r;
  };

  async function addClient(id: string, args: string[]) {
    const r = await cli(['client', 'add', id, '--first-party', '--json', ...args]);
    assert.equal(r.code, 0, r.stderr);
    secrets[id] = JSON.parse(r.stdout).client_secret;
  }

  before(async () => {
    browser = await launchRequiredChromium();
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'mfa', 'off');
    await addUserViaCli(srv, 'fiona', password);
    await addUserViaCli(srv, 'gil', password);
    const a = await rpA.start();
    const b = await rpB.start();
    // fc-sid: iss and sid requested; fc-plain: the URI alone; no-fc (another app): nothing registered.
    await addClient('fc-sid', [
      '--redirect-uri',
      `${a}/callback`,
      '--post-logout-redirect-uri',
      `${a}/after`,
      '--frontchannel-logout-uri',
      `${a}/frontchannel?app=sid`,
      '--frontchannel-logout-session-required',
    ]);
    await addClient('fc-plain', [
      '--redirect-uri',
      `${a}/callback2`,
      '--frontchannel-logout-uri',
      `${a}/fc-plain`,
    ]);
    await addClient('no-fc', ['--redirect-uri', `${b}/callback`]);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await srv?.stop();
    await rpA.stop();
    await rpB.stop();
    await tdb?.drop();
  });

  async function tab() {
    const context = await browser.newContext({ locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.setDefaultNavigationTimeout(15_000);
    const problems: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    return { page, problems };
  }

  /**
   * Signs in at an app in the tab (the sign-in form the first time, silently after) and redeems the
   * code with openid-client; returns the ID token's claims.
   */
  async function signInAt(page: Page, app: LoopbackApp, clientId: string, callback: string, login: string) {
    const config = await discover(srv.issuer, clientId, secrets[clientId]);
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${app.origin}${callback}`,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    });
    const from = app.hits.length;
    await page.goto(url.href);
    if (new URL(page.url()).origin === srv.issuer) {
      await page.getByLabel(t('signin.username'), { exact: true }).fill(login);
      await page.getByLabel(t('signin.password'), { exact: true }).fill(password);
      await page.getByRole('button', { name: t('signin.submit'), exact: true }).click();
    }
    const landed = await app.next(callback, from);
    const tokens = await oidc.authorizationCodeGrant(config, landed, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
      idTokenExpected: true,
    });
    return { config, idToken: tokens.id_token!, claims: tokens.claims()! };
  }

  it('RP-initiated logout frames each app with a front-channel URI (iss and the ID token sid on request), then returns', async () => {
    const { page, problems } = await tab();
    const a0 = rpA.hits.length;
    const b0 = rpB.hits.length;
    const sid = await signInAt(page, rpA, 'fc-sid', '/callback', 'fiona');
    const plain = await signInAt(page, rpA, 'fc-plain', '/callback2', 'fiona');
    await signInAt(page, rpB, 'no-fc', '/callback', 'fiona');
    assert.ok(sid.claims.sid, 'the ID token carries sid');

    const end = oidc.buildEndSessionUrl(sid.config, {
      id_token_hint: sid.idToken,
      post_logout_redirect_uri: `${rpA.origin}/after`,
      state: 'bye',
    });
    await page.goto(end.href);
    assert.equal((await page.locator('h1').first().textContent())?.trim(), t('logout.title'));
    const framesPage = page.waitForResponse(
      (r) => r.url() === `${srv.issuer}/session/end/confirm` && r.request().method() === 'POST',
    );
    const mark = rpA.hits.length;
    await page.getByRole('button', { name: t('logout.confirm'), exact: true }).click();
    const r = await framesPage;
    assert.equal(r.status(), 200);
    const csp = (await r.headerValue('content-security-policy')) ?? '';
    assert.match(csp, new RegExp(`frame-src ${rpA.origin.replace(/[.]/g, '\\.')}(;|$)`));
    assert.doesNotMatch(csp, new RegExp(rpB.origin.replace(/[.]/g, '\\.')));
    assert.match(csp, /default-src 'none'/);

    const fc = await rpA.next('/frontchannel', mark);
    const fcPlain = await rpA.next('/fc-plain', mark);
    const afterUrl = await rpA.next('/after', mark);
    assert.equal(fc.searchParams.get('iss'), srv.issuer);
    assert.equal(fc.searchParams.get('sid'), sid.claims.sid);
    assert.equal(fc.searchParams.get('app'), 'sid', 'the registered query stays');
    assert.equal(fcPlain.searchParams.get('iss'), null);
    assert.equal(fcPlain.searchParams.get('sid'), null);
    assert.equal(afterUrl.searchParams.get('state'), 'bye');
    await page.waitForURL(`${rpA.origin}/after?state=bye`);
    // Each app's sid is its own: fc-plain's ID token had a sid of its own, never sent to it.
    assert.ok(plain.claims.sid);
    // The app without a front-channel URI got its sign-in callback and nothing else.
    assert.deepEqual(rpB.paths(b0), ['/callback']);
    assert.deepEqual(rpA.paths(a0).filter((p) => p === '/frontchannel' || p === '/fc-plain').length, 2);
    assert.deepEqual(problems, []);
  });

  it('"Stay signed in" ends only the asking app: only its frame is shown', async () => {
    const { page, problems } = await tab();
    const sid = await signInAt(page, rpA, 'fc-sid', '/callback', 'fiona');
    await signInAt(page, rpA, 'fc-plain', '/callback2', 'fiona');
    const end = oidc.buildEndSessionUrl(sid.config, {
      id_token_hint: sid.idToken,
      post_logout_redirect_uri: `${rpA.origin}/after`,
      state: 'partial',
    });
    await page.goto(end.href);
    const mark = rpA.hits.length;
    await page.getByRole('button', { name: t('logout.stay'), exact: true }).click();
    const fc = await rpA.next('/frontchannel', mark);
    assert.equal(fc.searchParams.get('sid'), sid.claims.sid);
    await rpA.next('/after', mark);
    await page.waitForURL(`${rpA.origin}/after?state=partial`);
    assert.deepEqual(
      rpA.paths(mark),
      ['/frontchannel', '/after'],
      'fc-plain, still signed in, is not framed',
    );
    assert.deepEqual(problems, []);
  });

  it('signing out of the portal frames the apps of that session too', async () => {
    const { page, problems } = await tab();
    await page.goto(`${srv.issuer}/my/`);
    await page.getByLabel(t('signin.username'), { exact: true }).fill('gil');
    await page.getByLabel(t('signin.password'), { exact: true }).fill(password);
    await page.getByRole('button', { name: t('signin.submit'), exact: true }).click();
    await page.waitForURL(`${srv.issuer}/my/**`);
    const b0 = rpB.hits.length;
    const sid = await signInAt(page, rpA, 'fc-sid', '/callback', 'gil');
    await signInAt(page, rpB, 'no-fc', '/callback', 'gil');
    await page.goto(`${srv.issuer}/my/`);
    const mark = rpA.hits.length;
    const signout = page.locator('form[action="/my/signout"] button[type="submit"]').first();
    await signout.click();
    const fc = await rpA.next('/frontchannel', mark);
    assert.equal(fc.searchParams.get('iss'), srv.issuer);
    assert.equal(fc.searchParams.get('sid'), sid.claims.sid);
    await page.waitForURL(`${srv.issuer}/`);
    assert.deepEqual(rpB.paths(b0), ['/callback']);
    assert.deepEqual(problems, []);
  });

  it('discovery advertises front-channel logout with sessions', async () => {
    const md = (await discover(srv.issuer, 'fc-sid', secrets['fc-sid'])).serverMetadata();
    assert.equal(md.frontchannel_logout_supported, true);
    assert.equal(md.frontchannel_logout_session_supported, true);
  });

  it('refuses a bad front-channel URI with a clear error, in the CLI and the admin API, and stores nothing', async () => {
    const a = rpA.origin;
    // Another origin than the redirect URIs (Front-Channel Logout 1.0 §2).
    let r = await cli([
      'client',
      'add',
      'fc-bad1',
      '--redirect-uri',
      `${a}/cb`,
      '--frontchannel-logout-uri',
      'https://elsewhere.example/fc',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /scheme, host and port of a redirect URI/);
    r = await cli([
      'client',
      'add',
      'fc-bad2',
      '--redirect-uri',
      `${a}/cb`,
      '--frontchannel-logout-uri',
      `${a}/fc#x`,
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /fragment/);
    r = await cli([
      'client',
      'add',
      'fc-bad3',
      '--redirect-uri',
      `${a}/cb`,
      '--frontchannel-logout-session-required',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs --frontchannel-logout-uri/);
    // In production, plain http is refused (as for the issuer, localhost aside).
    const spec = {
      clientId: 'fc-prod',
      redirectUris: ['http://app.example.com/cb'],
      frontchannelLogoutUri: 'http://app.example.com/fc',
    };
    assert.throws(
      () => buildMetadata(spec, { production: true }),
      (e: unknown) => e instanceof ClientSpecError && /production requires https/.test((e as Error).message),
    );
    assert.ok(buildMetadata(spec, { production: false }).frontchannel_logout_uri);
    assert.ok(
      buildMetadata(
        {
          ...spec,
          redirectUris: ['https://app.example.com/cb'],
          frontchannelLogoutUri: 'https://app.example.com/fc',
        },
        { production: true },
      ).frontchannel_logout_uri,
    );

    const actor = {
      id: 'client:test-automation',
      kind: 'client' as const,
      label: 'test-automation',
      permissions: new Set(PERMISSIONS),
      via: 'api' as const,
    };
    const prod = { ...srv.app.deps, config: { ...srv.app.deps.config, production: true } };
    await assert.rejects(
      svc.createClient(prod as never, actor, {
        clientId: 'fc-api',
        redirectUris: ['http://app.example.com/cb'],
        frontchannelLogoutUri: 'http://app.example.com/fc',
      }),
      (e: any) => e.fields?.frontchannelLogoutUri?.key === 'frontchannel.admin.httpsRequired',
    );
    await assert.rejects(
      svc.updateClient(srv.app.deps as never, actor, 'fc-plain', { frontchannelLogoutUri: 'ftp://x/fc' }),
      (e: any) => !!e.fields?.frontchannelLogoutUri,
    );
    // Both languages have the messages.
    for (const lang of ['en', 'ja'] as const)
      for (const key of ['frontchannel.admin.httpsRequired', 'frontchannel.admin.sameOrigin'] as const)
        assert.ok(translator(lang)(key).length > 10);
    const list = await cli(['client', 'list', '--json']);
    assert.doesNotMatch(list.stdout, /fc-bad|fc-api|fc-prod/);
    // Update clears it: `--frontchannel-logout-uri ""`.
    r = await cli(['client', 'update', 'fc-plain', '--frontchannel-logout-uri', '', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).frontchannelLogoutUri, null);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { brandCss, brandCssHref } from '../../src/policy/brand.ts';
import { Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * An address nothing serves gets Tobira's own page (branded, localized, 404), or JSON under /api/;
 * the provider's addresses still answer. The provider's logout pages carry the same layout, logo and
 * colours as every other page: the brand stylesheet with the logo, and a CSP that lets it load.
 */

describe(`unknown addresses and the provider's branded pages (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const password = 'plum kettle orchard 58';
  const LOGO = 'https://cdn.example.com/brand/logo.svg';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'organizationName', 'Acme');
    await setPolicy(srv, 'logoUrl', LOGO);
    await setPolicy(srv, 'accentColor', '#7a1fa2');
    await addUserViaCli(srv, 'lena', password);
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  const brandHref = brandCssHref({ org: 'Acme', logoUrl: LOGO, accentColor: '#7a1fa2' });

  it('an unknown page is Tobira’s own 404, branded, in the reader’s language', async () => {
    const br = new Browser();
    let r = await br.get('/no/such/page', srv.issuer);
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(r.text, /<h1>Page not found<\/h1>/);
    assert.match(r.text, /<a class="brand" href="\/">/);
    assert.ok(r.text.includes(`href="${brandHref}"`), 'the brand stylesheet with the logo');
    assert.match(r.text, /href="\/">Go to the home page<\/a>/);
    br.acceptLanguage = 'ja';
    r = await br.get('/session/endless', srv.issuer);
    assert.equal(r.status, 404, 'a look-alike of a provider address is not the provider’s');
    assert.match(r.text, /<html lang="ja">/);
    assert.match(r.text, /<h1>ページが見つかりません<\/h1>/);
  });

  it('an unknown /api/ address is a JSON 404', async () => {
    const r = await fetch(`${srv.issuer}/api/v1/no-such-thing`);
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assert.equal((await r.json()).error, 'not_found');
  });

  it('the provider’s own addresses still answer', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks']) {
      const r = await fetch(`${srv.issuer}${path}`);
      assert.equal(r.status, 200, path);
    }
  });

  it('the provider’s logout pages carry the logo and colours', async () => {
    const c = await addClientViaCli(srv, ['brand-app', '--redirect-uri', REDIRECT_URI, '--first-party']);
    const config = await discover(srv.issuer, c.clientId, c.secret);
    const { tokens, browser } = await codeFlow(config, { username: 'lena', password });
    let r = await browser.get(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! }).href);
    assert.equal(r.status, 200);
    assert.match(r.text, /Do you want to sign out/);
    const branded = (page: typeof r, what: string) => {
      assert.match(page.text, /<a class="brand" href="\/">/, `${what}: the layout's brand link`);
      assert.ok(page.text.includes(`href="${brandHref}"`), `${what}: the stylesheet with the logo`);
      assert.match(page.text, /<span>Acme<\/span>/, `${what}: the organization's name`);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(
        csp,
        /img-src 'self' data: https:\/\/cdn\.example\.com(;|$)/,
        `${what}: the logo may load`,
      );
    };
    branded(r, 'logout');
    r = await browser.postRaw(formAction(r.text), { ...hiddenInputs(r.text), logout: 'yes' }, r.url);
    assert.equal(r.status, 303);
    r = await browser.get(r.location!);
    assert.equal(r.status, 200);
    branded(r, 'signed out');
    const css = await (await fetch(`${srv.issuer}${brandHref.replace(/&amp;/g, '&')}`)).text();
    assert.equal(css, brandCss({ org: 'Acme', logoUrl: LOGO, accentColor: '#7a1fa2' }));
    assert.ok(css.includes(LOGO), 'the stylesheet shows the logo');
  });
});

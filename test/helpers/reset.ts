import assert from 'node:assert/strict';
import type { Clock } from '../../src/clock.ts';
import { Browser, decodeEntities, formAction, hiddenInputs, type Resp } from './browser.ts';
import { solvePowInPage } from './pow.ts';
import { oathtoolCode } from './tools.ts';

/** Registers an authenticator app through the portal (signing in with the password) and returns its secret. */
export async function registerAppInPortal(
  issuer: string,
  login: string,
  password: string,
  clock: Clock & { advance(ms: number): void },
): Promise<string> {
  const br = new Browser();
  let r = await br.follow(await br.get('/my/security-info/add/app', issuer));
  r = await br.follow(
    await br.post(formAction(r.text), { ...hiddenInputs(r.text), username: login, password }, r.url),
  );
  const secret = decodeEntities(/<code translate="no">([^<]+)<\/code>/.exec(r.text)![1]).replace(/\s+/g, '');
  r = await br.post(
    '/my/security-info/add/app',
    { ...hiddenInputs(r.text), code: oathtoolCode(secret, clock.now()) },
    issuer,
  );
  assert.equal(r.status, 302, `app registered for ${login}`);
  clock.advance(30_000);
  return secret;
}

/** The reset flow's identify step: the user ID plus a solved proof of work. */
export async function identifyForReset(
  issuer: string,
  login: string,
  br = new Browser(),
): Promise<{ br: Browser; r: Resp }> {
  const page = await br.get('/reset', issuer);
  assert.equal(page.status, 200);
  const r = await br.post(
    '/reset',
    { ...hiddenInputs(page.text), username: login, altcha: await solvePowInPage(page.text) },
    issuer,
  );
  return { br, r };
}

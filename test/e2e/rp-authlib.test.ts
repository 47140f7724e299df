import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import { Browser, formAction, hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addClientViaCli, addUserViaCli, REDIRECT_URI, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { toolAvailable } from '../helpers/tools.ts';

/**
 * Python Authlib as the relying party (Debian's python3-authlib): code + PKCE with an RS256 client,
 * a client_secret_jwt client and a private_key_jwt client; Authlib makes the client assertions and
 * validates each ID token (signature against the JWKS, iss, aud, nonce, exp, at_hash).
 */
const PYTHON = '/usr/bin/python3';
const AUTHLIB = '/usr/lib/python3/dist-packages/authlib/__init__.py';
const SCRIPT = path.join(import.meta.dirname, '../helpers/authlib_rp.py');
const missing = [PYTHON, AUTHLIB].find((p) => !toolAvailable(p));
const skipReason = missing ? `${missing} not found: apt-get install python3-authlib` : undefined;
if (skipReason && process.env.TOBIRA_REQUIRE_TOOLS === '1') throw new Error(skipReason);
if (skipReason) process.stderr.write(`NOTICE: ${skipReason}\n`);

function authlib(action: 'authorize' | 'token', input: Record<string, unknown>): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT, action], (err, stdout, stderr) => {
      if (err) reject(new Error(`authlib ${action} failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin!.end(JSON.stringify(input));
  });
}

describe(`Python Authlib as a relying party (${backendName})`, { skip: skipReason }, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let ada: { id: string };
  const password = 'correct horse battery staple';

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db });
    await setPolicy(srv, 'registrationRequired', false);
    ada = await addUserViaCli(srv, 'ada', password);
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  /** Authlib builds the request, the browser signs in at Tobira, Authlib redeems and validates. */
  async function flow(clientId: string, extra: Record<string, unknown>) {
    const base = { issuer: srv.issuer, client_id: clientId, redirect_uri: REDIRECT_URI };
    const start = await authlib('authorize', base);
    const browser = new Browser();
    let r = await browser.follow(await browser.get(start.url), REDIRECT_URI);
    for (let step = 0; step < 5 && !r.location?.startsWith(REDIRECT_URI); step++) {
      const form: Record<string, string> = hiddenInputs(r.text);
      if (/name="username"/.test(r.text)) Object.assign(form, { username: 'ada', password });
      r = await browser.follow(await browser.post(formAction(r.text), form, r.url), REDIRECT_URI);
    }
    assert.ok(r.location?.startsWith(REDIRECT_URI), `no redirect to the app: ${r.text.slice(0, 300)}`);
    return authlib('token', { ...base, ...start, callback: r.location, ...extra });
  }

  it('an RS256 client (client_secret_basic) validates its RS256 ID token', async () => {
    const c = await addClientViaCli(srv, [
      'py-rs256',
      '--redirect-uri',
      REDIRECT_URI,
      '--id-token-alg',
      'RS256',
    ]);
    const out = await flow(c.clientId, { method: 'client_secret_basic', secret: c.secret, alg: 'RS256' });
    assert.equal(out.alg, 'RS256');
    assert.equal(out.sub, ada.id);
  });

  it('a client_secret_jwt client authenticates with an HS256 assertion (PS256 ID token)', async () => {
    const c = await addClientViaCli(srv, [
      'py-hs256',
      '--redirect-uri',
      REDIRECT_URI,
      '--auth-method',
      'client_secret_jwt',
      '--id-token-alg',
      'PS256',
    ]);
    const out = await flow(c.clientId, { method: 'client_secret_jwt', secret: c.secret, alg: 'PS256' });
    assert.equal(out.sub, ada.id);
    // The attack: an assertion made with a wrong secret is refused.
    await assert.rejects(
      flow(c.clientId, { method: 'client_secret_jwt', secret: `${c.secret}x`, alg: 'PS256' }),
      /invalid_client/,
    );
  });

  it('a private_key_jwt client authenticates with its registered RSA key', async () => {
    const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
    const pub = { ...(await jose.exportJWK(publicKey)), kid: 'py-1', use: 'sig', alg: 'RS256' };
    const priv = { ...(await jose.exportJWK(privateKey)), kid: 'py-1', alg: 'RS256' };
    const c = await addClientViaCli(srv, [
      'py-pk',
      '--redirect-uri',
      REDIRECT_URI,
      '--auth-method',
      'private_key_jwt',
      '--jwks',
      JSON.stringify({ keys: [pub] }),
    ]);
    const out = await flow(c.clientId, { method: 'private_key_jwt', jwk: priv, alg: 'ES256' });
    assert.equal(out.sub, ada.id);
    const stranger = await jose.exportJWK(
      (await jose.generateKeyPair('RS256', { extractable: true })).privateKey,
    );
    await assert.rejects(
      flow(c.clientId, { method: 'private_key_jwt', jwk: { ...stranger, kid: 'py-1' }, alg: 'ES256' }),
      /invalid_client/,
    );
  });
});

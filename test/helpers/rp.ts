import * as oidc from 'openid-client';
import { systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { Browser, formAction, hiddenInputs } from './browser.ts';
import type { TestServer } from './server.ts';

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** Creates a client with the CLI's own code path and returns its id and secret. */
export async function addClientViaCli(
  srv: TestServer,
  args: string[],
): Promise<{ clientId: string; secret?: string }> {
  const r = await runCommand(['client', 'add', ...args, '--json'], undefined, {
    db: srv.db,
    box: srv.box,
    clock: systemClock,
  });
  if (r.code !== 0) throw new Error(`client add failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  srv.app.deps.clients.invalidate();
  return { clientId: out.client_id, secret: out.client_secret ?? undefined };
}

export async function addUserViaCli(srv: TestServer, login: string, password: string, extra: string[] = []) {
  const r = await runCommand(
    ['user', 'add', login, '--password-stdin', '--json', ...extra],
    `${password}\n`,
    {
      db: srv.db,
      box: srv.box,
      clock: systemClock,
    },
  );
  if (r.code !== 0) throw new Error(`user add failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { id: string; login: string };
}

export async function discover(issuer: string, clientId: string, secret?: string) {
  return oidc.discovery(
    new URL(issuer),
    clientId,
    secret ? { client_secret: secret } : undefined,
    secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

export interface CodeFlowResult {
  tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  nonce: string;
  browser: Browser;
}

/**
 * Runs the code flow with PKCE through the real sign-in pages: authorization endpoint, sign-in form,
 * (consent), redirect with the code, token endpoint.
 */
export async function codeFlow(
  config: oidc.Configuration,
  creds: {
    username: string;
    password: string /** for a forced change of a temporary password */;
    newPassword?: string;
    /** The second factor's code, asked for when the sign-in shows a code form (e.g. from oathtool). */
    code?: () => string;
  },
  opts: { browser?: Browser; scope?: string; extra?: Record<string, string>; redirectUri?: string } = {},
): Promise<CodeFlowResult> {
  const browser = opts.browser ?? new Browser();
  const redirectUri = opts.redirectUri ?? REDIRECT_URI;
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: opts.scope ?? 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...opts.extra,
  });
  let r = await browser.follow(await browser.get(url.href), redirectUri);
  for (let step = 0; step < 5 && !(r.location ?? '').startsWith(redirectUri); step++) {
    if (r.status !== 200) throw new Error(`unexpected ${r.status} at ${r.url}: ${r.text.slice(0, 500)}`);
    const action = formAction(r.text);
    const form: Record<string, string> = { ...hiddenInputs(r.text) };
    if (/name="username"/.test(r.text))
      Object.assign(form, { username: creds.username, password: creds.password });
    else if (/name="confirm"/.test(r.text) && creds.newPassword) {
      Object.assign(form, { password: creds.newPassword, confirm: creds.newPassword });
    } else if (/name="code"/.test(r.text) && creds.code) form.code = creds.code();
    r = await browser.follow(await browser.post(action, form, r.url), redirectUri);
  }
  if (!r.location?.startsWith(redirectUri))
    throw new Error(`no redirect to the app: ${r.status} ${r.text.slice(0, 500)}`);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(r.location), {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  });
  return { tokens, nonce, browser };
}

/** Sets one policy value with the CLI's own code path. */
export async function setPolicy(srv: TestServer, key: string, value: unknown): Promise<void> {
  const r = await runCommand(['policy', 'set', key, JSON.stringify(value)], undefined, {
    db: srv.db,
    box: srv.box,
    clock: systemClock,
  });
  if (r.code !== 0) throw new Error(`policy set failed: ${r.stderr}`);
}

/**
 * A code flow walked one page at a time, for tests that look at each step (second factor, wizard,
 * forced password change) before the app gets its code.
 */
export class StepFlow {
  readonly config: oidc.Configuration;
  readonly br: Browser;
  page!: import('./browser.ts').Resp;
  verifier = oidc.randomPKCECodeVerifier();
  nonce = oidc.randomNonce();

  constructor(config: oidc.Configuration, br = new Browser()) {
    this.config = config;
    this.br = br;
  }

  /** Sends the browser to the authorization endpoint and follows it to the first page. */
  static async start(config: oidc.Configuration, extra: Record<string, string> = {}, br = new Browser()) {
    const f = new StepFlow(config, br);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      nonce: f.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(f.verifier),
      code_challenge_method: 'S256',
      ...extra,
    });
    f.page = await br.follow(await br.get(url.href), REDIRECT_URI);
    return f;
  }

  /** Posts the page's form (with its hidden fields) and follows redirects up to the app. */
  async submit(fields: Record<string, string> = {}, formIndex = 0) {
    this.page = await this.br.follow(
      await this.br.post(
        formAction(this.page.text, formIndex),
        { ...hiddenInputs(this.page.text), ...fields },
        this.page.url,
      ),
      REDIRECT_URI,
    );
    return this.page;
  }

  /** Redeems the code the app received and returns the ID token's claims. */
  async claims() {
    if (!this.page.location?.startsWith(REDIRECT_URI)) {
      throw new Error(`expected the app's redirect, got ${this.page.status} ${this.page.url}`);
    }
    const t = await oidc.authorizationCodeGrant(this.config, new URL(this.page.location), {
      pkceCodeVerifier: this.verifier,
      expectedNonce: this.nonce,
      idTokenExpected: true,
    });
    return t.claims()!;
  }
}

/** Fails the password `times` times for a login, each on a fresh sign-in page (to lock it). */
export async function failPasswords(config: oidc.Configuration, login: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const f = await StepFlow.start(config);
    await f.submit({ username: login, password: `not the password ${i}` });
  }
}

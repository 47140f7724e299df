import crypto from 'node:crypto';
import type { SecretBox } from '../security/secrets.ts';

/**
 * A minimal relying party for Tobira's own first-party apps (the portal, the demo). It sends the user
 * through the public authorization endpoint like any app, but redeems the code over loopback so an
 * instance never needs to reach its own public URL.
 */
export interface InternalClientOptions {
  clientId: string;
  clientSecret: string;
  issuer: string;
  redirectPath: string;
  box: SecretBox;
  /** Where this instance itself listens, e.g. http://127.0.0.1:3000 (read at call time). */
  localUrl: () => string;
  /** The provider's current public signing keys. */
  jwks: () => crypto.JsonWebKey[];
}

export interface LoginState {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

export interface IdClaims {
  sub: string;
  iss: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nonce?: string;
  auth_time?: number;
  amr?: string[];
  acr?: string;
  [k: string]: unknown;
}

export interface TokenResult {
  claims: IdClaims;
  idToken: string;
  accessToken: string;
}

export class InternalClientError extends Error {}

const b64url = (b: Buffer) => b.toString('base64url');

export class InternalClient {
  readonly opts: InternalClientOptions;
  constructor(opts: InternalClientOptions) {
    this.opts = opts;
  }

  get redirectUri(): string {
    return `${this.opts.issuer}${this.opts.redirectPath}`;
  }

  /** Returns the authorization URL and the sealed state to keep in a cookie. */
  begin(returnTo: string, extra: Record<string, string> = {}): { url: string; sealed: string } {
    const st: LoginState = {
      state: b64url(crypto.randomBytes(16)),
      nonce: b64url(crypto.randomBytes(16)),
      verifier: b64url(crypto.randomBytes(32)),
      returnTo: returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/',
    };
    const challenge = b64url(crypto.createHash('sha256').update(st.verifier).digest());
    const q = new URLSearchParams({
      client_id: this.opts.clientId,
      response_type: 'code',
      redirect_uri: this.redirectUri,
      scope: 'openid profile email',
      state: st.state,
      nonce: st.nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    return {
      url: `/auth?${q}`,
      sealed: this.opts.box.encrypt(`rp:${this.opts.clientId}`, JSON.stringify(st)),
    };
  }

  openState(sealed: string | undefined): LoginState | undefined {
    if (!sealed) return undefined;
    try {
      return JSON.parse(this.opts.box.decryptString(`rp:${this.opts.clientId}`, sealed));
    } catch {
      return undefined;
    }
  }

  async finish(
    st: LoginState,
    params: { code?: string; state?: string; iss?: string },
  ): Promise<TokenResult> {
    if (!params.state || params.state !== st.state) throw new InternalClientError('state mismatch');
    if (params.iss && params.iss !== this.opts.issuer) throw new InternalClientError('issuer mismatch');
    if (!params.code) throw new InternalClientError('missing code');
    const res = await fetch(`${this.opts.localUrl()}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(
          `${encodeURIComponent(this.opts.clientId)}:${encodeURIComponent(this.opts.clientSecret)}`,
        ).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.code,
        redirect_uri: this.redirectUri,
        code_verifier: st.verifier,
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, string>;
    if (!res.ok || !body.id_token)
      throw new InternalClientError(`token endpoint: ${body.error ?? res.status}`);
    const claims = this.verifyIdToken(body.id_token);
    if (claims.nonce !== st.nonce) throw new InternalClientError('nonce mismatch');
    return { claims, idToken: body.id_token, accessToken: body.access_token };
  }

  verifyIdToken(jwt: string, nowSec = Math.floor(Date.now() / 1000)): IdClaims {
    const parts = jwt.split('.');
    if (parts.length !== 3) throw new InternalClientError('malformed id token');
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    const jwk = this.opts.jwks().find((k) => (k as { kid?: string }).kid === header.kid);
    if (!jwk || header.alg !== (jwk as { alg?: string }).alg)
      throw new InternalClientError('unknown signing key');
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk as Record<string, string>;
    const key = crypto.createPublicKey({ key: pub as crypto.JsonWebKey, format: 'jwk' });
    const data = Buffer.from(`${parts[0]}.${parts[1]}`);
    const sig = Buffer.from(parts[2], 'base64url');
    const ok =
      header.alg === 'ES256'
        ? crypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
        : crypto.verify('sha256', data, key, sig);
    if (!ok) throw new InternalClientError('bad id token signature');
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as IdClaims;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== this.opts.issuer || !aud.includes(this.opts.clientId)) {
      throw new InternalClientError('id token not for us');
    }
    if (typeof claims.exp !== 'number' || claims.exp + 60 < nowSec)
      throw new InternalClientError('id token expired');
    return claims;
  }

  logoutUrl(idToken: string, postLogoutRedirectUri?: string): string {
    const q = new URLSearchParams({ id_token_hint: idToken, client_id: this.opts.clientId });
    if (postLogoutRedirectUri) q.set('post_logout_redirect_uri', postLogoutRedirectUri);
    return `/session/end?${q}`;
  }
}

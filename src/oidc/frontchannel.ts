/**
 * Front-channel logout (OpenID Connect Front-Channel Logout 1.0). oidc-provider 9 no longer renders
 * it, so Tobira does: when a session ends, the page the browser sees next frames each app of that
 * session that registered a `frontchannel_logout_uri` (hidden), with `iss` and `sid` when the app asked
 * for them, and then continues to where the logout was going. The page's CSP allows frames from
 * exactly those apps' origins (frame-src), per response.
 */

/** One app of an ended session, with the session's sid for it. */
export interface FrontchannelTarget {
  clientId: string;
  sid?: string;
}

/** The two registration fields, as stored in the client's metadata. */
export interface FrontchannelMetadata {
  frontchannel_logout_uri?: unknown;
  frontchannel_logout_session_required?: unknown;
}

/** The URL to frame for one app, or undefined when it has no front-channel URI. */
export function frontchannelUrl(
  issuer: string,
  meta: FrontchannelMetadata | undefined,
  sid: string | undefined,
): string | undefined {
  const uri = meta?.frontchannel_logout_uri;
  if (typeof uri !== 'string' || !uri) return undefined;
  const url = URL.parse(uri);
  if (!url || !/^https?:$/.test(url.protocol)) return undefined;
  if (meta?.frontchannel_logout_session_required === true) {
    url.searchParams.set('iss', issuer);
    if (sid) url.searchParams.set('sid', sid);
  }
  return url.href;
}

/** The frames for the apps of an ended session (each app once, in the order given). */
export async function frontchannelFrames(
  issuer: string,
  targets: readonly FrontchannelTarget[],
  load: (clientId: string) => Promise<FrontchannelMetadata | undefined>,
): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.clientId)) continue;
    seen.add(t.clientId);
    const url = frontchannelUrl(issuer, await load(t.clientId).catch(() => undefined), t.sid);
    if (url) out.push(url);
  }
  return out;
}

/** The distinct origins of the frames (the CSP's frame-src sources). */
export function frameOrigins(frames: readonly string[]): string[] {
  return [...new Set(frames.map((f) => new URL(f).origin))].filter((o) =>
    /^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(o),
  );
}

/** A CSP with frame-src set to exactly these origins (replacing any frame-src it had). */
export function withFrameSrc(csp: string, origins: readonly string[]): string {
  const rest = csp
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d && !/^frame-src\b/i.test(d));
  if (origins.length) rest.push(`frame-src ${origins.join(' ')}`);
  return rest.join('; ');
}

interface SessionLike {
  accountId?: string;
  authorizations?: Record<string, { sid?: string }>;
  state?: { clientId?: string };
}

interface ProviderLike {
  Session: { get(ctx: unknown): Promise<SessionLike> };
  Client: { find(id: string): Promise<{ metadata(): Record<string, unknown> } | undefined> };
}

/** The confirm step of RP-initiated logout (the provider's end_session_confirm route). */
const CONFIRM_PATH = '/session/end/confirm';

/**
 * A provider middleware for RP-initiated logout: it reads the session before the provider ends it,
 * and when the provider answers with its redirect (to the post_logout_redirect_uri or the "signed out"
 * page), replaces the redirect with a page that frames the apps that logged out and then continues
 * there. The apps are those the provider logs out: every app of the session ("sign out"), or only
 * the one that asked ("stay signed in" ends only that app's part of the session).
 */
export function endSessionFrontchannel(
  issuer: string,
  provider: () => ProviderLike,
  renderFrames: (ctx: any, frames: string[], continueUrl: string) => Promise<void>,
) {
  return async (ctx: any, next: () => Promise<void>) => {
    if (ctx.method !== 'POST' || ctx.path !== CONFIRM_PATH) return next();
    let before: SessionLike | undefined;
    try {
      const s = await provider().Session.get(ctx);
      if (s.accountId) before = { authorizations: { ...(s.authorizations ?? {}) }, state: { ...s.state } };
    } catch {
      before = undefined;
    }
    await next();
    const location = ctx.response.get('Location');
    if (!before || ctx.status !== 303 || !location) return;
    const all = !!ctx.oidc?.params?.logout;
    const only = before.state?.clientId;
    const targets = Object.entries(before.authorizations ?? {})
      .filter(([clientId]) => all || clientId === only)
      .map(([clientId, a]) => ({ clientId, sid: a?.sid }));
    const frames = await frontchannelFrames(issuer, targets, async (id) =>
      (await provider().Client.find(id))?.metadata(),
    );
    if (!frames.length) return;
    ctx.remove('Location');
    ctx.status = 200;
    await renderFrames(ctx, frames, location);
    const csp = String(ctx.response.get('Content-Security-Policy') || "default-src 'none'");
    ctx.set('Content-Security-Policy', withFrameSrc(csp, frameOrigins(frames)));
  };
}

import Provider, {
  type AdapterPayload,
  type Configuration,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { type Config, LOCALES } from '../config.ts';
import type { Db } from '../db/knex.ts';
import { negotiateLocale, translator } from '../i18n/index.ts';
import { brandCssHref } from '../policy/brand.ts';
import { type Policy, policyFromSettings } from '../policy/settings.ts';
import { readSettings } from '../store/settings.ts';
import { findUserById, userFromRow } from '../store/users.ts';
import { ACR_MFA, ACR_VALUES } from './acr.ts';
import { type ClientLoader, createAdapterClass, takeAheadUser, withPayloadBatch } from './adapter.ts';
import { DestinationPolicy, providerFetch } from './backchannel.ts';
import { adminScopeForUsers, type CachedClient, CLIENT_CORS_PATHS, corsAllowed } from './clients.ts';
import { CookieSigner } from './cookie-signer.ts';
import { endSessionFrontchannel } from './frontchannel.ts';
import type { KeySet } from './keys.ts';
import { REGISTRATION_POLICY, registrationPolicy } from './registration.ts';
import { resourceServerInfo } from './resources.ts';

export const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'admin', 'scim'];
const ADMIN_SCOPE = 'admin';

export const TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  ClientCredentials: 3600,
  IdToken: 3600,
  Interaction: 3600,
  Session: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
  RefreshToken: 14 * 24 * 3600,
  DeviceCode: 600,
  BackchannelAuthenticationRequest: 600,
};

/** The page engine the provider's own pages render with (the app's, from src/http/views.ts). */
export interface PageViews {
  render(template: string, data: object): string;
}

export interface ProviderDeps {
  config: Config;
  db: Db;
  views: PageViews;
  keys: KeySet;
  loadClient: ClientLoader;
  /** Tobira's own facts about a client (first-party, admin scope granted). */
  clientInfo?: (clientId: string) => Promise<CachedClient | undefined>;
  /** The policy (the app's cache); without it, the settings are read each time. */
  policy?: () => Promise<Policy>;
  /** Stores a dynamically registered client (DYNAMIC_CLIENT_REGISTRATION=on). */
  registerClient?: (payload: AdapterPayload) => Promise<void>;
  /** The origins any client allows for CORS (preflights); without it, preflights are refused. */
  corsOrigins?: () => Promise<Set<string>>;
}

const policyOf = (deps: ProviderDeps) =>
  deps.policy ? deps.policy() : readSettings(deps.db).then(policyFromSettings);

function localeOf(ctx: KoaContextWithOIDC, fallback: Config['defaultLocale']) {
  return negotiateLocale(
    {
      uiLocales: (ctx.oidc?.params?.ui_locales as string | undefined) ?? null,
      cookie: ctx.cookies.get('tobira.lang') ?? null,
      acceptLanguage: ctx.get('accept-language'),
    },
    fallback,
  );
}

async function page(
  ctx: KoaContextWithOIDC,
  deps: ProviderDeps,
  template: string,
  data: Record<string, unknown>,
) {
  const { organizationName, accentColor, logoUrl } = await policyOf(deps);
  const locale = localeOf(ctx, deps.config.defaultLocale);
  const t = translator(locale);
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = deps.views.render(template, {
    t,
    locale,
    locales: ['en', 'ja'],
    org: organizationName,
    // The provider's own pages (logout, errors) carry the organization's logo and colour too: the
    // app's last middleware allowed the logo's origin in this response's CSP (app/http.ts).
    brandCss: brandCssHref({ org: organizationName, logoUrl, accentColor }),
    status: ctx.status,
    here: '/',
    dev: !deps.config.production,
    ...data,
    message: typeof data.message === 'function' ? (data.message as (t: unknown) => string)(t) : data.message,
  });
}

/**
 * The base policy plus one check: an app that asks for multi-factor sign-in through acr_values gets a
 * new sign-in when the session's was single-factor (acr_values is only voluntary in the provider).
 */
function interactionPolicyWithMfa() {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.add(
    new interactionPolicy.Check('acr_mfa', 'multi-factor authentication requested', (ctx) => {
      const requested = String(ctx.oidc.params?.acr_values ?? '').split(' ');
      if (!requested.includes(ACR_MFA)) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return ctx.oidc.session?.acr === ACR_MFA
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

export function mfaRequested(params: Record<string, unknown>): boolean {
  return String(params.acr_values ?? '')
    .split(' ')
    .includes(ACR_MFA);
}

/**
 * First-party apps are trusted: the grant is created (or extended) without a consent page, silent or
 * not, so `prompt=none` works at every first-party app once the user has a session. The admin scope
 * is added only for a client an administrator granted it to; otherwise it stays missing and the
 * request ends in invalid_scope (interactive) or consent_required (silent), as before.
 */
async function firstPartyGrant(
  ctx: KoaContextWithOIDC,
  existing: InstanceType<Provider['Grant']> | undefined,
  adminAllowed: boolean,
) {
  const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] & {
    requestParamOIDCScopes: Set<string>;
    requestParamClaims: Set<string>;
  };
  const grant =
    existing ??
    new ctx.oidc.provider.Grant({
      accountId: ctx.oidc.account!.accountId,
      clientId: ctx.oidc.client!.clientId,
    });
  const have = new Set(grant.getOIDCScope().split(' '));
  const haveClaims = new Set(grant.getOIDCClaims());
  const scopes = [...oidc.requestParamOIDCScopes].filter(
    // The scim scope is for client credentials tokens only, never on a user's grant.
    (s) => !have.has(s) && s !== 'scim' && (s !== ADMIN_SCOPE || adminAllowed),
  );
  const claims = [...oidc.requestParamClaims].filter((c) => !haveClaims.has(c));
  if (existing && !scopes.length && !claims.length) return existing;
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config, db } = deps;
  const secure = config.issuer.startsWith('https:');
  const cookieOpts = { signed: true, httpOnly: true, sameSite: 'lax' as const, secure, path: '/' };

  const configuration: Configuration = {
    adapter: createAdapterClass(db, deps.loadClient, deps.registerClient),
    clients: [],
    jwks: deps.keys.jwks as Configuration['jwks'],
    cookies: {
      // Keygrip's signatures, checked without tsscmp (oidc/cookie-signer.ts).
      keys: (deps.keys.cookieKeys.length
        ? new CookieSigner(deps.keys.cookieKeys)
        : deps.keys.cookieKeys) as unknown as string[],
      long: cookieOpts,
      short: cookieOpts,
      names: { session: 'tobira.session', interaction: 'tobira.interaction', resume: 'tobira.resume' },
    },
    scopes: SCOPES,
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'preferred_username', 'locale', 'updated_at'],
      email: ['email', 'email_verified'],
    },
    acrValues: ACR_VALUES,
    responseTypes: ['code'],
    // Tobira's own client fields (validated when a client is registered, src/oidc/clients.ts).
    extraClientMetadata: {
      properties: ['frontchannel_logout_uri', 'frontchannel_logout_session_required', 'cors_origins'],
    },
    // Browsers may call the token, userinfo, revocation and introspection endpoints only from the
    // client's allowed origins (corsAllowed).
    clientBasedCORS: (_ctx, origin, client) =>
      corsAllowed(origin, client.metadata() as Record<string, unknown>),
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      userinfoSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      introspectionSigningAlgValues: ['ES256', 'RS256'],
      authorizationSigningAlgValues: ['ES256', 'RS256'],
    },
    features: {
      devInteractions: { enabled: false },
      // A client may introspect or revoke only its own tokens; an API's own client (store/apis.ts
      // introspection_client_id) may also introspect the tokens issued for that API.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          const aud = (token as { aud?: unknown }).aud;
          return (
            typeof aud === 'string' && !!(await deps.clientInfo?.(client.clientId))?.introspects?.has(aud)
          );
        },
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      clientCredentials: { enabled: true },
      // Tokens for APIs an administrator registered and granted (src/oidc/resources.ts): client
      // credentials only; nothing is defaulted, so a request without `resource` gets a Tobira token.
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: (ctx, identifier) =>
          resourceServerInfo(ctx, identifier, deps.clientInfo ?? (async () => undefined)),
      },
      backchannelLogout: { enabled: true },
      claimsParameter: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      userinfo: { enabled: true },
      // Dynamic Client Registration: off unless DYNAMIC_CLIENT_REGISTRATION=on, and then only with an
      // initial access token from the CLI; no registration access tokens (no self-management).
      registration: {
        enabled: config.dynamicClientRegistration && !!deps.registerClient,
        initialAccessToken: true,
        issueRegistrationAccessToken: false,
        policies: { [REGISTRATION_POLICY]: registrationPolicy(config.production) },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => page(ctx, deps, 'signin/logout', { form }),
        postLogoutSuccessSource: async (ctx) => page(ctx, deps, 'signin/logged-out', {}),
      },
    },
    // Logout tokens may go to the non-public networks the operator allows (BACKCHANNEL_ALLOWED_NETWORKS).
    fetch: providerFetch(new DestinationPolicy(config.backchannelAllowedNetworks)) as Configuration['fetch'],
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    ttl: {
      ...TTL,
      // A token for an API lives as long as the API says (resources.ts); Tobira's own, an hour.
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? TTL.ClientCredentials,
    },
    // A user's access token records how its user signed in (the code's or refresh token's acr), so the
    // admin API can require a second factor from the token alone.
    extraTokenClaims: async (ctx, token) => {
      if (token.kind !== 'AccessToken') return undefined;
      const source = ctx?.oidc?.entities?.AuthorizationCode ?? ctx?.oidc?.entities?.RefreshToken;
      return source?.acr ? { acr: source.acr } : undefined;
    },
    loadExistingGrant: async (ctx) => {
      const grantId =
        ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (ctx.oidc.route !== 'authorization' && ctx.oidc.route !== 'resume') return existing;
      const info = await deps.clientInfo?.(ctx.oidc.client!.clientId);
      if (!info?.firstParty || !ctx.oidc.account) return existing;
      return firstPartyGrant(ctx, existing, adminScopeForUsers(info));
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPolicyWithMfa(),
    },
    findAccount: async (_ctx, sub) => {
      // Read with the code, refresh token or interaction this request already read (adapter.ts).
      const ahead = takeAheadUser(sub);
      const user = ahead === undefined ? await findUserById(db, sub) : ahead && userFromRow(ahead);
      if (user?.status !== 'active') return undefined;
      return {
        accountId: user.id,
        claims: async () => ({
          sub: user.id,
          name: user.displayName || user.login,
          preferred_username: user.login,
          email: user.email ?? undefined,
          email_verified: user.email ? !!user.emailVerifiedAt : undefined,
          locale: user.locale ?? undefined,
          updated_at: Math.floor(user.updatedAt.getTime() / 1000),
        }),
      };
    },
    renderError: async (ctx, out, error) => {
      const code = (out as { error?: string }).error ?? 'server_error';
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      ctx.status = status;
      await page(ctx, deps, 'error', {
        message:
          code === 'invalid_request' && /session|interaction/i.test(String((error as Error).message))
            ? (t: any) => t('error.interaction_expired')
            : (t: any) => (status >= 500 ? t('error.http.500') : t('error.oidc', { code })),
      });
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  // Every request's adapter writes leave as one statement once its response is ready (adapter.ts).
  provider.use((_ctx, next) => withPayloadBatch(db, next));
  // A preflight names no client: it is answered only for an origin some client allows.
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'OPTIONS' || !CLIENT_CORS_PATHS.has(ctx.path) || !ctx.get('Origin')) return next();
    const known = (await deps.corsOrigins?.()) ?? new Set<string>();
    if (known.has(ctx.get('Origin'))) return next();
    ctx.vary('Origin');
    ctx.status = 204;
  });
  // Front-channel logout after RP-initiated logout: the apps' frames before the redirect.
  provider.use(
    endSessionFrontchannel(
      config.issuer,
      () => provider as never,
      (ctx, frames, continueUrl) => page(ctx, deps, 'signin/frontchannel', { frames, continueUrl }),
    ),
  );
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || ctx.status >= 500) return;
    // RFC 6749 §5.2: a grant type the client is not registered for is unauthorized_client.
    if (
      ctx.status === 400 &&
      body.error === 'invalid_request' &&
      body.error_description === 'requested grant type is not allowed for this client'
    ) {
      body.error = 'unauthorized_client';
      return;
    }
    if (
      ctx.method === 'GET' &&
      ctx.path.endsWith('/.well-known/openid-configuration') &&
      ctx.status === 200
    ) {
      // The pages speak these languages (ui_locales); claims are not localized, so no claims_locales.
      const policy = await policyOf(deps);
      body.ui_locales_supported = [...LOCALES];
      // Rendered by Tobira itself (src/oidc/frontchannel.ts), with iss and sid on request.
      body.frontchannel_logout_supported = true;
      body.frontchannel_logout_session_supported = true;
      if (policy.serviceDocumentationUrl) body.service_documentation = policy.serviceDocumentationUrl;
      if (policy.opPolicyUrl) body.op_policy_uri = policy.opPolicyUrl;
      if (policy.opTosUrl) body.op_tos_uri = policy.opTosUrl;
    }
  });
  // Every ID token carries the session's sid for its client (the library adds it only for clients
  // registered for back-channel logout with a required session), so any app can match a logout token.
  (provider.Client.prototype as { includeSid(): boolean }).includeSid = () => true;
  return provider;
}

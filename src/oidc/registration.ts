import crypto from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Db } from '../db/knex.ts';
import type { SecretBox } from '../security/secrets.ts';
import { recordAudit } from '../store/audit.ts';
import { insertClient } from '../store/clients.ts';
import * as store from '../store/oidc.ts';
import { ADMIN_SCOPE, frontchannelProblem, normalizeOrigin, SCIM_SCOPE, SECRET_PURPOSE } from './clients.ts';

/**
 * Dynamic Client Registration (RFC 7591 / OpenID Connect Dynamic Client Registration 1.0), off unless
 * DYNAMIC_CLIENT_REGISTRATION=on, and then only with an initial access token an administrator made
 * with `tobira client registration-token create`. Tokens are stored as their SHA-256 (a database
 * reader learns nothing usable); a registered client is third-party (consent page, no silent sign-in
 * without consent) and never holds the admin scope; every registration is audited.
 */

export const MODEL = 'InitialAccessToken';
/** The registration policy every initial access token names (oidc-provider runs it on the metadata). */
export const REGISTRATION_POLICY = 'tobira';

export const hashToken = (value: string) => crypto.createHash('sha256').update(value).digest('hex');

export interface RegistrationToken {
  /** The first 12 hex digits of the token's SHA-256: what list shows and revoke takes. */
  id: string;
  createdAt: Date;
  expiresAt: Date | null;
}

/** Makes a token; returns its value once (only its hash is stored). */
export async function createRegistrationToken(
  db: Db,
  now: Date,
  expiresInDays?: number,
): Promise<{ token: string } & RegistrationToken> {
  const token = crypto.randomBytes(32).toString('base64url');
  const hash = hashToken(token);
  const iat = Math.floor(now.getTime() / 1000);
  const expiresAt = expiresInDays ? new Date(now.getTime() + expiresInDays * 86_400_000) : null;
  await store.upsertPayload(
    db,
    MODEL,
    hash,
    {
      iat,
      ...(expiresAt ? { exp: Math.floor(expiresAt.getTime() / 1000) } : {}),
      jti: hash,
      kind: MODEL,
      policies: [REGISTRATION_POLICY],
    },
    expiresAt,
  );
  return { token, id: hash.slice(0, 12), createdAt: now, expiresAt };
}

export async function listRegistrationTokens(db: Db, now: Date): Promise<RegistrationToken[]> {
  return (await store.listPayloads(db, MODEL, now, 1000)).map((r) => ({
    id: r.id.slice(0, 12),
    createdAt: new Date(Number(r.payload.iat) * 1000),
    expiresAt: r.expiresAt,
  }));
}

/** Revokes the token whose id (hash prefix, at least 8 hex digits) is given; false when none matches. */
export async function revokeRegistrationToken(db: Db, id: string): Promise<boolean> {
  if (!/^[0-9a-f]{8,64}$/.test(id)) return false;
  return (await store.destroyPayloadsByIdPrefix(db, MODEL, id)) > 0;
}

/**
 * The policy run on every registration: the admin and scim scopes are removed (a registered client
 * never gets them), and Tobira's own fields are checked as `client add` checks them.
 */
export function registrationPolicy(production: boolean) {
  return (_ctx: unknown, properties: Record<string, unknown>) => {
    if (typeof properties.scope === 'string') {
      const scope = properties.scope
        .split(' ')
        .filter((s) => s && s !== ADMIN_SCOPE && s !== SCIM_SCOPE)
        .join(' ');
      if (scope) properties.scope = scope;
      else delete properties.scope;
    }
    if (properties.cors_origins !== undefined) {
      const list = properties.cors_origins;
      if (!Array.isArray(list) || list.length > 50 || list.some((o) => !normalizeOrigin(String(o))))
        throw new errors.InvalidClientMetadata(
          'cors_origins must be up to 50 origins (scheme://host[:port])',
        );
      properties.cors_origins = [...new Set(list.map((o) => normalizeOrigin(String(o))!))];
    }
    if (properties.frontchannel_logout_uri !== undefined) {
      const problem = frontchannelProblem(
        String(properties.frontchannel_logout_uri),
        Array.isArray(properties.redirect_uris) ? (properties.redirect_uris as string[]) : [],
        { production },
      );
      if (problem) throw new errors.InvalidClientMetadata(`frontchannel_logout_uri ${problem}`);
    }
    if (
      properties.frontchannel_logout_session_required !== undefined &&
      typeof properties.frontchannel_logout_session_required !== 'boolean'
    )
      throw new errors.InvalidClientMetadata('frontchannel_logout_session_required must be a boolean');
  };
}

/** Stores a registered client as a third-party client without the admin scope; audits it. */
export async function storeRegisteredClient(
  db: Db,
  box: SecretBox,
  payload: AdapterPayload,
  now: Date,
): Promise<void> {
  const { client_secret: secret, ...metadata } = payload as Record<string, unknown>;
  const clientId = String(metadata.client_id);
  await db.transaction(async (trx) => {
    await insertClient(
      trx,
      {
        clientId,
        metadata,
        secretEncrypted: typeof secret === 'string' ? box.encrypt(SECRET_PURPOSE, secret) : null,
        firstParty: false,
        adminGranted: false,
      },
      now,
    );
    await recordAudit(trx, {
      at: now,
      actorId: null,
      subjectId: null,
      activity: 'oidc.client_register',
      result: 'succeeded',
      details: {
        clientId,
        clientName: metadata.client_name ?? null,
        redirectUris: metadata.redirect_uris ?? [],
        grantTypes: metadata.grant_types ?? [],
      },
    });
  });
}

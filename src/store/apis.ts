import { affected, type Tx } from '../db/knex.ts';
import { DuplicateError } from './users.ts';

export type TokenFormat = 'jwt' | 'opaque';

/** An API (resource server) clients may ask access tokens for, by its resource indicator. */
export interface ApiRow {
  identifier: string;
  name: string;
  scopes: string[];
  tokenFormat: TokenFormat;
  tokenTtlSeconds: number;
  signingAlg: string;
  /** The client the API signs in as to introspect its opaque tokens (none: nobody but their holder). */
  introspectionClientId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One client's permission on one API: the scopes its tokens for that API may carry. */
export interface ApiGrantRow {
  clientId: string;
  apiIdentifier: string;
  scopes: string[];
  createdAt: Date;
  updatedAt: Date;
}

const json = (v: unknown): string[] => (typeof v === 'string' ? JSON.parse(v) : (v as string[]));

const apiOf = (r: any): ApiRow => ({
  identifier: r.identifier,
  name: r.name,
  scopes: json(r.scopes),
  tokenFormat: r.token_format,
  tokenTtlSeconds: Number(r.token_ttl_seconds),
  signingAlg: r.signing_alg,
  introspectionClientId: r.introspection_client_id ?? null,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

const grantOf = (r: any): ApiGrantRow => ({
  clientId: r.client_id,
  apiIdentifier: r.api_identifier,
  scopes: json(r.scopes),
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

export type NewApi = Omit<ApiRow, 'createdAt' | 'updatedAt'>;

/** An API's columns besides its identifier and times. */
const settingsOf = (a: NewApi) => ({
  name: a.name,
  scopes: JSON.stringify(a.scopes),
  token_format: a.tokenFormat,
  token_ttl_seconds: a.tokenTtlSeconds,
  signing_alg: a.signingAlg,
  introspection_client_id: a.introspectionClientId,
});

export async function insertApi(db: Tx, a: NewApi, now: Date): Promise<ApiRow> {
  const rows = await db('apis')
    .insert({ identifier: a.identifier, ...settingsOf(a), created_at: now, updated_at: now })
    .onConflict('identifier')
    .ignore()
    .returning('*');
  if (!rows.length) throw new DuplicateError(`api ${a.identifier} exists`);
  return apiOf(rows[0]);
}

/** Changes an API's settings; a scope it no longer defines is dropped from every grant on it. */
export async function updateApi(db: Tx, a: NewApi, now: Date): Promise<ApiRow | undefined> {
  const rows = await db('apis')
    .where({ identifier: a.identifier })
    .update({ ...settingsOf(a), updated_at: now })
    .returning('*');
  if (!rows.length) return undefined;
  // One statement for every grant that holds a scope the API no longer defines.
  await db.raw(
    `update api_grants g set scopes = coalesce(
       (select jsonb_agg(s order by o) from jsonb_array_elements_text(g.scopes) with ordinality as e(s, o)
        where s in (select jsonb_array_elements_text(?::jsonb))), '[]'::jsonb), updated_at = ?
     where g.api_identifier = ? and exists (select 1 from jsonb_array_elements_text(g.scopes) s
       where s not in (select jsonb_array_elements_text(?::jsonb)))`,
    [JSON.stringify(a.scopes), now, a.identifier, JSON.stringify(a.scopes)],
  );
  return apiOf(rows[0]);
}

export async function findApi(db: Tx, identifier: string): Promise<ApiRow | undefined> {
  const r = await db('apis').where({ identifier }).first();
  return r ? apiOf(r) : undefined;
}

/** Every API, by identifier; bounded (an installation has a handful). */
export async function listApis(db: Tx, limit = 1000): Promise<ApiRow[]> {
  return (await db('apis').orderBy('identifier').limit(limit)).map(apiOf);
}

/** Deletes an API and, with it, every grant on it. */
export async function deleteApi(db: Tx, identifier: string): Promise<boolean> {
  return affected(await db('apis').where({ identifier }).delete()) > 0;
}

/** The grants on one API (or every grant), by client; bounded. */
export async function listGrants(db: Tx, apiIdentifier?: string, limit = 10_000): Promise<ApiGrantRow[]> {
  const q = db('api_grants').orderBy(['api_identifier', 'client_id']).limit(limit);
  if (apiIdentifier !== undefined) q.where({ api_identifier: apiIdentifier });
  return (await q).map(grantOf);
}

/** Grants a client scopes on an API, replacing what it had there. */
export async function upsertGrant(
  db: Tx,
  clientId: string,
  apiIdentifier: string,
  scopes: string[],
  now: Date,
): Promise<ApiGrantRow> {
  const rows = await db('api_grants')
    .insert({
      client_id: clientId,
      api_identifier: apiIdentifier,
      scopes: JSON.stringify(scopes),
      created_at: now,
      updated_at: now,
    })
    .onConflict(['client_id', 'api_identifier'])
    .merge(['scopes', 'updated_at'])
    .returning('*');
  return grantOf(rows[0]);
}

export async function deleteGrant(db: Tx, clientId: string, apiIdentifier: string): Promise<boolean> {
  return (
    affected(await db('api_grants').where({ client_id: clientId, api_identifier: apiIdentifier }).delete()) >
    0
  );
}

/** What a client may ask tokens for: each API it holds a grant on, with the scopes granted there. */
export interface ClientApiAccess {
  identifier: string;
  scopes: string[];
  tokenFormat: TokenFormat;
  tokenTtlSeconds: number;
  signingAlg: string;
}

/** The APIs whose opaque tokens this client may introspect (it is the API's own client). */
export async function apisIntrospectedBy(db: Tx, clientId: string): Promise<string[]> {
  const rows = await db('apis').where({ introspection_client_id: clientId }).select('identifier').limit(1000);
  return rows.map((r: any) => r.identifier as string);
}

/** The APIs one client holds grants on, in one statement (the provider's client cache reads it). */
export async function apiAccessOf(db: Tx, clientId: string): Promise<ClientApiAccess[]> {
  const rows = await db('api_grants as g')
    .join('apis as a', 'a.identifier', 'g.api_identifier')
    .where('g.client_id', clientId)
    .select('a.identifier', 'g.scopes', 'a.token_format', 'a.token_ttl_seconds', 'a.signing_alg')
    .orderBy('a.identifier')
    .limit(1000);
  return rows.map((r: any) => ({
    identifier: r.identifier,
    scopes: json(r.scopes),
    tokenFormat: r.token_format,
    tokenTtlSeconds: Number(r.token_ttl_seconds),
    signingAlg: r.signing_alg,
  }));
}

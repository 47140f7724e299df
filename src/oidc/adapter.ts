import crypto from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../db/knex.ts';
import * as store from '../store/oidc.ts';

/**
 * An identifier the client sent (a client_id, a token) that cannot exist: PostgreSQL cannot even
 * compare text holding NUL, so such a lookup is "not found" instead of a database error.
 */
const cannotExist = (id: unknown) => typeof id !== 'string' || id.includes('\u0000');

export type ClientLoader = (clientId: string) => Promise<AdapterPayload | undefined>;

/**
 * One Knex-backed adapter class for every oidc-provider model (one table, see store/oidc.ts).
 * Clients come from the `clients` table through the cached loader instead.
 */
/** Initial access tokens are stored as their SHA-256 (src/oidc/registration.ts). */
const HASHED_MODELS = new Set(['InitialAccessToken']);
const hashId = (model: string, id: string) =>
  HASHED_MODELS.has(model) ? crypto.createHash('sha256').update(id).digest('hex') : id;

export function createAdapterClass(
  db: Db,
  loadClient: ClientLoader,
  /** Stores a client the provider registered (Dynamic Client Registration); without it, refused. */
  registerClient?: (payload: AdapterPayload) => Promise<void>,
) {
  return class KnexAdapter implements Adapter {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') {
        if (registerClient) return registerClient(payload);
        throw new Error('clients are managed with `tobira client add`');
      }
      // Its value would be stored in the clear: they are made only by the CLI, stored hashed.
      if (HASHED_MODELS.has(this.model))
        throw new Error('initial access tokens are made with `tobira client registration-token create`');
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
      await store.upsertPayload(db, this.model, id, payload as Record<string, unknown>, expiresAt);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (cannotExist(id)) return undefined;
      if (this.model === 'Client') return loadClient(id);
      return toPayload(await store.findPayload(db, this.model, hashId(this.model, id), new Date()));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      if (cannotExist(userCode)) return undefined;
      return toPayload(await store.findPayloadByUserCode(db, this.model, userCode, new Date()));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      if (cannotExist(uid)) return undefined;
      return toPayload(await store.findPayloadByUid(db, this.model, uid, new Date()));
    }

    async consume(id: string): Promise<void> {
      await store.consumePayload(db, this.model, id, new Date());
    }

    async destroy(id: string): Promise<void> {
      await store.destroyPayload(db, this.model, hashId(this.model, id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.destroyByGrantId(db, grantId);
    }
  };
}

function toPayload(row: store.PayloadRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  const p = row.payload as AdapterPayload;
  if (row.consumedAt) p.consumed = Math.floor(row.consumedAt.getTime() / 1000);
  return p;
}

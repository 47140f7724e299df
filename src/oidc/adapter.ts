import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../db/knex.ts';
import * as store from '../store/oidc.ts';
import type { UserRow } from '../store/users.ts';

/**
 * An identifier the client sent (a client_id, a token) that cannot exist: PostgreSQL cannot even
 * compare text holding NUL, so such a lookup is "not found" instead of a database error.
 */
const cannotExist = (id: unknown) => typeof id !== 'string' || id.includes('\u0000');

export type ClientLoader = (clientId: string) => Promise<AdapterPayload | undefined>;

/**
 * The writes of one provider request, kept until the request's response is ready and then sent in one
 * statement (store.applyPayloadOps): a sign-in's resume writes the grant, the code and the session,
 * and a token request consumes the code and writes the tokens, each as one round trip instead of
 * three. One op per row; reads in the same request see the pending writes. A read the batch cannot
 * answer exactly (by uid, by user code, a revocation by grant) sends the batch first.
 */
class PayloadBatch {
  readonly ops = new Map<string, store.PayloadOp>();
  /**
   * Rows read ahead in this request (READ_WITH: a grant source's grant, session and user, an
   * interaction's user), by the key of their lookup (keyOf, uidKeyOf, userKeyOf); null: read as
   * absent. Each answers one lookup, and any write of this request to its model drops it, so it is
   * never older than this request's view.
   */
  readonly ahead = new Map<string, AdapterPayload | Record<string, unknown> | null>();
  /** Forgets what was read ahead of `model`'s rows (a write to one of them, a revocation: everything). */
  forget(model?: string): void {
    for (const key of this.ahead.keys())
      if (!model || key.startsWith(`${model}\u0000`)) this.ahead.delete(key);
  }
}

const batchScope = new AsyncLocalStorage<PayloadBatch>();
const keyOf = (model: string, id: string) => `${model}\u0000${id}`;
const uidKeyOf = (model: string, uid: string) => `${model}\u0000uid\u0000${uid}`;

/**
 * What one statement reads with a row (store.findWithRelated, issue 12): the token endpoint reads a
 * grant source, then the grant it names, then (for a token bound to the session) the session, then
 * the account (findAccount); the resume of a sign-in reads the interaction, then the account it signed
 * in. In a provider request, these rows are read together and the later lookups answered from them.
 */
const READ_WITH: Record<string, store.Related> = {
  AuthorizationCode: { grant: true, session: true, accountAt: ['accountId'] },
  RefreshToken: { grant: true, session: true, accountAt: ['accountId'] },
  Interaction: { accountAt: ['result', 'login', 'accountId'] },
};
const userKeyOf = (id: string) => `User\u0000${id}`;

/**
 * The user row (store/users.ts USER_COLUMNS) read ahead in this provider request for this account id,
 * once: null when it was read as absent, undefined when it was not read ahead (then read it).
 */
export function takeAheadUser(id: string): UserRow | null | undefined {
  return takeAhead(batchScope.getStore(), userKeyOf(id)) as UserRow | null | undefined;
}

/** The row read ahead for this lookup, once (undefined: none was; null: it was read as absent). */
function takeAhead(
  batch: PayloadBatch | undefined,
  key: string,
): AdapterPayload | Record<string, unknown> | null | undefined {
  const got = batch?.ahead.get(key);
  if (got !== undefined) batch?.ahead.delete(key);
  return got;
}

/** The rows one op touches (one per op), as the batch keys them. */
const rowOf = (o: store.PayloadOp) =>
  o.op === 'upsert' ? keyOf(o.row.model, o.row.id) : keyOf(o.model, o.id);

interface PendingWrite {
  ops: store.PayloadOp[];
  rows: string[];
  /** Whether its commit may skip the wait for the disk (RELAXED_MODELS); lanes never share a statement. */
  relaxed: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Rows whose loss in a crash of PostgreSQL can only deny: a client-credentials token that is gone is
 * refused (401), and the app asks for a new one with its credentials as it does when one expires; an
 * interaction that is gone (the one an authorization request starts, or its saved result) sends the
 * browser back to sign in again ("this sign-in expired"). A batch of nothing but such upserts commits
 * through the relaxed pool (db/knex.ts createRelaxedCommitDb), without waiting for the WAL flush; a
 * deletion (an interaction consumed by the resume, a revocation) or anything else commits as usual.
 */
const RELAXED_MODELS = new Set(['ClientCredentials', 'Interaction']);
const isRelaxed = (ops: store.PayloadOp[]) =>
  ops.every((o) => o.op === 'upsert' && RELAXED_MODELS.has(o.row.model) && !o.consumedAt);

/**
 * Group commit of the requests' batches, in two lanes (durable, and relaxed: RELAXED_MODELS): in each,
 * at most its MAX_IN_FLIGHT statements at a time, and the batches that become ready while they run go
 * together in the next one (under load, several tokens per statement; alone, a durable batch leaves at
 * once). The relaxed lane keeps one statement in flight: its commits are quick, so with two the batches
 * stay small and the statements (each a round trip and a wake-up of the database) many. For the same
 * reason its statement leaves at the end of the event loop's turn (setImmediate), not at once: the
 * requests handled in that turn join it (under load, 0.3 statements per token instead of 0.4; alone, a
 * batch waits microseconds). Batches that touch
 * the same row are never combined nor in flight together, whatever their lanes (the later one waits
 * until the earlier one's statement is done), and when a combined statement fails, each of its batches
 * is sent again on its own, so one request's failure is never another's.
 */
class PayloadWriter {
  static readonly MAX_IN_FLIGHT = { durable: 2, relaxed: 1 } as const;
  readonly #db: Db;
  readonly #queue: PendingWrite[] = [];
  /** The rows the statements in flight write. */
  readonly #writing = new Map<string, number>();
  readonly #inFlight = { durable: 0, relaxed: 0 };
  /** Batches waiting in #queue, per lane: a lane with none is not scanned (issue 12). */
  readonly #queued = { durable: 0, relaxed: 0 };
  /** Whether a pump at the end of this turn of the event loop is already scheduled. */
  #turnEnding = false;
  /** The pool relaxed batches commit through (see RELAXED_MODELS); the main one when unset. */
  relaxed: Db | undefined;

  constructor(db: Db) {
    this.#db = db;
  }

  write(ops: store.PayloadOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const relaxed = isRelaxed(ops);
      this.#queue.push({ ops, rows: ops.map(rowOf), relaxed, resolve, reject });
      this.#queued[relaxed ? 'relaxed' : 'durable']++;
      this.#pump();
    });
  }

  /** Sends what may go now; the relaxed lane only `atEndOfTurn` (see above). */
  #pump(atEndOfTurn = false): void {
    for (const relaxed of [false, true]) {
      const lane = relaxed ? 'relaxed' : 'durable';
      while (this.#inFlight[lane] < PayloadWriter.MAX_IN_FLIGHT[lane] && this.#queued[lane]) {
        if (relaxed && !atEndOfTurn) {
          this.#atEndOfTurn();
          break;
        }
        const group: PendingWrite[] = [];
        const rows = new Set<string>();
        // A row that a statement in flight writes, or that an earlier batch still waiting writes (in
        // either lane), is busy: a batch touching it waits, so writes to one row reach the database in
        // request order.
        const busy = new Set(this.#writing.keys());
        for (let i = 0; i < this.#queue.length; ) {
          const w = this.#queue[i];
          if (w.relaxed !== relaxed || w.rows.some((r) => rows.has(r) || busy.has(r))) {
            for (const r of w.rows) busy.add(r);
            i++;
            continue;
          }
          for (const r of w.rows) rows.add(r);
          group.push(w);
          this.#queue.splice(i, 1);
          this.#queued[lane]--;
        }
        if (!group.length) break;
        for (const r of rows) this.#writing.set(r, (this.#writing.get(r) ?? 0) + 1);
        this.#inFlight[lane]++;
        void this.#send(group, relaxed ? (this.relaxed ?? this.#db) : this.#db).finally(() => {
          for (const r of rows) {
            const n = (this.#writing.get(r) ?? 1) - 1;
            if (n) this.#writing.set(r, n);
            else this.#writing.delete(r);
          }
          this.#inFlight[lane]--;
          this.#pump();
        });
      }
    }
  }

  /** Pumps again once the requests of this turn of the event loop have been handled (see above). */
  #atEndOfTurn(): void {
    if (this.#turnEnding) return;
    this.#turnEnding = true;
    setImmediate(() => {
      this.#turnEnding = false;
      this.#pump(true);
    });
  }

  async #send(group: PendingWrite[], db: Db): Promise<void> {
    try {
      await store.applyPayloadOps(
        db,
        group.flatMap((w) => w.ops),
      );
      for (const w of group) w.resolve();
    } catch (err) {
      if (group.length === 1) return group[0].reject(err);
      for (const w of group) await store.applyPayloadOps(db, w.ops).then(w.resolve, w.reject);
    }
  }
}

const writers = new WeakMap<Db, PayloadWriter>();

function writerOf(db: Db): PayloadWriter {
  let writer = writers.get(db);
  if (!writer) {
    writer = new PayloadWriter(db);
    writers.set(db, writer);
  }
  return writer;
}

/**
 * Lets the provider's writes on `db` commit client-credentials tokens through `relaxed` (see
 * RELAXED_MODELS); undefined leaves every commit durable. Returns the undo, for the app's close.
 */
export function relaxTokenCommits(db: Db, relaxed: Db | undefined): () => void {
  const writer = writerOf(db);
  writer.relaxed = relaxed;
  return () => {
    if (writer.relaxed === relaxed) writer.relaxed = undefined;
  };
}

async function flushBatch(db: Db, batch: PayloadBatch): Promise<void> {
  if (!batch.ops.size) return;
  const ops = [...batch.ops.values()];
  batch.ops.clear();
  await writerOf(db).write(ops);
}

/**
 * Runs `fn` (the provider's handling of one request) with its adapter writes batched, and sends them
 * when it is done, before the response leaves: whatever the client is told next (a code, a token, a
 * redirect) is in the database. Also sent when `fn` throws, as the writes it made would have been.
 */
export async function withPayloadBatch<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const batch = new PayloadBatch();
  let result: T;
  try {
    result = await batchScope.run(batch, fn);
  } catch (err) {
    await flushBatch(db, batch);
    throw err;
  }
  await flushBatch(db, batch);
  return result;
}

/**
 * Runs `fn` (provider calls that save models: an interaction's persist) with its writes held instead
 * of sent, and returns them: for a statement of the caller's to carry (store.payloadWritesAlong, in
 * the statement that decides the step), and `send` for when that statement did not. Nothing is
 * written until one of the two happens; a throw from `fn` drops them.
 */
export async function holdPayloadWrites(db: Db, fn: () => Promise<void>): Promise<HeldWrites> {
  const batch = new PayloadBatch();
  await batchScope.run(batch, fn);
  const ops = [...batch.ops.values()];
  return { ops, send: async () => (ops.length ? writerOf(db).write(ops) : undefined) };
}

/** What holdPayloadWrites kept: the writes, and how to send them on their own. */
export interface HeldWrites {
  ops: store.PayloadOp[];
  send(): Promise<void>;
}

/**
 * Runs `fn` (a page's interactionDetails) with the interaction `uid` read ahead, in one statement with
 * what the page reads besides (store.findInteractionWith, issue 12): the provider's lookup of that
 * interaction is answered from it, once, instead of a statement of its own. Returns `fn`'s value and
 * the page's rows. Writes `fn` makes are sent when it is done, as in a provider request.
 */
export async function withInteractionAhead<T>(
  db: Db,
  uid: string,
  w: store.InteractionWith,
  fn: () => Promise<T>,
): Promise<{ value: T; rows: store.InteractionRows }> {
  const rows = await store.findInteractionWith(db, uid, new Date(), w);
  const batch = new PayloadBatch();
  batch.ahead.set(keyOf('Interaction', uid), toPayload(rows.source) ?? null);
  try {
    return { value: await batchScope.run(batch, fn), rows };
  } finally {
    await flushBatch(db, batch);
  }
}

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
      const batch = batchScope.getStore();
      if (!batch) {
        await store.upsertPayload(db, this.model, id, payload as Record<string, unknown>, expiresAt);
        return;
      }
      const key = keyOf(this.model, id);
      batch.forget(this.model);
      const prev = batch.ops.get(key);
      // A consumption earlier in this request stays, as it does in the database.
      const consumedAt = prev?.op === 'consume' ? prev.at : prev?.op === 'upsert' ? prev.consumedAt : null;
      // Serialized now: the provider may change the object after saving it.
      const row = store.payloadRow(this.model, id, payload as Record<string, unknown>, expiresAt);
      batch.ops.set(key, { op: 'upsert', row, consumedAt });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (cannotExist(id)) return undefined;
      if (this.model === 'Client') return loadClient(id);
      const now = new Date();
      const batch = batchScope.getStore();
      const key = keyOf(this.model, hashId(this.model, id));
      const pending = batch?.ops.get(key);
      if (pending?.op === 'delete') return undefined;
      if (pending?.op === 'upsert') {
        if (pending.row.expires_at && pending.row.expires_at <= now) return undefined;
        const p = JSON.parse(pending.row.payload) as AdapterPayload;
        if (pending.consumedAt) p.consumed = Math.floor(pending.consumedAt.getTime() / 1000);
        return p;
      }
      const ahead = takeAhead(batch, key);
      if (ahead !== undefined) return ahead ?? undefined;
      let p: AdapterPayload | undefined;
      const related = READ_WITH[this.model];
      if (batch && related) {
        const rows = await store.findWithRelated(db, this.model, id, now, related);
        p = toPayload(rows.source);
        // What this request wrote or will write to them is not read ahead: the pending op answers.
        if (rows.grant && !batch.ops.has(keyOf('Grant', rows.grant.id)))
          batch.ahead.set(keyOf('Grant', rows.grant.id), toPayload(rows.grant.row) ?? null);
        if (rows.session && !hasPending(batch, 'Session'))
          batch.ahead.set(uidKeyOf('Session', rows.session.uid), toPayload(rows.session.row) ?? null);
        if (rows.account) batch.ahead.set(userKeyOf(rows.account.id), rows.account.row ?? null);
      } else {
        p = toPayload(await store.findPayload(db, this.model, hashId(this.model, id), now));
      }
      if (p && pending?.op === 'consume' && p.consumed === undefined) {
        p.consumed = Math.floor(pending.at.getTime() / 1000);
      }
      return p;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      if (cannotExist(userCode)) return undefined;
      const batch = batchScope.getStore();
      if (batch) await flushBatch(db, batch);
      return toPayload(await store.findPayloadByUserCode(db, this.model, userCode, new Date()));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      if (cannotExist(uid)) return undefined;
      const batch = batchScope.getStore();
      if (batch && !hasPending(batch, this.model)) {
        const ahead = takeAhead(batch, uidKeyOf(this.model, uid));
        if (ahead !== undefined) return ahead ?? undefined;
      }
      if (batch) await flushBatch(db, batch);
      return toPayload(await store.findPayloadByUid(db, this.model, uid, new Date()));
    }

    async consume(id: string): Promise<void> {
      const at = new Date();
      const batch = batchScope.getStore();
      if (!batch) {
        await store.consumePayload(db, this.model, id, at);
        return;
      }
      const key = keyOf(this.model, id);
      batch.forget(this.model);
      const prev = batch.ops.get(key);
      if (prev?.op === 'delete') return;
      if (prev?.op === 'upsert') prev.consumedAt = at;
      else batch.ops.set(key, { op: 'consume', model: this.model, id, at });
    }

    async destroy(id: string): Promise<void> {
      const batch = batchScope.getStore();
      if (!batch) {
        await store.destroyPayload(db, this.model, hashId(this.model, id));
        return;
      }
      const stored = hashId(this.model, id);
      batch.forget(this.model);
      batch.ops.set(keyOf(this.model, stored), { op: 'delete', model: this.model, id: stored });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const batch = batchScope.getStore();
      batch?.forget();
      if (batch) await flushBatch(db, batch);
      await store.destroyByGrantId(db, grantId);
    }
  };
}

/** Whether this request has a write of `model`'s rows waiting (a lookup by uid cannot match it). */
const hasPending = (batch: PayloadBatch, model: string) =>
  [...batch.ops.values()].some((o) => (o.op === 'upsert' ? o.row.model : o.model) === model);

function toPayload(row: store.PayloadRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  const p = row.payload as AdapterPayload;
  if (row.consumedAt) p.consumed = Math.floor(row.consumedAt.getTime() / 1000);
  return p;
}

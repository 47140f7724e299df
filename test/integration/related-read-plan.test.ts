import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  findPayloadByUid,
  findPayloadByUserCode,
  findWithRelated,
  upsertPayload,
} from '../../src/store/oidc.ts';
import { createUser } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/**
 * The token endpoint reads a code with its grant, its session and its user in one statement
 * (store/oidc.ts findWithRelated). That read must cost the same with 3,000 grants and 3,000 sessions
 * in the table as with one, under the plan a server keeps for it: a prepared statement's generic plan,
 * made while the statistics still describe a small table (a new deployment, or autovacuum not there
 * yet). Written as a join on the code, it was planned as a scan of every grant filtered by the code's
 * grant id (issue 12: 0.95 ms a token request after 350 sign-ins, growing with each); asked by model
 * and uid together, the session was found by scanning every session (640 pages). The look-ups by uid
 * and by user code had the same flaw.
 */
const ROWS = 3000;
/** Pages one read may touch: a handful of index and heap pages per row, never one per grant or session. */
const MAX_PAGES = 40;

interface PlanNode {
  'Node Type': string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function scans(node: PlanNode, out: PlanNode[] = []): PlanNode[] {
  if (node['Relation Name']) out.push(node);
  for (const p of node.Plans ?? []) scans(p, out);
  return out;
}

describe(`a code read with its grant, session and user stays bounded as grants pile up (${backendName})`, () => {
  let tdb: TestDatabase;
  const now = new Date();
  const later = new Date(now.getTime() + 3_600_000);
  let userId: string;

  before(async () => {
    tdb = await createTestDatabase();
    userId = (await createUser(tdb.db, { login: 'token.reader', email: 't@example.test' }, now)).id;
    await upsertPayload(tdb.db, 'Grant', 'grant-zzz', { jti: 'grant-zzz', accountId: userId }, later);
    await upsertPayload(tdb.db, 'Session', 'session-0', { uid: 'session-uid-0', accountId: userId }, later);
    await upsertPayload(
      tdb.db,
      'AuthorizationCode',
      'code-0',
      { jti: 'code-0', grantId: 'grant-zzz', sessionUid: 'session-uid-0', accountId: userId },
      later,
    );
    // Statistics of a small table, as a new deployment has them; then the grants and sessions of many
    // sign-ins.
    await tdb.db.raw('analyze oidc_payloads');
    await tdb.db.raw(
      `insert into oidc_payloads (model, id, payload, grant_id, account_id, expires_at)
       select 'Grant', 'grant-' || i, jsonb_build_object('jti', 'grant-' || i), null, ?, ?
         from generate_series(1, ?) i`,
      [userId, later, ROWS],
    );
    await tdb.db.raw(
      `insert into oidc_payloads (model, id, payload, uid, account_id, expires_at)
       select 'Session', 'session-' || i, jsonb_build_object('uid', 'session-uid-' || i), 'session-uid-' || i, ?, ?
         from generate_series(1, ?) i`,
      [userId, later, ROWS],
    );
    await tdb.db.raw(
      `insert into oidc_payloads (model, id, payload, user_code, expires_at)
       select 'DeviceCode', 'device-' || i, jsonb_build_object('jti', 'device-' || i), 'CODE-' || i, ?
         from generate_series(1, ?) i`,
      [later, ROWS],
    );
  });
  after(async () => {
    await tdb.drop();
  });

  it('reads the right rows', async () => {
    const rows = await findWithRelated(tdb.db, 'AuthorizationCode', 'code-0', now, {
      grant: true,
      session: true,
      accountAt: ['accountId'],
    });
    assert.equal(rows.source?.payload.jti, 'code-0');
    assert.equal(rows.grant?.row?.payload.jti, 'grant-zzz');
    assert.equal(rows.session?.row?.payload.uid, 'session-uid-0');
    assert.equal(rows.account?.row?.id, userId);
  });

  /** The plan a server keeps for the first statement `read` sends: generic, after EXPLAIN ANALYZE. */
  async function genericPlan(read: () => Promise<unknown>): Promise<PlanNode> {
    let captured: { sql: string; bindings: unknown[] } | undefined;
    const onQuery = (q: { sql: string; bindings: unknown[] }) => {
      captured ??= q;
    };
    tdb.db.on('query', onQuery);
    try {
      await read();
    } finally {
      tdb.db.off('query', onQuery);
    }
    assert.ok(captured, 'the read sent a statement');
    const { sql, bindings } = captured;
    return tdb.db.transaction(async (trx) => {
      await trx.raw('set local plan_cache_mode = force_generic_plan');
      await trx.raw(`prepare related_read_probe as ${sql}`);
      const args = bindings.map((b) => (b instanceof Date ? `'${b.toISOString()}'` : `'${String(b)}'`));
      const r = await trx.raw(
        `explain (analyze, buffers, format json) execute related_read_probe(${args.join(', ')})`,
      );
      await trx.raw('deallocate related_read_probe');
      const text = r.rows[0]['QUERY PLAN'];
      return (typeof text === 'string' ? JSON.parse(text) : text)[0].Plan as PlanNode;
    });
  }

  function assertBounded(plan: PlanNode, maxPages: number) {
    const pages = (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
    const widest = Math.max(...scans(plan).map((n) => (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1)));
    assert.ok(
      pages <= maxPages && widest <= 1,
      `${pages} pages, a scan returned ${widest} rows, with ${ROWS} rows of each model:\n${JSON.stringify(plan, null, 1)}`,
    );
  }

  it(`touches at most ${MAX_PAGES} pages under a generic plan made from small-table statistics`, async () => {
    assertBounded(
      await genericPlan(() =>
        findWithRelated(tdb.db, 'AuthorizationCode', 'code-0', now, {
          grant: true,
          session: true,
          accountAt: ['accountId'],
        }),
      ),
      MAX_PAGES,
    );
  });

  it('a session by its uid and a device code by its user code: the one row, a few pages, under that plan', async () => {
    assert.equal(
      (await findPayloadByUid(tdb.db, 'Session', 'session-uid-7', now))?.payload.uid,
      'session-uid-7',
    );
    assert.equal(await findPayloadByUid(tdb.db, 'Interaction', 'session-uid-7', now), undefined);
    assert.equal((await findPayloadByUserCode(tdb.db, 'DeviceCode', 'CODE-7', now))?.payload.jti, 'device-7');
    assert.equal(await findPayloadByUserCode(tdb.db, 'Session', 'CODE-7', now), undefined);
    assertBounded(await genericPlan(() => findPayloadByUid(tdb.db, 'Session', 'session-uid-7', now)), 10);
    assertBounded(await genericPlan(() => findPayloadByUserCode(tdb.db, 'DeviceCode', 'CODE-7', now)), 10);
  });
});

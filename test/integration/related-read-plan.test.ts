import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findWithRelated, upsertPayload } from '../../src/store/oidc.ts';
import { createUser } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/**
 * The token endpoint reads a code with its grant, its session and its user in one statement
 * (store/oidc.ts findWithRelated). That read must cost the same with 3,000 grants in the table as with
 * one, under the plan a server keeps for it: a prepared statement's generic plan, made while the
 * statistics still describe a small table (a new deployment, or autovacuum not there yet). Written
 * as a join on the code, it was planned as a scan of every grant filtered by the code's grant id
 * (issue 12: 0.95 ms a token request after 350 sign-ins, growing with each).
 */
const GRANTS = 3000;
/** Pages one read may touch: a handful of index and heap pages per row, never one per grant. */
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
    // Statistics of a small table, as a new deployment has them; then the grants of many sign-ins.
    await tdb.db.raw('analyze oidc_payloads');
    await tdb.db.raw(
      `insert into oidc_payloads (model, id, payload, grant_id, account_id, expires_at)
       select 'Grant', 'grant-' || i, jsonb_build_object('jti', 'grant-' || i), null, ?, ?
         from generate_series(1, ?) i`,
      [userId, later, GRANTS],
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

  it(`touches at most ${MAX_PAGES} pages under a generic plan made from small-table statistics`, async () => {
    let captured: { sql: string; bindings: unknown[] } | undefined;
    const onQuery = (q: { sql: string; bindings: unknown[] }) => {
      captured ??= q;
    };
    tdb.db.on('query', onQuery);
    try {
      await findWithRelated(tdb.db, 'AuthorizationCode', 'code-0', now, {
        grant: true,
        session: true,
        accountAt: ['accountId'],
      });
    } finally {
      tdb.db.off('query', onQuery);
    }
    assert.ok(captured, 'the read sent a statement');
    const { sql, bindings } = captured;
    const plan = await tdb.db.transaction(async (trx) => {
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
    const pages = (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
    const widest = Math.max(...scans(plan).map((n) => (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1)));
    assert.ok(
      pages <= MAX_PAGES && widest <= 1,
      `${pages} pages, a scan returned ${widest} rows, with ${GRANTS} grants:\n${JSON.stringify(plan, null, 1)}`,
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as migration from '../../migrations/20261201020000_client_admin_grant.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/**
 * Upgrading: a client registered with "admin" in its scope list (the old, explicit way) keeps the
 * admin scope as a grant; every other client is denied it.
 */
describe(`migration: the admin scope becomes a per-client grant (${backendName})`, () => {
  let tdb: TestDatabase;

  before(async () => {
    tdb = await createTestDatabase();
    // Back to the schema before the grant existed, with clients as the old code stored them.
    await migration.down(tdb.db);
    const now = new Date();
    const row = (clientId: string, metadata: Record<string, unknown>) => ({
      client_id: clientId,
      metadata: JSON.stringify({ client_id: clientId, grant_types: ['client_credentials'], ...metadata }),
      secret_encrypted: null,
      first_party: false,
      created_at: now,
      updated_at: now,
    });
    await tdb
      .db('clients')
      .insert([
        row('only-admin', { scope: 'admin' }),
        row('admin-and-more', { scope: 'openid admin email' }),
        row('no-scope', {}),
        row('other-scope', { scope: 'openid profile' }),
      ]);
    await migration.up(tdb.db);
  });
  after(async () => {
    await tdb.drop();
  });

  it('grants admin to the clients that listed it, moves the word out of the list, and denies the others', async () => {
    const rows = await tdb.db('clients').orderBy('client_id');
    const byId = Object.fromEntries(
      rows.map((r: any) => [
        r.client_id,
        {
          admin: r.admin_granted,
          scope: (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata).scope,
        },
      ]),
    );
    assert.deepEqual(byId, {
      'admin-and-more': { admin: true, scope: 'openid email' },
      'no-scope': { admin: false, scope: undefined },
      'only-admin': { admin: true, scope: undefined },
      'other-scope': { admin: false, scope: 'openid profile' },
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrateLatest, pendingMigrations } from '../../src/db/migrate.ts';
import { createAdapterClass } from '../../src/oidc/adapter.ts';
import { destroyByAccountId, sweepExpired } from '../../src/store/oidc.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

describe(`database and oidc adapter (${backendName})`, () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb.drop());

  it('running migrations again changes nothing', async () => {
    const tables = async () =>
      (
        await tdb.db.raw(
          "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
        )
      ).rows.map((r: any) => r.table_name);
    const before = await tables();
    assert.ok(
      before.includes('oidc_payloads') && before.includes('users') && before.includes('audit_events'),
    );
    assert.deepEqual(await migrateLatest(tdb.db), []);
    assert.equal(await pendingMigrations(tdb.db), 0);
    assert.deepEqual(await tables(), before);
  });

  it('stores, finds by id, uid and user code, consumes and destroys payloads', async () => {
    const Adapter = createAdapterClass(tdb.db, async () => undefined);
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'acc1', kind: 'Session' } as any, 60);
    assert.equal((await sessions.find('s1'))?.uid, 'u1');
    assert.equal((await sessions.findByUid('u1'))?.accountId, 'acc1');
    const device = new Adapter('DeviceCode');
    await device.upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g1' } as any, 60);
    assert.equal((await device.findByUserCode('ABCD-EFGH'))?.grantId, 'g1');

    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1', accountId: 'acc1' } as any, 60);
    assert.equal((await codes.find('c1'))?.consumed, undefined);
    await codes.consume('c1');
    assert.equal(typeof (await codes.find('c1'))?.consumed, 'number');

    await codes.revokeByGrantId('g1');
    assert.equal(await codes.find('c1'), undefined);
    assert.equal(await device.find('d1'), undefined, 'every model of the grant goes');
    await sessions.destroy('s1');
    assert.equal(await sessions.find('s1'), undefined);
  });

  it('does not return expired rows, and the sweeper deletes them', async () => {
    const Adapter = createAdapterClass(tdb.db, async () => undefined);
    const tokens = new Adapter('AccessToken');
    await tokens.upsert('live', { accountId: 'a' } as any, 3600);
    await tdb.db('oidc_payloads').insert({
      model: 'AccessToken',
      id: 'dead',
      payload: JSON.stringify({ accountId: 'a' }),
      expires_at: new Date(Date.now() - 1000),
    });
    assert.equal(await tokens.find('dead'), undefined);
    const n = await tdb.db.transaction((trx) => sweepExpired(trx, new Date()));
    assert.equal(n, 1);
    const left = await tdb.db('oidc_payloads').where({ model: 'AccessToken' }).pluck('id');
    assert.deepEqual(left, ['live']);
  });

  it('finds and removes everything of an account', async () => {
    const Adapter = createAdapterClass(tdb.db, async () => undefined);
    await new Adapter('Session').upsert('sx', { accountId: 'victim', uid: 'ux' } as any, 60);
    await new Adapter('Grant').upsert('gx', { accountId: 'victim' } as any, 60);
    await new Adapter('RefreshToken').upsert('rx', { accountId: 'victim', grantId: 'gx' } as any, 60);
    await new Adapter('Session').upsert('sy', { accountId: 'bystander', uid: 'uy' } as any, 60);
    const removed = await destroyByAccountId(tdb.db, 'victim');
    assert.equal(removed, 3);
    assert.equal(await new Adapter('Session').find('sy').then((p) => p?.accountId), 'bystander');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { loadReport, methodsPerKind, registration, stand } from '../../src/flows/admin/reports.ts';
import { createMethodRegistry } from '../../src/methods/index.ts';
import { policyFromSettings } from '../../src/policy/settings.ts';
import { recordAudit, recordAuditMany } from '../../src/store/audit.ts';
import { deleteAuditBefore } from '../../src/store/audit-query.ts';
import {
  type Credential,
  deleteCredential,
  insertCredential,
  listCredentials,
  touchCredential,
  updateCredentialData,
} from '../../src/store/credentials.ts';
import { deleteGroup, removeMember } from '../../src/store/directory.ts';
import { eraseUser } from '../../src/store/erase.ts';
import { addMember, createGroup } from '../../src/store/groups.ts';
import { readSettings, writeSetting } from '../../src/store/settings.ts';
import { createUser, type User, updateUser } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/**
 * The reports are computed from a per-user rollup kept by a database trigger (credential classes).
 * These tests compare that path with the registry itself, credential by credential, and the whole
 * report with the in-Node counting it replaced, over credentials chosen to sit on every edge the
 * methods' `accepts` look at.
 */
describe(`reports from SQL aggregates (${backendName})`, () => {
  let tdb: TestDatabase;
  const clock = new ManualClock(new Date('2026-11-20T10:00:00Z'));
  const methods = createMethodRegistry();
  const questions = (n: number, extra: Record<string, unknown> = {}) => ({
    questions: Array.from({ length: n }, (_, i) => ({ id: `q${i}`, hash: 'h', ...extra })),
  });
  const SAMPLES: Array<{ kind: string; data: Record<string, unknown> }> = [
    { kind: 'app', data: { secret: 'sealed' } },
    { kind: 'phone', data: { e164: '+819012345678', type: 'mobile', country: 'JP' } },
    { kind: 'phone', data: { e164: '+81312345678', type: 'alternate', country: 'JP' } },
    { kind: 'phone', data: { e164: '0312345678', type: 'mobile' } },
    { kind: 'phone', data: { e164: 12345, type: 'mobile' } },
    { kind: 'phone', data: {} },
    { kind: 'email', data: { address: 'a@example.com' } },
    { kind: 'securityKey', data: { publicKey: 'x' } },
    { kind: 'questions', data: questions(3) },
    { kind: 'questions', data: questions(5, { text: 'custom?' }) },
    { kind: 'questions', data: questions(2) },
    { kind: 'questions', data: questions(6) },
    { kind: 'questions', data: questions(3, { text: null }) },
    { kind: 'questions', data: { questions: [1, 2, 3] } },
    { kind: 'questions', data: { questions: 'no' } },
    { kind: 'mystery', data: {} },
  ];

  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb.drop());

  const summaryOf = async (userId: string) => {
    const r = await tdb.db('users').where({ id: userId }).first('credential_summary');
    return (
      typeof r.credential_summary === 'string' ? JSON.parse(r.credential_summary) : r.credential_summary
    ) as Record<string, number>;
  };
  const usableKinds = (creds: Credential[]) =>
    methods
      .usable(creds, 'reset')
      .map((o) => o.method.kind)
      .sort();

  it('each credential class answers as the registry answers for the real credential', async () => {
    for (const [i, sample] of SAMPLES.entries()) {
      const u = await createUser(tdb.db, { login: `sample${i}` }, clock.now());
      await insertCredential(tdb.db, u.id, { kind: sample.kind, label: '', data: sample.data }, clock.now());
      const summary = await summaryOf(u.id);
      assert.equal(Object.keys(summary).length, 1, JSON.stringify(sample));
      const classes = Object.keys(summary);
      assert.deepEqual(
        usableKinds(classes.map(stand)),
        usableKinds(await listCredentials(tdb.db, u.id)),
        `class ${classes[0]} for ${JSON.stringify(sample)}`,
      );
    }
  });

  it('the trigger keeps the rollup current on insert, data change, delete and last-use updates', async () => {
    const u = await createUser(tdb.db, { login: 'rolling' }, clock.now());
    assert.deepEqual(await summaryOf(u.id), {});
    const phone = await insertCredential(
      tdb.db,
      u.id,
      { kind: 'phone', label: '', data: { e164: '+819012345678', type: 'mobile' } },
      clock.now(),
    );
    await insertCredential(tdb.db, u.id, { kind: 'app', label: '', data: {} }, clock.now());
    await insertCredential(tdb.db, u.id, { kind: 'app', label: '', data: {} }, clock.now());
    assert.deepEqual(await summaryOf(u.id), { app: 2, 'phone:mobile': 1 });
    await updateCredentialData(tdb.db, phone.id, { e164: '+819012345678', type: 'alternate' });
    assert.deepEqual(await summaryOf(u.id), { app: 2, 'phone:alternate': 1 });
    await touchCredential(tdb.db, phone.id, clock.now());
    assert.deepEqual(
      await summaryOf(u.id),
      { app: 2, 'phone:alternate': 1 },
      'a last-use update changes nothing',
    );
    await deleteCredential(tdb.db, u.id, phone.id);
    assert.deepEqual(await summaryOf(u.id), { app: 2 });
    await tdb.db('credentials').where({ user_id: u.id }).delete();
    assert.deepEqual(await summaryOf(u.id), {});
  });

  it('the report equals the in-Node counting over every credential, for several policies', async () => {
    const staff = await createGroup(tdb.db, 'staff', clock.now());
    for (let i = 0; i < 12; i++) {
      const u = await createUser(
        tdb.db,
        { login: `mix${i}`, roles: i % 6 === 0 ? ['admin'] : [] },
        clock.now(),
      );
      if (i % 3 === 0) await addMember(tdb.db, staff.id, u.id);
      if (i % 5 === 4) await updateUser(tdb.db, u.id, { status: 'disabled' }, clock.now());
      for (const [j, s] of SAMPLES.entries())
        if ((i + j) % 4 === 0)
          await insertCredential(tdb.db, u.id, { kind: s.kind, label: '', data: s.data }, clock.now());
    }
    for (const settings of [
      {},
      { resetGatesRequired: 2 },
      { resetScope: 'selected', resetGroups: ['staff'] },
      { resetMethods: ['sms', 'questions'] },
    ]) {
      await tdb.db('settings').delete();
      for (const [k, v] of Object.entries(settings)) await writeSetting(tdb.db, k, v, clock.now(), null);
      const policy = policyFromSettings(await readSettings(tdb.db));
      const users = await tdb.db('users').where({ status: 'active' }).select('id', 'roles');
      const creds: Credential[] = [];
      const byUser = new Map<string, Credential[]>();
      for (const u of users) {
        const list = await listCredentials(tdb.db, u.id);
        creds.push(...list);
        byUser.set(u.id, list);
      }
      const members = new Set(
        (await tdb.db('group_members').where({ group_id: staff.id }).select('user_id')).map((r) => r.user_id),
      );
      const subjects = users.map((u) => ({
        id: u.id,
        roles: typeof u.roles === 'string' ? JSON.parse(u.roles) : u.roles,
        groups: members.has(u.id) ? ['staff'] : [],
      }));
      const report = await loadReport({ db: tdb.db, clock, methods });
      assert.deepEqual(
        report.registration,
        registration(policy, methods, subjects, byUser),
        JSON.stringify(settings),
      );
      assert.deepEqual(report.methods, methodsPerKind(creds));
    }
  });

  /**
   * The rollups (migration 20261203120000) against the same figures computed from the tables
   * themselves, as the reports did before them, after every kind of write that moves them.
   */
  it('the rollups equal a fresh count after user, group, credential and audit writes', async () => {
    const db = tdb.db;
    const fresh = {
      subjects: async () =>
        (
          await db.raw(`
            select u.roles, coalesce(g.names, '{}') as groups, u.credential_summary as summary, count(*)::int as users
            from users u left join (select gm.user_id, array_agg(gr.name order by gr.name) as names
                                    from group_members gm join groups gr on gr.id = gm.group_id
                                    group by gm.user_id) g on g.user_id = u.id
            where u.status = 'active' group by 1, 2, 3 order by 1, 2, 3`)
        ).rows,
      audit: async () =>
        (
          await db.raw(`
            select to_char(at at time zone 'UTC', 'YYYY-MM-DD') as day, activity, result, count(*)::int as n
            from audit_events where activity in ('reset.complete', 'reset.attempt')
            group by 1, 2, 3 order by 1, 2, 3`)
        ).rows,
      methods: async () =>
        (
          await db.raw(`
            select to_char(e.at at time zone 'UTC', 'YYYY-MM-DD') as day, m.method, count(*)::int as n
            from audit_events e,
              lateral (select distinct x #>> '{}' as method
                       from jsonb_array_elements(case when jsonb_typeof(e.details->'methods') = 'array'
                                                      then e.details->'methods' else '[]'::jsonb end) x
                       where jsonb_typeof(x) = 'string' and length(x #>> '{}') <= 40) m
            where e.activity = 'reset.complete' and e.result = 'succeeded'
            group by 1, 2 order by 1, 2`)
        ).rows,
    };
    const rolled = {
      subjects: async () =>
        (
          await db.raw(
            'select roles, groups, summary, users::int as users from report_subjects where users > 0 order by 1, 2, 3',
          )
        ).rows,
      audit: async () =>
        (
          await db.raw(
            `select to_char(day, 'YYYY-MM-DD') as day, activity, result, n::int as n from report_audit_daily
             where n > 0 order by 1, 2, 3`,
          )
        ).rows,
      methods: async () =>
        (
          await db.raw(
            `select to_char(day, 'YYYY-MM-DD') as day, method, n::int as n from report_reset_methods
             where n > 0 order by 1, 2`,
          )
        ).rows,
    };
    const same = async (step: string) => {
      for (const k of ['subjects', 'audit', 'methods'] as const) {
        assert.deepEqual(await rolled[k](), await fresh[k](), `${k} after ${step}`);
      }
    };
    await same('the earlier tests');

    const ops = await createGroup(db, 'ops', clock.now());
    const dev = await createGroup(db, 'dev', clock.now());
    const people: User[] = [];
    for (let i = 0; i < 6; i++) people.push(await createUser(db, { login: `roll${i}` }, clock.now()));
    await same('new users');
    await addMember(db, ops.id, people[0].id);
    await addMember(db, dev.id, people[0].id);
    await addMember(db, ops.id, people[1].id);
    await same('memberships added');
    await db('groups').where({ id: ops.id }).update({ name: 'zops' });
    await same('a group renamed');
    await removeMember(db, dev.id, people[0].id);
    await same('a membership removed');
    await deleteGroup(db, ops.id);
    await same('a group deleted with its members');
    await updateUser(db, people[2].id, { roles: ['helpdesk'] }, clock.now());
    await updateUser(db, people[3].id, { status: 'disabled' }, clock.now());
    await same('a role and a status changed');
    await updateUser(db, people[3].id, { status: 'active' }, clock.now());
    await insertCredential(db, people[4].id, { kind: 'app', label: '', data: {} }, clock.now());
    await same('re-enabled, a credential added');
    await db.transaction(async (trx) => {
      await eraseUser(trx, people[4], 'erased-4');
    });
    await db('users').whereIn('id', [people[5].id]).delete();
    await same('users erased and deleted');

    // Audit: resets over three days, some with methods (duplicates, non-strings, too long), retention.
    const at = (d: string) => new Date(`${d}T23:59:59.999Z`);
    await recordAuditMany(db, [
      {
        at: at('2026-11-18'),
        activity: 'reset.complete',
        result: 'succeeded',
        details: { methods: ['sms', 'sms', 'app'] },
      },
      {
        at: at('2026-11-19'),
        activity: 'reset.complete',
        result: 'succeeded',
        details: { methods: ['email', 7, 'x'.repeat(41)] },
      },
      { at: at('2026-11-19'), activity: 'reset.complete', result: 'failed', details: { methods: ['email'] } },
      { at: at('2026-11-19'), activity: 'reset.attempt', result: 'abandoned' },
      { at: new Date('2026-11-20T00:00:00Z'), activity: 'reset.attempt', result: 'succeeded' },
      { at: at('2026-11-19'), activity: 'signin.password', result: 'succeeded' },
    ]);
    await recordAudit(db, {
      at: at('2026-11-20'),
      activity: 'reset.complete',
      result: 'succeeded',
      details: { methods: 'not a list' },
    });
    await same('reset events recorded');
    await db('audit_events')
      .where({ activity: 'reset.attempt', result: 'abandoned' })
      .update({ result: 'cancelled' });
    await db('audit_events')
      .where({ activity: 'reset.complete' })
      .update({ details: db.raw(`details - 'login'`) });
    await same('events updated');
    await deleteAuditBefore(db, new Date('2026-11-19T12:00:00Z'));
    await same('retention');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createDelivery, type Delivery, type Message } from '../../src/delivery/index.ts';
import { createLogger } from '../../src/logger.ts';
import { findUserByLogin, updateUser } from '../../src/store/users.ts';
import { hiddenInputs } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { identifyForReset } from '../helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * "Contact an administrator" revealed which accounts exist by timing (issue 10): the email to the
 * helpdesk was sent inside the request, so a real account answered in ~350 ms and an unknown one in
 * 7–40 ms (which also defeated foldEligibilityMessages). The attack: time the contact request for a
 * user ID. Here the request must run exactly the same SQL for a known and an unknown user ID, queue
 * one job either way, and never call the sender; only the worker tells the two apart. (The timings
 * themselves are compared by bench/contact-timing.ts, not in a test.)
 */

describe(`"Contact an administrator" does the same work for every user ID (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const sends: Message[] = [];
  let capturing: string[] | undefined;

  before(async () => {
    tdb = await createTestDatabase();
    // Every message any part of the app sends passes here before it reaches the outbox.
    const inner = createDelivery({
      db: tdb.db,
      logger: createLogger('silent'),
      config: loadConfig({ LOG_LEVEL: 'silent' }),
      clock,
    });
    const counting: Delivery = {
      isLive: (c) => inner.isLive(c),
      send: async (m) => {
        sends.push(m);
        await inner.send(m);
      },
    };
    srv = await startTestServer({ db: tdb.db, clock, delivery: counting });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'foldEligibilityMessages', true);
    await addUserViaCli(srv, 'leo', 'correct horse battery staple', ['--email', 'leo@example.com']);
    await addUserViaCli(srv, 'helpdesk1', 'correct horse battery staple', [
      '--email',
      'helpdesk@example.com',
    ]);
    const hd = (await findUserByLogin(srv.db, 'helpdesk1'))!;
    await updateUser(srv.db, hd.id, { roles: ['helpdesk'] }, clock.now());
    tdb.db.on('query', (q: { sql: string }) => capturing?.push(q.sql));
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  const counts = async () => ({
    queue: Number((await tdb.db('notice_queue').count({ n: '*' }))[0].n),
    audit: Number((await tdb.db('audit_events').count({ n: '*' }))[0].n),
    locks: Number((await tdb.db('reset_locks').count({ n: '*' }))[0].n),
  });

  /** Identifies for reset (not measured), then posts "Contact an administrator" and records its SQL. */
  async function contact(
    login: string,
  ): Promise<{ sql: string[]; sendsInRequest: number; rows: Awaited<ReturnType<typeof counts>> }> {
    const { br, r } = await identifyForReset(srv.issuer, login);
    assert.match(r.text, /action="\/reset\/contact"/, `the contact form is offered for ${login}`);
    const before = sends.length;
    const c0 = await counts();
    capturing = [];
    const done = await br.post('/reset/contact', hiddenInputs(r.text), srv.issuer);
    const sql = capturing;
    capturing = undefined;
    const c1 = await counts();
    assert.equal(done.status, 200);
    assert.match(done.text, /administrators have been told/);
    const rows = { queue: c1.queue - c0.queue, audit: c1.audit - c0.audit, locks: c1.locks - c0.locks };
    return { sql, sendsInRequest: sends.length - before, rows };
  }

  it('a known and an unknown user ID: the same SQL, one queued job, no send inside the request', async () => {
    const unknown = await contact('nobody-at-all');
    const known = await contact('leo');

    assert.equal(unknown.sendsInRequest, 0, 'no send inside the request (unknown)');
    assert.equal(known.sendsInRequest, 0, 'no send inside the request (known)');
    // The policy cache fills on whichever request comes first after start: not about the user ID.
    const aboutTheRequest = (sql: string[]) =>
      sql.filter((q) => !/^select "key", "value" from "settings"/.test(q));
    assert.deepEqual(
      aboutTheRequest(known.sql),
      aboutTheRequest(unknown.sql),
      'the request runs the same statements for both',
    );
    assert.ok(
      known.sql.some((s) => /insert into "notice_queue"/i.test(s)),
      'the request queues the contact request',
    );
    // Rows written by the request alone: one queued job, no audit event, no counter, for both.
    assert.deepEqual(unknown.rows, { queue: 1, audit: 0, locks: 0 });
    assert.deepEqual(known.rows, { queue: 1, audit: 0, locks: 0 });
    const jobs = await tdb.db('notice_queue').where({ kind: 'contact' }).orderBy('id');
    assert.equal(jobs.length, 2);
    for (const j of jobs) {
      assert.equal(j.user_id, null, 'the queued row does not say whether the account exists');
      assert.equal(j.purpose, 'contact.request');
      assert.ok(!j.payload.includes('leo') && !j.payload.includes('nobody'), 'the payload is sealed');
    }
  });

  it('the worker: the unknown ID sends nothing; the known one emails the helpdesk, at most once an hour', async () => {
    // Both jobs from the first test are due; process them, then look at what each produced.
    const before = sends.length;
    const run = await deliverQueuedNotices(srv);
    assert.deepEqual(run, { sent: 3, retried: 0, failed: 0 }, 'two requests resolved, one email sent');
    const sent = sends.slice(before);
    assert.deepEqual(
      sent.map((m) => [m.to, m.purpose]),
      [['helpdesk@example.com', 'notice.contact_admin']],
      'one email, for leo only: the unknown ID sent nothing',
    );
    assert.match(sent[0].text, /leo/);
    const leo = (await findUserByLogin(srv.db, 'leo'))!;
    const audit = await tdb.db('audit_events').where({ result: 'contacted_admin' });
    assert.deepEqual(
      audit.map((a) => a.subject_id),
      [leo.id],
    );
    assert.deepEqual(
      (await tdb.db('notice_queue').select('status')).map((r) => r.status),
      ['done', 'done', 'done'],
    );

    // Asking again within the hour queues a job like any other, and the worker sends nothing.
    await contact('leo');
    await contact('nobody-at-all');
    const again = sends.length;
    assert.deepEqual(await deliverQueuedNotices(srv), { sent: 2, retried: 0, failed: 0 });
    assert.equal(sends.length, again, 'nothing more within the hour');

    clock.advance(3600_000 + 1);
    await contact('leo');
    await deliverQueuedNotices(srv);
    assert.equal(sends.length, again + 1, 'the next hour, the helpdesk is told again');
  });
});

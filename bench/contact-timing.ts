/**
 * `node bench/contact-timing.ts`: response times of "Contact an administrator" (POST /reset/contact)
 * for a known and an unknown user ID, side by side. Issue 10: the email used to be sent inside the
 * request (~350 ms for a real account, 7–40 ms for an unknown one). Now the request only queues; the
 * notice worker, run between rounds and not timed, sends the email through a real SMTP server on
 * loopback.
 *
 * Embedded database (PGlite) unless BENCH_DATABASE_URL names an existing PostgreSQL database to
 * create a scratch database next to. BENCH_ROUNDS (40) requests per user ID, interleaved.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../src/clock.ts';
import { findUserByLogin, updateUser } from '../src/store/users.ts';
import { hiddenInputs } from '../test/helpers/browser.ts';
import { createTestDatabase } from '../test/helpers/db.ts';
import { MAIL_FROM, startSmtpPeer } from '../test/helpers/peers.ts';
import { identifyForReset } from '../test/helpers/reset.ts';
import { addUserViaCli, setPolicy } from '../test/helpers/rp.ts';
import { startTestServer } from '../test/helpers/server.ts';

if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
const rounds = Number(process.env.BENCH_ROUNDS ?? 40);
const clock = new ManualClock(Date.now());
const tdb = await createTestDatabase();
const smtp = await startSmtpPeer();
const srv = await startTestServer({ db: tdb.db, clock, env: { SMTP_URL: smtp.url, MAIL_FROM } });
try {
  await setPolicy(srv, 'registrationRequired', false);
  await setPolicy(srv, 'foldEligibilityMessages', true);
  await addUserViaCli(srv, 'leo', 'correct horse battery staple', ['--email', 'leo@example.com']);
  await addUserViaCli(srv, 'hd', 'correct horse battery staple', ['--email', 'helpdesk@example.com']);
  const hd = (await findUserByLogin(srv.db, 'hd'))!;
  await updateUser(srv.db, hd.id, { roles: ['helpdesk'] }, clock.now());

  const times: Record<string, number[]> = { known: [], unknown: [] };
  for (let i = 0; i < rounds; i++) {
    for (const [label, login] of i % 2
      ? [
          ['unknown', 'nobody-at-all'],
          ['known', 'leo'],
        ]
      : [
          ['known', 'leo'],
          ['unknown', 'nobody-at-all'],
        ]) {
      const { br, r } = await identifyForReset(srv.issuer, login);
      const started = performance.now();
      const done = await br.post('/reset/contact', hiddenInputs(r.text), srv.issuer);
      times[label].push(performance.now() - started);
      if (done.status !== 200) throw new Error(`contact for ${label} answered ${done.status}`);
    }
    // Past the once-per-hour contact limit and the reset-attempt limit, so every round is a first.
    await srv.app.deliverNotices();
    clock.advance(2 * 3600_000);
  }
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1);
    return `median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms`;
  };
  console.log(
    `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'}, ${rounds} requests per user ID`);
  console.log(`known user ID:   ${stats(times.known)}`);
  console.log(`unknown user ID: ${stats(times.unknown)}`);
  console.log(`emails the SMTP server received: ${smtp.messages.length} (one per round, sent by the worker)`);
} finally {
  await srv.stop();
  await smtp.close();
  await tdb.drop();
}

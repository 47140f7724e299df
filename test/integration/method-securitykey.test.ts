import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createEmailViews } from '../../src/delivery/templates.ts';
import { serveAssets } from '../../src/http/assets.ts';
import { securityHeaders } from '../../src/http/headers.ts';
import { createViews } from '../../src/http/views.ts';
import { translator } from '../../src/i18n/index.ts';
import {
  securityKeyMethod as m,
  passkeyOptions,
  renameSecurityKey,
  verifyPasskey,
} from '../../src/methods/security-key/index.ts';
import type { MethodContext } from '../../src/methods/types.ts';
import { defaultPolicy } from '../../src/policy/settings.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import {
  type Credential,
  findCredential,
  insertCredential,
  listCredentials,
} from '../../src/store/credentials.ts';
import { createUser, type User } from '../../src/store/users.ts';
import { addVirtualAuthenticator, chromiumOrSkip } from '../helpers/chromium.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { SoftAuthenticator } from '../helpers/webauthn-soft.ts';

const ORIGIN = 'http://localhost:3000';

describe(`security key method (${backendName})`, () => {
  let tdb: TestDatabase;
  let cx: MethodContext;
  const clock = new ManualClock();
  let alice: User;
  let bob: User;
  let yuki: User;

  before(async () => {
    tdb = await createTestDatabase();
    cx = {
      db: tdb.db,
      box: new SecretBox(crypto.randomBytes(32)),
      // Each reading moves time on by 1 ms, as a real clock would between two requests: challenges are
      // ordered by creation time, and a frozen clock would make two of them equally new.
      clock: {
        now: () => {
          clock.advance(1);
          return clock.now();
        },
      },
      config: loadConfig({}),
      rp: { id: 'localhost', origin: ORIGIN, name: 'Tobira Test' },
      organizationName: 'Tobira Test',
      policy: defaultPolicy(),
      // Security keys send no messages.
      delivery: {
        send: async () => {
          throw new Error('the security key method must not send messages');
        },
        isLive: () => false,
      },
      emails: createEmailViews(false),
      alerts: {
        phoneBudgetPaused: async () => {
          throw new Error('the security key method must not alert');
        },
      },
      request: { ip: '127.0.0.1', locale: 'en' },
    };
    alice = await createUser(tdb.db, { login: 'alice', displayName: 'Alice Liddell' }, clock.now());
    bob = await createUser(tdb.db, { login: 'bob', displayName: 'Bob' }, clock.now());
    yuki = await createUser(tdb.db, { login: 'yuki', displayName: '雪', locale: 'ja' }, clock.now());
  });
  after(() => tdb.drop());

  const keysOf = async (u: User) =>
    (await listCredentials(tdb.db, u.id)).filter((c) => c.kind === 'securityKey');

  /** Registers a soft authenticator for a user the way the portal would, and stores it. */
  async function enroll(user: User, auth: SoftAuthenticator, name = 'My key'): Promise<Credential> {
    const flow = `enroll:${user.id}:${crypto.randomUUID()}`;
    const view = await m.enroll.begin(cx, user, flow, {});
    const options = JSON.parse(view.data.optionsJson as string);
    const res = await m.enroll.finish(cx, user, flow, {
      response: JSON.stringify(auth.register(options, { origin: ORIGIN })),
      name,
    });
    assert.ok(res.ok, `enrolment failed: ${JSON.stringify(res)}`);
    return insertCredential(tdb.db, user.id, res.credential, clock.now());
  }

  async function assertion(
    user: User,
    auth: SoftAuthenticator,
    flow: string,
    o: { origin?: string; uv?: boolean } = {},
  ) {
    const view = await m.challenge(cx, user, await listCredentials(tdb.db, user.id), flow);
    const options = JSON.parse(view.data.optionsJson as string);
    return JSON.stringify(auth.authenticate(options, { origin: o.origin ?? ORIGIN, uv: o.uv }));
  }

  it('declares what it is', () => {
    assert.equal(m.kind, 'securityKey');
    assert.deepEqual(m.usableFor, { signIn: true, reset: true });
    assert.equal(m.maxPerUser, 10);
    assert.equal(m.passwordless, true);
  });

  it('registers a key: options, stored credential, exclusion of existing keys', async () => {
    const auth = new SoftAuthenticator();
    const flow = `enroll:${alice.id}`;
    const view = await m.enroll.begin(cx, alice, flow, {});
    assert.equal(view.partial, 'security-key/enroll');
    const json = view.data.optionsJson as string;
    assert.ok(!json.includes('<'), 'safe to embed in a script element');
    const options = JSON.parse(json);
    assert.equal(options.rp.id, 'localhost');
    assert.equal(options.rp.name, 'Tobira Test');
    assert.equal(options.user.name, 'alice');
    assert.equal(options.user.displayName, 'Alice Liddell');
    assert.equal(Buffer.from(options.user.id, 'base64url').toString('hex'), alice.id.replace(/-/g, ''));
    assert.equal(options.attestation, 'none');
    assert.equal(options.authenticatorSelection.residentKey, 'preferred');
    assert.equal(options.authenticatorSelection.userVerification, 'preferred');
    assert.deepEqual(
      options.pubKeyCredParams.map((p: { alg: number }) => p.alg),
      [-7, -257],
    );
    assert.deepEqual(options.excludeCredentials, []);

    const res = await m.enroll.finish(cx, alice, flow, {
      response: JSON.stringify(auth.register(options, { origin: ORIGIN })),
      name: '  Blue key  ',
    });
    assert.ok(res.ok);
    assert.equal(res.credential.kind, 'securityKey');
    assert.equal(res.credential.label, 'Blue key');
    assert.equal(res.credential.lookup, auth.id);
    const d = res.credential.data;
    assert.equal(d.counter, 0);
    assert.equal(d.backupEligible, false);
    assert.equal(d.backedUp, false);
    assert.equal(d.discoverable, true);
    assert.equal(d.userVerified, true);
    assert.deepEqual(d.transports, ['usb']);
    assert.equal(d.aaguid, '00000000-0000-0000-0000-000000000000');
    assert.equal(typeof d.publicKey, 'string');
    const saved = await insertCredential(tdb.db, alice.id, res.credential, clock.now());
    assert.equal(m.describe(saved, translator('en')), 'Blue key');

    const again = JSON.parse((await m.enroll.begin(cx, alice, flow, {})).data.optionsJson as string);
    assert.deepEqual(
      again.excludeCredentials.map((c: { id: string }) => c.id),
      [auth.id],
    );
    // The same authenticator cannot be registered twice.
    const dup = await m.enroll.finish(cx, alice, flow, {
      response: JSON.stringify(auth.register(again, { origin: ORIGIN })),
      name: 'Again',
    });
    assert.deepEqual(dup, { ok: false, error: 'securityKey.alreadyRegistered' });
  });

  it("names a key after the user's language when no name is given, and refuses bad names", async () => {
    const flow = `enroll:${yuki.id}`;
    const auth = new SoftAuthenticator();
    let options = JSON.parse((await m.enroll.begin(cx, yuki, flow, {})).data.optionsJson as string);
    const tooLong = await m.enroll.finish(cx, yuki, flow, {
      response: JSON.stringify(auth.register(options, { origin: ORIGIN })),
      name: 'x'.repeat(65),
    });
    assert.deepEqual(tooLong, { ok: false, error: 'securityKey.nameInvalid' });
    options = JSON.parse((await m.enroll.begin(cx, yuki, flow, {})).data.optionsJson as string);
    const res = await m.enroll.finish(cx, yuki, flow, {
      response: JSON.stringify(auth.register(options, { origin: ORIGIN })),
      name: '',
    });
    assert.ok(res.ok);
    assert.equal(res.credential.label, 'セキュリティ キー');

    // Without a preference of their own, a user gets the language of the page they are on.
    const jaPage = { ...cx, request: { ip: '127.0.0.1', locale: 'ja' as const } };
    const bflow = `enroll:${bob.id}:lang`;
    options = JSON.parse((await m.enroll.begin(jaPage, bob, bflow, {})).data.optionsJson as string);
    const r2 = await m.enroll.finish(jaPage, bob, bflow, {
      response: JSON.stringify(new SoftAuthenticator().register(options, { origin: ORIGIN })),
    });
    assert.ok(r2.ok);
    assert.equal(r2.credential.label, 'セキュリティ キー');
  });

  it('refuses a response that is not JSON, or not a credential', async () => {
    const flow = `enroll:${alice.id}:bad`;
    await m.enroll.begin(cx, alice, flow, {});
    for (const response of ['{not json', '', '[]', '{"id":"x"}', 42, 'x'.repeat(70_000)]) {
      const res = await m.enroll.finish(cx, alice, flow, { response, name: 'k' });
      assert.deepEqual(res, { ok: false, error: 'securityKey.badResponse' }, String(response).slice(0, 20));
    }
    const v = await m.verify(cx, alice, [], flow, { response: '{oops' });
    assert.deepEqual(v, { ok: false, error: 'securityKey.badResponse' });
    assert.deepEqual(await verifyPasskey(cx, flow, { response: 'nope' }), {
      ok: false,
      error: 'securityKey.badResponse',
    });
  });

  it('refuses a registration made on another origin or for another RP id', async () => {
    const flow = `enroll:${bob.id}:origin`;
    const auth = new SoftAuthenticator();
    let options = JSON.parse((await m.enroll.begin(cx, bob, flow, {})).data.optionsJson as string);
    const res = await m.enroll.finish(cx, bob, flow, {
      response: JSON.stringify(auth.register(options, { origin: 'https://evil.example' })),
    });
    assert.deepEqual(res, { ok: false, error: 'securityKey.failed' });
    options = JSON.parse((await m.enroll.begin(cx, bob, flow, {})).data.optionsJson as string);
    const rp = await m.enroll.finish(cx, bob, flow, {
      response: JSON.stringify(auth.register(options, { origin: ORIGIN, rpId: 'evil.example' })),
    });
    assert.deepEqual(rp, { ok: false, error: 'securityKey.failed' });
  });

  it('refuses a challenge issued for another flow, and a flow without a challenge', async () => {
    const auth = new SoftAuthenticator();
    const optionsA = JSON.parse(
      (await m.enroll.begin(cx, bob, 'enroll:flow-a', {})).data.optionsJson as string,
    );
    await m.enroll.begin(cx, bob, 'enroll:flow-b', {});
    const response = JSON.stringify(auth.register(optionsA, { origin: ORIGIN }));
    assert.deepEqual(await m.enroll.finish(cx, bob, 'enroll:flow-b', { response }), {
      ok: false,
      error: 'securityKey.failed',
    });
    assert.deepEqual(await m.enroll.finish(cx, bob, 'enroll:flow-c', { response }), {
      ok: false,
      error: 'securityKey.expired',
    });
    // A challenge of one user's flow is not another user's.
    const optionsD = JSON.parse(
      (await m.enroll.begin(cx, bob, 'enroll:flow-d', {})).data.optionsJson as string,
    );
    assert.deepEqual(
      await m.enroll.finish(cx, alice, 'enroll:flow-d', {
        response: JSON.stringify(auth.register(optionsD, { origin: ORIGIN })),
      }),
      { ok: false, error: 'securityKey.expired' },
    );
  });

  it('accepts a registration challenge once, and not after it expires', async () => {
    const flow = `enroll:${bob.id}:replay`;
    const options = JSON.parse((await m.enroll.begin(cx, bob, flow, {})).data.optionsJson as string);
    const response = JSON.stringify(new SoftAuthenticator().register(options, { origin: ORIGIN }));
    const first = await m.enroll.finish(cx, bob, flow, { response, name: 'once' });
    assert.ok(first.ok);
    const replay = await m.enroll.finish(cx, bob, flow, { response, name: 'twice' });
    assert.deepEqual(replay, { ok: false, error: 'securityKey.expired' });

    const late = JSON.parse((await m.enroll.begin(cx, bob, flow, {})).data.optionsJson as string);
    clock.advance(5 * 60_000 + 1);
    const expired = await m.enroll.finish(cx, bob, flow, {
      response: JSON.stringify(new SoftAuthenticator().register(late, { origin: ORIGIN })),
    });
    assert.deepEqual(expired, { ok: false, error: 'securityKey.expired' });
  });

  it('authenticates with a registered key: amr hwk, counter and last use updated, single use', async () => {
    const auth = new SoftAuthenticator();
    const cred = await enroll(alice, auth, 'Desk key');
    const flow = `signin:${crypto.randomUUID()}`;
    const view = await m.challenge(cx, alice, await listCredentials(tdb.db, alice.id), flow);
    assert.equal(view.partial, 'security-key/verify');
    const options = JSON.parse(view.data.optionsJson as string);
    assert.equal(options.userVerification, 'preferred');
    assert.equal(options.rpId, 'localhost');
    const allowed = options.allowCredentials.map((c: { id: string }) => c.id);
    assert.ok(allowed.includes(auth.id));
    for (const k of await keysOf(alice)) assert.ok(allowed.includes(k.lookup));
    assert.deepEqual(options.allowCredentials.find((c: { id: string }) => c.id === auth.id).transports, [
      'usb',
    ]);

    clock.advance(1000);
    const usedAfter = clock.now().getTime();
    const response = JSON.stringify(auth.authenticate(options, { origin: ORIGIN, uv: false }));
    const res = await m.verify(cx, alice, await listCredentials(tdb.db, alice.id), flow, { response });
    assert.deepEqual(res, { ok: true, credentialId: cred.id, amr: ['hwk'] });

    const after1 = await findCredential(tdb.db, alice.id, cred.id);
    assert.equal(after1?.data.counter, 1);
    assert.ok(after1?.lastUsedAt && after1.lastUsedAt.getTime() > usedAfter);
    assert.ok(after1.lastUsedAt.getTime() <= clock.now().getTime());

    const replay = await m.verify(cx, alice, await listCredentials(tdb.db, alice.id), flow, { response });
    assert.deepEqual(replay, { ok: false, error: 'securityKey.expired' });

    // A second use moves the counter on; a cloned key reporting an old counter is refused.
    const ok2 = await m.verify(cx, alice, await listCredentials(tdb.db, alice.id), flow, {
      response: await assertion(alice, auth, flow),
    });
    assert.ok(ok2.ok);
    assert.equal((await findCredential(tdb.db, alice.id, cred.id))?.data.counter, 2);
    const view3 = await m.challenge(cx, alice, await listCredentials(tdb.db, alice.id), flow);
    const cloned = JSON.stringify(
      auth.authenticate(JSON.parse(view3.data.optionsJson as string), { origin: ORIGIN, counter: 1 }),
    );
    const refused = await m.verify(cx, alice, await listCredentials(tdb.db, alice.id), flow, {
      response: cloned,
    });
    assert.deepEqual(refused, { ok: false, error: 'securityKey.failed' });
  });

  it('reports a synced passkey as swk', async () => {
    const auth = new SoftAuthenticator({ synced: true });
    const cred = await enroll(bob, auth, 'Phone');
    assert.equal(cred.data.backupEligible, true);
    assert.equal(cred.data.backedUp, true);
    const flow = `reset:${crypto.randomUUID()}`;
    const res = await m.verify(cx, bob, await listCredentials(tdb.db, bob.id), flow, {
      response: await assertion(bob, auth, flow),
    });
    assert.deepEqual(res, { ok: true, credentialId: cred.id, amr: ['swk'] });
  });

  it("refuses another user's key, and assertions from another origin", async () => {
    const bobKey = new SoftAuthenticator();
    await enroll(bob, bobKey, 'Bob key');
    const flow = `signin:${crypto.randomUUID()}`;
    const view = await m.challenge(cx, alice, await listCredentials(tdb.db, alice.id), flow);
    const response = JSON.stringify(
      bobKey.authenticate(JSON.parse(view.data.optionsJson as string), { origin: ORIGIN }),
    );
    // Even when the caller passes every credential it has, only alice's keys count for alice.
    const everyone = [
      ...(await listCredentials(tdb.db, alice.id)),
      ...(await listCredentials(tdb.db, bob.id)),
    ];
    const res = await m.verify(cx, alice, everyone, flow, { response });
    assert.deepEqual(res, { ok: false, error: 'securityKey.notRegistered' });

    const aliceKey = new SoftAuthenticator();
    await enroll(alice, aliceKey);
    const wrongOrigin = await m.verify(cx, alice, await listCredentials(tdb.db, alice.id), flow, {
      response: await assertion(alice, aliceKey, flow, { origin: 'https://login.evil.example' }),
    });
    assert.deepEqual(wrongOrigin, { ok: false, error: 'securityKey.failed' });
  });

  it('blocks the method for the flow after 5 failures, even across new challenges', async () => {
    const auth = new SoftAuthenticator();
    await enroll(alice, auth);
    const flow = `reset:${crypto.randomUUID()}`;
    const creds = async () => listCredentials(tdb.db, alice.id);
    for (let i = 1; i <= 4; i++) {
      const res = await m.verify(cx, alice, await creds(), flow, {
        response: await assertion(alice, auth, flow, { origin: 'https://phish.example' }),
      });
      assert.deepEqual(res, { ok: false, error: 'securityKey.failed' }, `failure ${i}`);
    }
    const fifth = await m.verify(cx, alice, await creds(), flow, {
      response: await assertion(alice, auth, flow, { origin: 'https://phish.example' }),
    });
    assert.deepEqual(fifth, { ok: false, error: 'securityKey.exhausted', exhausted: true });

    const view = await m.challenge(cx, alice, await creds(), flow);
    assert.equal(view.data.exhausted, true);
    const good = JSON.stringify(
      auth.authenticate(JSON.parse(view.data.optionsJson as string), { origin: ORIGIN }),
    );
    assert.deepEqual(await m.verify(cx, alice, await creds(), flow, { response: good }), {
      ok: false,
      error: 'securityKey.exhausted',
      exhausted: true,
      // Refused before it was looked at: no attempt of its own.
      counted: false,
    });
    // Another flow is not affected.
    const other = `reset:${crypto.randomUUID()}`;
    assert.equal(
      (await m.verify(cx, alice, await creds(), other, { response: await assertion(alice, auth, other) })).ok,
      true,
    );
  });

  it('signs in with a passkey that verified the user, and returns whose it is', async () => {
    const auth = new SoftAuthenticator();
    const cred = await enroll(bob, auth, 'Passkey');
    const flow = `signin:${crypto.randomUUID()}`;
    const view = await passkeyOptions(cx, flow);
    assert.equal(view.partial, 'security-key/passkey');
    const options = JSON.parse(view.data.passkeyOptionsJson as string);
    assert.equal(options.userVerification, 'required');
    assert.ok(!options.allowCredentials || options.allowCredentials.length === 0);
    const response = JSON.stringify(auth.authenticate(options, { origin: ORIGIN, uv: true }));
    const res = await verifyPasskey(cx, flow, { response });
    assert.deepEqual(res, { ok: true, userId: bob.id, credentialId: cred.id, amr: ['hwk'] });
    assert.deepEqual(await verifyPasskey(cx, flow, { response }), {
      ok: false,
      error: 'securityKey.expired',
    });

    // A challenge of another sign-in is not accepted.
    const other = `signin:${crypto.randomUUID()}`;
    const foreign = JSON.parse((await passkeyOptions(cx, other)).data.passkeyOptionsJson as string);
    await passkeyOptions(cx, flow);
    const crossed = await verifyPasskey(cx, flow, {
      response: JSON.stringify(auth.authenticate(foreign, { origin: ORIGIN })),
    });
    assert.deepEqual(crossed, { ok: false, error: 'securityKey.failed' });
  });

  it('attack: a passkey challenge the page did not issue, or issued too long ago, signs no one in', async () => {
    // The sign-in page's challenge is stateless (an HMAC over flow, time and random bytes): nothing is
    // stored when the page is shown, so these are the ways to get one past verifyPasskey.
    const auth = new SoftAuthenticator();
    await enroll(bob, auth, 'Passkey');
    const flow = `signin:${crypto.randomUUID()}`;
    const options = JSON.parse((await passkeyOptions(cx, flow)).data.passkeyOptionsJson as string);
    const raw = Buffer.from(options.challenge, 'base64url');
    assert.equal(raw.length, 56, 'time, random bytes and the HMAC');
    const sign = (challenge: string) =>
      verifyPasskey(cx, flow, {
        response: JSON.stringify(auth.authenticate(options, { origin: ORIGIN, challenge })),
      });
    // A challenge the attacker made up, of the right shape.
    assert.deepEqual(await sign(crypto.randomBytes(56).toString('base64url')), {
      ok: false,
      error: 'securityKey.failed',
    });
    // The issued challenge with its time moved forward (to outlive its five minutes): the HMAC breaks.
    const later = Buffer.from(raw);
    later.writeBigUInt64BE(later.readBigUInt64BE(0) + 3_600_000n, 0);
    assert.deepEqual(await sign(later.toString('base64url')), { ok: false, error: 'securityKey.failed' });
    // A challenge made with another instance's key.
    const otherBox = { ...cx, box: new SecretBox(crypto.randomBytes(32)) };
    const foreign = JSON.parse((await passkeyOptions(otherBox, flow)).data.passkeyOptionsJson as string);
    assert.deepEqual(await sign(foreign.challenge), { ok: false, error: 'securityKey.failed' });
    // The genuine challenge, answered after its five minutes.
    clock.advance(5 * 60_000 + 1_000);
    assert.deepEqual(await sign(options.challenge), { ok: false, error: 'securityKey.expired' });
    // A fresh one works once, and only once.
    const fresh = JSON.parse((await passkeyOptions(cx, flow)).data.passkeyOptionsJson as string);
    const answer = JSON.stringify(auth.authenticate(fresh, { origin: ORIGIN }));
    assert.equal((await verifyPasskey(cx, flow, { response: answer })).ok, true);
    assert.deepEqual(await verifyPasskey(cx, flow, { response: answer }), {
      ok: false,
      error: 'securityKey.expired',
    });
  });

  it('refuses a passkey sign-in without user verification, and unknown passkeys', async () => {
    const auth = new SoftAuthenticator();
    await enroll(bob, auth, 'No PIN');
    const flow = `signin:${crypto.randomUUID()}`;
    let options = JSON.parse((await passkeyOptions(cx, flow)).data.passkeyOptionsJson as string);
    const res = await verifyPasskey(cx, flow, {
      response: JSON.stringify(auth.authenticate(options, { origin: ORIGIN, uv: false })),
    });
    assert.deepEqual(res, { ok: false, error: 'securityKey.failed' });

    options = JSON.parse((await passkeyOptions(cx, flow)).data.passkeyOptionsJson as string);
    const stranger = new SoftAuthenticator();
    const unknown = await verifyPasskey(cx, flow, {
      response: JSON.stringify(stranger.authenticate(options, { origin: ORIGIN })),
    });
    assert.deepEqual(unknown, { ok: false, error: 'securityKey.unknownPasskey' });
  });

  it('renames a key with a valid name, only for its owner', async () => {
    const cred = await enroll(alice, new SoftAuthenticator(), 'Old name');
    assert.deepEqual(await renameSecurityKey(cx, alice.id, cred.id, '  New name '), { ok: true });
    assert.equal((await findCredential(tdb.db, alice.id, cred.id))?.label, 'New name');
    assert.deepEqual(await renameSecurityKey(cx, alice.id, cred.id, '   '), {
      ok: false,
      error: 'securityKey.nameInvalid',
    });
    assert.deepEqual(await renameSecurityKey(cx, alice.id, cred.id, 'é'.repeat(65)), {
      ok: false,
      error: 'securityKey.nameInvalid',
    });
    assert.deepEqual(await renameSecurityKey(cx, alice.id, cred.id, '鍵'.repeat(64)), { ok: true });
    assert.deepEqual(await renameSecurityKey(cx, bob.id, cred.id, 'Mine now'), {
      ok: false,
      error: 'securityKey.notRegistered',
    });
    assert.equal((await findCredential(tdb.db, alice.id, cred.id))?.label, '鍵'.repeat(64));
  });

  it('stops at 10 keys per user', async () => {
    const carol = await createUser(tdb.db, { login: 'carol' }, clock.now());
    for (let i = 0; i < 10; i++) await enroll(carol, new SoftAuthenticator(), `Key ${i}`);
    const flow = `enroll:${carol.id}`;
    const options = JSON.parse((await m.enroll.begin(cx, carol, flow, {})).data.optionsJson as string);
    assert.equal(options.excludeCredentials.length, 10);
    const res = await m.enroll.finish(cx, carol, flow, {
      response: JSON.stringify(new SoftAuthenticator().register(options, { origin: ORIGIN })),
    });
    assert.deepEqual(res, { ok: false, error: 'securityKey.limit', params: { max: 10 } });
  });

  it('renders complete forms with the options as inert JSON', async () => {
    const views = createViews(false);
    const t = translator('ja');
    const enrollView = await m.enroll.begin(cx, alice, 'enroll:render', {});
    const html = views.render(`methods/${enrollView.partial}`, {
      ...enrollView.data,
      action: '/my/security-info/securityKey',
      csrf: 'tok<en>',
      t,
    });
    assert.match(
      html,
      /<form method="post" action="\/my\/security-info\/securityKey" data-webauthn="register"/,
    );
    assert.match(html, /<input type="hidden" name="_csrf" value="tok&lt;en&gt;">/);
    assert.match(html, /<input type="hidden" name="response" value="">/);
    assert.match(html, /name="name"/);
    assert.match(html, /<noscript>/);
    assert.match(html, /<script src="\/assets\/vendor\/simplewebauthn-browser.js"><\/script>/);
    assert.match(html, /data-msg-cancelled="[^"]+"/);
    assert.ok(html.includes(t('securityKey.enroll.noKey')));
    const block =
      /<script type="application\/json" id="webauthn-options" data-webauthn-options>([^<]*)<\/script>/.exec(
        html,
      );
    assert.ok(block, 'the options block is present and contains no "<"');
    assert.equal(JSON.parse(block[1]).user.name, 'alice');
    // No inline code: every other script element loads a file.
    for (const tag of html.match(/<script[^>]*>/g) ?? []) assert.match(tag, /type="application\/json"|src="/);
    assert.doesNotMatch(html, /\sstyle=|\son[a-z]+=/i);

    const hostile = await createUser(
      tdb.db,
      { login: 'mallory', displayName: '</script><script>alert(1)</script>' },
      clock.now(),
    );
    const hv = await m.enroll.begin(cx, hostile, 'enroll:hostile', {});
    const hhtml = views.render('methods/security-key/enroll', { ...hv.data, action: '/x', csrf: 'c', t });
    assert.equal((hhtml.match(/<\/script>/g) ?? []).length, 3);
    assert.ok(hhtml.includes('\\u003c/script\\u003e\\u003cscript\\u003ealert(1)'));

    const verifyView = await m.challenge(cx, alice, await listCredentials(tdb.db, alice.id), 'signin:render');
    const vhtml = views.render(`methods/${verifyView.partial}`, {
      ...verifyView.data,
      action: '/interaction/x/mfa',
      csrf: 'c',
      t,
    });
    assert.match(vhtml, /data-webauthn="authenticate"/);
    assert.match(vhtml, /id="webauthn-options"/);
    assert.ok(vhtml.includes(t('securityKey.verify.noKey')));

    const pk = await passkeyOptions(cx, 'signin:render');
    const phtml = views.render(`methods/${pk.partial}`, {
      ...pk.data,
      passkeyAction: '/interaction/x/passkey',
      csrf: 'c',
      t,
    });
    assert.match(phtml, /<form method="post" action="\/interaction\/x\/passkey" data-webauthn="passkey"/);
    assert.ok(phtml.includes(t('securityKey.passkey.submit')));
    // The sign-in page includes it with `action`, as for the other partials.
    const phtml2 = views.render(`methods/${pk.partial}`, {
      ...pk.data,
      action: '/interaction/y/passkey',
      csrf: 'c',
      t,
    });
    assert.match(phtml2, /<form method="post" action="\/interaction\/y\/passkey" data-webauthn="passkey"/);
  });

  /**
   * The partials and public/webauthn.js in a real browser: a minimal page host (assets, strict CSP,
   * one form per partial) in front of the method, and Chromium with a virtual authenticator.
   */
  describe('in Chromium with a virtual authenticator', () => {
    const views = createViews(false);
    let server: ReturnType<Koa['listen']>;
    let origin = '';
    let bcx: MethodContext;
    const results: Record<string, unknown>[] = [];
    let dana: User;
    let erin: User;

    const readForm = async (req: NodeJS.ReadableStream) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    };

    before(async () => {
      dana = await createUser(tdb.db, { login: 'dana', displayName: 'Dana' }, clock.now());
      erin = await createUser(tdb.db, { login: 'erin', displayName: 'Erin' }, clock.now());
      // Erin's only key is one the browser's authenticator does not hold.
      await enroll(erin, new SoftAuthenticator());
      const app = new Koa();
      app.use(securityHeaders(false));
      app.use(serveAssets());
      app.use(async (ctx) => {
        const t = translator('en');
        const page = (body: string) => {
          ctx.state.ownPage = true;
          ctx.type = 'text/html; charset=utf-8';
          ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${ctx.path}</title></head><body>${body}</body></html>`;
        };
        const flow = 'browser:1';
        const who = ctx.query.u === 'erin' ? erin : dana;
        if (ctx.method === 'GET' && ctx.path === '/enroll') {
          const v = await m.enroll.begin(bcx, dana, flow, {});
          return page(views.render(`methods/${v.partial}`, { ...v.data, action: '/enroll', csrf: 'c', t }));
        }
        if (ctx.method === 'GET' && ctx.path === '/verify') {
          const v = await m.challenge(bcx, who, await listCredentials(tdb.db, who.id), flow);
          return page(views.render(`methods/${v.partial}`, { ...v.data, action: '/verify', csrf: 'c', t }));
        }
        if (ctx.method === 'GET' && ctx.path === '/passkey') {
          const v = await passkeyOptions(bcx, flow);
          return page(views.render(`methods/${v.partial}`, { ...v.data, action: '/passkey', csrf: 'c', t }));
        }
        if (ctx.method === 'POST') {
          const form = await readForm(ctx.req);
          let r: Record<string, unknown>;
          if (ctx.path === '/enroll') {
            const f = await m.enroll.finish(bcx, dana, flow, form);
            if (f.ok) await insertCredential(tdb.db, dana.id, f.credential, clock.now());
            r = f.ok ? { ok: true, label: f.credential.label, data: f.credential.data } : f;
          } else if (ctx.path === '/verify') {
            r = await m.verify(bcx, dana, await listCredentials(tdb.db, dana.id), flow, form);
          } else {
            r = await verifyPasskey(bcx, flow, form);
          }
          results.push({ path: ctx.path, csrf: form._csrf, ...r });
          ctx.type = 'text/plain';
          ctx.body = r.ok ? 'ok' : 'refused';
        }
      });
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      origin = `http://localhost:${(server.address() as AddressInfo).port}`;
      bcx = { ...cx, rp: { ...cx.rp, origin } };
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('registers, verifies and signs in with a passkey through public/webauthn.js', async (t) => {
      const browser = await chromiumOrSkip(t);
      if (!browser) return;
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('pageerror', (e) => problems.push(e.message));
        page.on('console', (msg) => {
          if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
        });
        const auth = await addVirtualAuthenticator(page, {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
        });

        await page.goto(`${origin}/enroll`);
        await page.fill('input[name="name"]', 'Virtual key');
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST'),
          page.click('[data-webauthn-start]'),
        ]);
        await page.waitForLoadState('load');
        assert.equal((await page.textContent('body'))?.trim(), 'ok');
        const enrolled = results.at(-1) as any;
        assert.equal(enrolled.csrf, 'c', 'the form posts its other fields too');
        assert.equal(enrolled.label, 'Virtual key');
        assert.equal(enrolled.data.discoverable, true);
        assert.equal(enrolled.data.userVerified, true);
        const held = await auth.credentials();
        assert.equal(held.length, 1);
        assert.equal(held[0].isResidentCredential, true);

        await page.goto(`${origin}/verify`);
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST'),
          page.click('[data-webauthn-start]'),
        ]);
        await page.waitForLoadState('load');
        assert.equal((await page.textContent('body'))?.trim(), 'ok');
        const verified = results.at(-1) as any;
        assert.equal(verified.ok, true);
        assert.deepEqual(verified.amr, ['hwk']);

        await page.goto(`${origin}/passkey`);
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST'),
          page.click('[data-webauthn-start]'),
        ]);
        await page.waitForLoadState('load');
        assert.equal((await page.textContent('body'))?.trim(), 'ok');
        assert.equal((results.at(-1) as any).userId, dana.id);

        // An authenticator that cannot verify the user is refused by the browser itself (UV is required),
        // and the page says so instead of posting; the server-side refusal is tested with the soft key.
        await auth.setUserVerified(false);
        const posted = results.length;
        await page.goto(`${origin}/passkey`);
        await page.click('[data-webauthn-start]');
        const msg = page.locator('[data-webauthn-error]');
        await msg.waitFor({ state: 'visible', timeout: 30_000 });
        assert.equal(await msg.textContent(), translator('en')('securityKey.msg.cancelled'));
        assert.equal(results.length, posted);
        assert.deepEqual(problems, [], 'no script error and nothing blocked by the CSP');
      } finally {
        await browser.close();
      }
    });

    it('tells the user when the browser cannot do WebAuthn, or the ceremony fails', async (t) => {
      const browser = await chromiumOrSkip(t);
      if (!browser) return;
      try {
        const bare = await browser.newPage();
        await bare.addInitScript(() => {
          // Simulates a browser without WebAuthn.
          Reflect.deleteProperty(window, 'PublicKeyCredential');
        });
        await bare.goto(`${origin}/verify`);
        const alert = bare.locator('[data-webauthn-error]');
        await alert.waitFor({ state: 'visible' });
        assert.equal(await alert.textContent(), translator('en')('securityKey.msg.unsupported'));
        assert.equal(await bare.locator('[data-webauthn-start]').isDisabled(), true);

        // An authenticator that holds none of the allowed keys: the browser reports NotAllowedError,
        // as when the user cancels its dialog.
        const page = await browser.newPage();
        await addVirtualAuthenticator(page, {
          transport: 'usb',
          hasResidentKey: false,
          hasUserVerification: false,
          isUserVerified: false,
        });
        const before = results.length;
        await page.goto(`${origin}/verify?u=erin`);
        await page.click('[data-webauthn-start]');
        const msg = page.locator('[data-webauthn-error]');
        await msg.waitFor({ state: 'visible', timeout: 30_000 });
        assert.equal(await msg.textContent(), translator('en')('securityKey.msg.cancelled'));
        assert.equal(
          await page.locator('[data-webauthn-start]').isDisabled(),
          false,
          'the user can try again',
        );
        assert.equal(results.length, before, 'nothing was posted');
      } finally {
        await browser.close();
      }
    });
  });
});

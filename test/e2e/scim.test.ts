import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ManualClock, systemClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import { Browser } from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  addClientViaCli,
  addUserViaCli,
  codeFlow,
  discover,
  REDIRECT_URI,
  setPolicy,
} from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/*
 * Issue 16, part 5: the SCIM 2.0 server, driven over HTTP as a provisioning client would, following
 * RFC 7644's examples (§3.3 create, §3.4.1 get, §3.4.2 filter, §3.5.1 replace, §3.5.2 PATCH, §3.6
 * delete, §3.14 versions) and its error responses; then the attacks on its bearer-token check.
 */

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

interface Res {
  status: number;
  body: any;
  headers: Headers;
}

describe(`SCIM 2.0 provisioning (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  let token: string;
  let bjensen: any;

  async function scim(
    method: string,
    path: string,
    body?: unknown,
    opts: { token?: string | null; type?: string; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Res> {
    const headers: Record<string, string> = { ...opts.headers };
    const t = opts.token === undefined ? token : opts.token;
    if (t) headers.authorization = `Bearer ${t}`;
    if (body !== undefined || opts.raw !== undefined)
      headers['content-type'] = opts.type ?? 'application/scim+json';
    const r = await fetch(`${srv.url}/scim/v2${path}`, {
      method,
      headers,
      body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers };
  }

  async function ccToken(clientId: string, secret: string, scope: string) {
    const config = await discover(srv.issuer, clientId, secret);
    return (await oidc.clientCredentialsGrant(config, { scope })).access_token;
  }

  const events = async (from: number) =>
    tdb.db('audit_events').where('id', '>', from).andWhere('activity', 'like', 'admin.%').orderBy('id');
  const maxId = async () => Number((await tdb.db('audit_events').max({ m: 'id' }).first())?.m ?? 0);

  function assertError(r: Res, status: number, scimType?: string) {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.match(r.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.deepEqual(r.body.schemas, [ERROR]);
    assert.equal(r.body.status, String(status));
    assert.equal(r.body.scimType, scimType);
    assert.ok(typeof r.body.detail === 'string' && r.body.detail.length > 0);
  }

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'allowedPhoneCountries', []);
    const c = await addClientViaCli(srv, [
      'provisioner',
      '--grant-type',
      'client_credentials',
      '--first-party',
      '--scim',
    ]);
    token = await ccToken(c.clientId, c.secret!, 'scim');
  });
  after(async () => {
    await srv?.stop();
    await tdb?.drop();
  });

  it('describes itself: ServiceProviderConfig, ResourceTypes and Schemas (RFC 7644 §4)', async () => {
    const spc = await scim('GET', '/ServiceProviderConfig');
    assert.equal(spc.status, 200);
    assert.match(spc.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.equal(spc.body.patch.supported, true);
    assert.equal(spc.body.filter.supported, true);
    assert.equal(spc.body.etag.supported, true);
    assert.equal(spc.body.changePassword.supported, false);
    const types = await scim('GET', '/ResourceTypes');
    assert.deepEqual(types.body.schemas, [LIST]);
    assert.deepEqual(
      types.body.Resources.map((t: any) => t.endpoint),
      ['/Users', '/Groups'],
    );
    const schemas = await scim('GET', '/Schemas');
    assert.deepEqual(
      schemas.body.Resources.map((s: any) => s.id),
      [USER, GROUP],
    );
    assert.equal((await scim('GET', `/Schemas/${USER}`)).body.name, 'User');
    assertError(await scim('GET', '/Schemas/urn:nothing'), 404);
    assertError(await scim('GET', '/Bulk'), 404);
  });

  it('§3.3: creates a user "not yet activated", audited with the client as actor', async () => {
    const from = await maxId();
    const r = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'bjensen',
      externalId: 'bjensen',
      name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
      emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
      preferredLanguage: 'ja-JP',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.match(r.headers.get('content-type') ?? '', /^application\/scim\+json/);
    bjensen = r.body;
    assert.deepEqual(bjensen.schemas, [USER]);
    assert.equal(bjensen.userName, 'bjensen');
    assert.equal(bjensen.externalId, 'bjensen');
    assert.equal(bjensen.displayName, 'Ms. Barbara J Jensen III');
    assert.equal(bjensen.name.formatted, 'Ms. Barbara J Jensen III');
    assert.deepEqual(bjensen.emails, [{ value: 'bjensen@example.com', type: 'work', primary: true }]);
    assert.equal(bjensen.active, true);
    assert.equal(bjensen.locale, 'ja');
    assert.equal(bjensen.password, undefined);
    assert.equal(bjensen.meta.resourceType, 'User');
    assert.equal(bjensen.meta.location, `${srv.issuer}/scim/v2/Users/${bjensen.id}`);
    assert.equal(r.headers.get('location'), bjensen.meta.location);
    assert.match(bjensen.meta.version, /^W\/".+"$/);
    assert.equal(r.headers.get('etag'), bjensen.meta.version);
    const row = await tdb.db('users').where({ id: bjensen.id }).first();
    assert.equal(row.password_hash, null, 'no password: the person sets one through reset');
    assert.equal(row.external_id, 'bjensen');
    const ev = await events(from);
    assert.deepEqual(
      ev.map((e: any) => e.activity),
      ['admin.user.create', 'admin.user.external_id'],
    );
    for (const e of ev) assert.equal(e.actor_id, 'client:provisioner');
    const details = typeof ev[0].details === 'string' ? JSON.parse(ev[0].details) : ev[0].details;
    assert.equal(details.via, 'scim');
  });

  it('§3.4.1: reads a user by id, with its version as ETag and 304 for If-None-Match', async () => {
    const r = await scim('GET', `/Users/${bjensen.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, bjensen);
    assert.equal(r.headers.get('etag'), bjensen.meta.version);
    const again = await scim('GET', `/Users/${bjensen.id}`, undefined, {
      headers: { 'if-none-match': bjensen.meta.version },
    });
    assert.equal(again.status, 304);
    const only = await scim('GET', `/Users/${bjensen.id}?attributes=userName`);
    assert.deepEqual(Object.keys(only.body).sort(), ['id', 'meta', 'schemas', 'userName']);
    assertError(await scim('GET', '/Users/2819c223-7f76-453a-919d-413861904646'), 404);
    assertError(await scim('GET', '/Users/not-an-id'), 404);
  });

  it('§3.4.2: filters with eq, sw, co, ne, pr, and/or/not and parentheses; pages with totalResults', async () => {
    for (const [login, name, email] of [
      ['jsmith', 'John Smith', 'john@example.org'],
      ['jdoe', 'Jane Doe', 'jane@example.org'],
      ['ksato', '佐藤 健', 'ken@example.jp'],
    ]) {
      const r = await scim('POST', '/Users', {
        schemas: [USER],
        userName: login,
        displayName: name,
        emails: [{ value: email, type: 'work' }],
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const logins = async (filter: string, extra = '') => {
      const r = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}${extra}`);
      assert.equal(r.status, 200, `${filter}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body.schemas, [LIST]);
      return r.body.Resources.map((u: any) => u.userName).sort();
    };
    assert.deepEqual(await logins('userName eq "bjensen"'), ['bjensen']);
    assert.deepEqual(await logins('userName eq "BJENSEN"'), ['bjensen'], 'userName is case-insensitive');
    assert.deepEqual(await logins('userName sw "j"'), ['jdoe', 'jsmith']);
    assert.deepEqual(await logins('name.formatted co "jensen"'), ['bjensen']);
    assert.deepEqual(await logins('displayName co "佐藤"'), ['ksato']);
    assert.deepEqual(await logins('emails.value eq "jane@example.org"'), ['jdoe']);
    assert.deepEqual(await logins('emails[type eq "work" and value co "example.jp"]'), ['ksato']);
    assert.deepEqual(await logins('externalId eq "bjensen"'), ['bjensen']);
    assert.deepEqual(await logins('externalId pr'), ['bjensen']);
    assert.deepEqual(await logins('userName sw "j" and not (displayName co "Smith")'), ['jdoe']);
    assert.deepEqual(await logins('(userName eq "jdoe" or userName eq "ksato") and active eq true'), [
      'jdoe',
      'ksato',
    ]);
    assert.deepEqual(await logins('userName ne "bjensen" and userName sw "j"'), ['jdoe', 'jsmith']);
    assert.deepEqual(
      await logins(
        `meta.lastModified ge "${new Date(clock.now().getTime() - 1000).toISOString()}" and userName eq "jdoe"`,
      ),
      ['jdoe'],
    );
    assert.deepEqual(await logins('userName eq "nobody"'), []);

    // Pagination: 1-based startIndex, count, totalResults over all matches.
    const p1 = await scim('GET', '/Users?startIndex=1&count=2&sortBy=userName');
    assert.equal(p1.body.totalResults, 4);
    assert.equal(p1.body.itemsPerPage, 2);
    assert.equal(p1.body.startIndex, 1);
    assert.deepEqual(
      p1.body.Resources.map((u: any) => u.userName),
      ['bjensen', 'jdoe'],
    );
    const p2 = await scim('GET', '/Users?startIndex=3&count=2&sortBy=userName');
    assert.deepEqual(
      p2.body.Resources.map((u: any) => u.userName),
      ['jsmith', 'ksato'],
    );
    const desc = await scim('GET', '/Users?count=1&sortBy=userName&sortOrder=descending');
    assert.equal(desc.body.Resources[0].userName, 'ksato');
    const none = await scim('GET', '/Users?count=0');
    assert.equal(none.body.totalResults, 4);
    assert.deepEqual(none.body.Resources, []);
  });

  it('answers a bad filter with 400 invalidFilter, never a 500', async () => {
    for (const f of [
      'userName eq',
      'userName eq bjensen',
      'userName xx "a"',
      '(userName eq "a"',
      'userName eq "a" and',
      'title eq "Tour Guide"',
      'active eq "yes"',
      'meta.lastModified gt "not a date"',
      'emails[type eq "work"',
      'userName eq "a" ) or (',
      "userName eq 'single'",
      '"x" eq userName',
      `${'('.repeat(50)}userName eq "a"${')'.repeat(50)}`,
    ]) {
      assertError(await scim('GET', `/Users?filter=${encodeURIComponent(f)}`), 400, 'invalidFilter');
    }
    assertError(await scim('GET', '/Users?sortBy=password'), 400, 'invalidFilter');
    assertError(await scim('GET', '/Users?count=many'), 400, 'invalidValue');
    const ja = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq')}`, undefined, {
      headers: { 'accept-language': 'ja' },
    });
    assert.match(ja.body.detail, /フィルター/);
  });

  it('refuses a second account with the same userName (409 uniqueness), and passwords', async () => {
    const before = await maxId();
    for (const userName of ['bjensen', 'BJensen']) {
      assertError(await scim('POST', '/Users', { schemas: [USER], userName }), 409, 'uniqueness');
    }
    assertError(
      await scim('POST', '/Users', { schemas: [USER], userName: 'pw', password: 't1meMa$heen' }),
      400,
      'invalidValue',
    );
    assertError(await scim('POST', '/Users', { schemas: [USER] }), 400, 'invalidValue');
    assertError(await scim('POST', '/Users', { userName: 'noschema' }), 400, 'invalidSyntax');
    assertError(await scim('POST', '/Users', undefined, { raw: '{"schemas": [' }), 400, 'invalidSyntax');
    assertError(
      await scim('POST', '/Users', undefined, { raw: '{}', type: 'text/plain' }),
      400,
      'invalidSyntax',
    );
    assertError(
      await scim('POST', '/Users', {
        schemas: [USER],
        userName: 'bad',
        phoneNumbers: [{ value: 'abc', type: 'mobile' }],
      }),
      400,
      'invalidValue',
    );
    const big = await scim('POST', '/Users', undefined, {
      raw: JSON.stringify({ schemas: [USER], userName: 'big', displayName: 'x'.repeat(1_100_000) }),
    });
    assert.equal(big.status, 413);
    assert.deepEqual(big.body.schemas, [ERROR]);
    assert.equal(await tdb.db('users').whereIn('login', ['pw', 'bad', 'big', 'noschema']).first(), undefined);
    assert.equal((await events(before)).length, 0, 'nothing written, nothing audited');
  });

  it('puts phoneNumbers and "other" emails on the account as pre-registered contact methods', async () => {
    const from = await maxId();
    const r = await scim('PATCH', `/Users/${bjensen.id}`, {
      schemas: [PATCH],
      Operations: [
        {
          op: 'add',
          value: {
            phoneNumbers: [
              { value: '+81 90-1234-5678', type: 'mobile' },
              { value: '+81 3-1234-5678', type: 'work' },
            ],
          },
        },
        { op: 'add', path: 'emails', value: [{ value: 'barbara@home.example', type: 'other' }] },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.phoneNumbers, [
      { value: '+819012345678', type: 'mobile' },
      { value: '+81312345678', type: 'work' },
    ]);
    assert.deepEqual(r.body.emails, [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'barbara@home.example', type: 'other' },
    ]);
    assert.notEqual(r.body.meta.version, bjensen.meta.version);
    const creds = await tdb.db('credentials').where({ user_id: bjensen.id }).orderBy('kind');
    assert.deepEqual(
      creds.map((c: any) => [c.kind, c.source, c.confirmed_at]),
      [
        ['email', 'organization', null],
        ['phone', 'organization', null],
        ['phone', 'organization', null],
      ],
    );
    const data = creds.map((c: any) => (typeof c.data === 'string' ? JSON.parse(c.data) : c.data));
    assert.deepEqual(
      data
        .filter((d: any) => d.e164)
        .map((d: any) => [d.e164, d.type])
        .sort(),
      [
        ['+81312345678', 'alternate'],
        ['+819012345678', 'mobile'],
      ],
    );
    const ev = await events(from);
    assert.deepEqual(
      ev.map((e: any) => [e.activity, e.actor_id]),
      [['admin.user.contact_methods', 'client:provisioner']],
    );
    // A list shows the same representation, version included.
    const listed = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "bjensen"')}`);
    assert.deepEqual(listed.body.Resources, [r.body]);
    bjensen = r.body;
  });

  it('§3.5.2: PATCH add, replace and remove, with and without a path', async () => {
    let r = await scim('PATCH', `/Users/${bjensen.id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'replace', path: 'displayName', value: 'Babs Jensen' },
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'babs@example.com' },
        { op: 'remove', path: 'phoneNumbers[type eq "work"]' },
        { op: 'replace', value: { externalId: 'E-1001', 'name.formatted': 'Babs Jensen' } },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.displayName, 'Babs Jensen');
    assert.equal(r.body.emails[0].value, 'babs@example.com');
    assert.deepEqual(r.body.phoneNumbers, [{ value: '+819012345678', type: 'mobile' }]);
    assert.equal(r.body.externalId, 'E-1001');
    const row = await tdb.db('users').where({ id: bjensen.id }).first();
    assert.equal(row.display_name, 'Babs Jensen');
    assert.equal(row.email, 'babs@example.com');
    // name.formatted alone changes the name too.
    r = await scim('PATCH', `/Users/${bjensen.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'name.formatted', value: 'Barbara Jensen' }],
    });
    assert.equal(r.body.displayName, 'Barbara Jensen');
    r = await scim('PATCH', `/Users/${bjensen.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'remove', path: 'emails[type eq "other"]' }],
    });
    assert.deepEqual(r.body.emails, [{ value: 'babs@example.com', type: 'work', primary: true }]);
    assert.equal(
      await tdb.db('credentials').where({ user_id: bjensen.id, kind: 'email' }).first(),
      undefined,
    );
    for (const bad of [
      { op: 'remove' },
      { op: 'replace', path: 'emails[type eq "home"].value', value: 'x@example.com' },
      { op: 'move', path: 'displayName', value: 'x' },
      { op: 'add', path: 'emails[type eq', value: 'x' },
    ]) {
      const e = await scim('PATCH', `/Users/${bjensen.id}`, { schemas: [PATCH], Operations: [bad] });
      assert.equal(e.status, 400, JSON.stringify(bad));
      assert.ok(['noTarget', 'invalidSyntax', 'invalidPath'].includes(e.body.scimType), e.body.scimType);
    }
    assertError(
      await scim('PATCH', `/Users/${bjensen.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'userName', value: 'someone-else' }],
      }),
      400,
      'mutability',
    );
    assertError(await scim('PATCH', `/Users/${bjensen.id}`, { Operations: [] }), 400, 'invalidSyntax');
    // Add through a filter naming an element not there yet (as Entra ID sends it) creates it.
    r = await scim('PATCH', `/Users/${bjensen.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+81 3-1234-5678' }],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.phoneNumbers, [
      { value: '+819012345678', type: 'mobile' },
      { value: '+81312345678', type: 'work' },
    ]);
    bjensen = (await scim('GET', `/Users/${bjensen.id}`)).body;
  });

  it('active false disables the account and ends its sessions, as disable does', async () => {
    const from = await maxId();
    const r = await scim('PATCH', `/Users/${bjensen.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: 'False' } }],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.active, false);
    assert.equal((await tdb.db('users').where({ id: bjensen.id }).first()).status, 'disabled');
    const ev = await events(from);
    assert.deepEqual(
      ev.map((e: any) => e.activity),
      ['admin.user.disable'],
    );
    const details = typeof ev[0].details === 'string' ? JSON.parse(ev[0].details) : ev[0].details;
    assert.equal(typeof details.revoked, 'number');
    const back = await scim('PATCH', `/Users/${bjensen.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
    assert.equal(back.body.active, true);
    bjensen = back.body;
  });

  it('§3.5.1 and §3.14: PUT replaces; a stale If-Match is refused with 412 and changes nothing', async () => {
    const stale = bjensen.meta.version;
    const put = await scim(
      'PUT',
      `/Users/${bjensen.id}`,
      {
        schemas: [USER],
        userName: 'bjensen',
        displayName: 'Barbara Jensen',
        emails: [{ value: 'babs@example.com', type: 'work', primary: true }],
        locale: 'en-US',
      },
      { headers: { 'if-match': stale } },
    );
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.locale, 'en');
    assert.equal(put.body.externalId, undefined, 'PUT replaces: externalId left out is cleared');
    assert.equal(put.body.phoneNumbers, undefined, 'and so is the organisation phone');
    assert.equal(await tdb.db('credentials').where({ user_id: bjensen.id }).first(), undefined);
    for (const [method, body] of [
      ['PUT', { schemas: [USER], userName: 'bjensen', displayName: 'Stale' }],
      ['PATCH', { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Stale' }] }],
      ['DELETE', undefined],
    ] as const) {
      assertError(await scim(method, `/Users/${bjensen.id}`, body, { headers: { 'if-match': stale } }), 412);
    }
    const now = await scim('GET', `/Users/${bjensen.id}`);
    assert.equal(now.body.displayName, 'Barbara Jensen');
    assert.equal(now.body.meta.version, put.body.meta.version);
    bjensen = now.body;
  });

  it('groups: create with members, add and remove members by PATCH, rename, filter', async () => {
    const jdoe = (await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "jdoe"')}`)).body
      .Resources[0];
    const jsmith = (await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "jsmith"')}`)).body
      .Resources[0];
    let r = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'Tour Guides',
      externalId: 'G-7',
      members: [{ value: bjensen.id }],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const g = r.body;
    assert.equal(g.displayName, 'Tour Guides');
    assert.equal(g.externalId, 'G-7');
    assert.deepEqual(
      g.members.map((m: any) => m.value),
      [bjensen.id],
    );
    assert.equal(r.headers.get('location'), `${srv.issuer}/scim/v2/Groups/${g.id}`);
    assertError(
      await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Tour Guides' }),
      409,
      'uniqueness',
    );
    assertError(
      await scim('POST', '/Groups', {
        schemas: [GROUP],
        displayName: 'Ghosts',
        members: [{ value: crypto.randomUUID() }],
      }),
      400,
      'invalidValue',
    );
    r = await scim('PATCH', `/Groups/${g.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'add', path: 'members', value: [{ value: jdoe.id }, { value: jsmith.id }] }],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.members.length, 3);
    const from = await maxId();
    r = await scim('PATCH', `/Groups/${g.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'remove', path: `members[value eq "${jdoe.id}"]` }],
    });
    assert.deepEqual(r.body.members.map((m: any) => m.value).sort(), [bjensen.id, jsmith.id].sort());
    assert.deepEqual(
      (await events(from)).map((e: any) => [e.activity, e.subject_id, e.actor_id]),
      [['admin.group.remove_member', jdoe.id, 'client:provisioner']],
    );
    r = await scim('PATCH', `/Groups/${g.id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'remove', path: 'members', value: [{ value: jsmith.id }] },
        { op: 'replace', value: { displayName: 'Guides' } },
      ],
    });
    assert.equal(r.body.displayName, 'Guides');
    assert.deepEqual(
      r.body.members.map((m: any) => m.value),
      [bjensen.id],
    );
    const user = await scim('GET', `/Users/${bjensen.id}`);
    assert.deepEqual(
      user.body.groups.map((x: any) => [x.value, x.display]),
      [[g.id, 'Guides']],
    );
    const list = await scim(
      'GET',
      `/Groups?filter=${encodeURIComponent('displayName eq "guides"')}&excludedAttributes=members`,
    );
    assert.equal(list.body.totalResults, 1);
    assert.equal(list.body.Resources[0].members, undefined);
    const byMember = await scim(
      'GET',
      `/Groups?filter=${encodeURIComponent(`members.value eq "${bjensen.id}"`)}`,
    );
    assert.deepEqual(
      byMember.body.Resources.map((x: any) => x.id),
      [g.id],
    );
    // PUT: the full member list.
    const current = await scim('GET', `/Groups/${g.id}`);
    r = await scim(
      'PUT',
      `/Groups/${g.id}`,
      { schemas: [GROUP], displayName: 'Guides', members: [{ value: jdoe.id }] },
      { headers: { 'if-match': current.body.meta.version } },
    );
    assert.deepEqual(
      r.body.members.map((m: any) => m.value),
      [jdoe.id],
    );
    assert.equal(r.body.externalId, undefined);
    assertError(
      await scim(
        'PATCH',
        `/Groups/${g.id}`,
        { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: jsmith.id }] }] },
        { headers: { 'if-match': current.body.meta.version } },
      ),
      412,
    );
    // A group the reset policy names keeps its name.
    await setPolicy(srv, 'resetScope', 'selected');
    await setPolicy(srv, 'resetGroups', ['Guides']);
    assertError(
      await scim('PATCH', `/Groups/${g.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'displayName', value: 'Other' }],
      }),
      400,
      'mutability',
    );
    assert.equal((await scim('DELETE', `/Groups/${g.id}`)).status, 409);
    await setPolicy(srv, 'resetScope', 'all');
    await setPolicy(srv, 'resetGroups', []);
    assert.equal((await scim('DELETE', `/Groups/${g.id}`)).status, 204);
    assertError(await scim('GET', `/Groups/${g.id}`), 404);
  });

  it('leaves phoneNumbers alone when the policy says so (scimContactMethods false)', async () => {
    await setPolicy(srv, 'scimContactMethods', false);
    try {
      const r = await scim('POST', '/Users', {
        schemas: [USER],
        userName: 'nophone',
        phoneNumbers: [{ value: '+81 90-2222-3333', type: 'mobile' }],
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.phoneNumbers, undefined);
      assert.equal(await tdb.db('credentials').where({ user_id: r.body.id }).first(), undefined);
    } finally {
      await setPolicy(srv, 'scimContactMethods', true);
    }
  });

  it('§3.6: deletes a user; the id is then 404 with a SCIM error body', async () => {
    const from = await maxId();
    const r = await scim('DELETE', `/Users/${bjensen.id}`, undefined, {
      headers: { 'if-match': bjensen.meta.version },
    });
    assert.equal(r.status, 204);
    assert.deepEqual(
      (await events(from)).map((e: any) => [e.activity, e.actor_id]),
      [['admin.user.delete', 'client:provisioner']],
    );
    assertError(await scim('GET', `/Users/${bjensen.id}`), 404);
    assertError(await scim('DELETE', `/Users/${bjensen.id}`), 404);
    assertError(
      await scim('PATCH', `/Users/${bjensen.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'remove', path: 'displayName' }],
      }),
      404,
    );
  });

  describe('attacks on the bearer token', () => {
    it('no token or a made-up one: 401 with WWW-Authenticate', async () => {
      for (const t of [null, 'made-up-token', 'x'.repeat(600)]) {
        const r = await scim('GET', '/Users', undefined, { token: t });
        assertError(r, 401);
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="tobira-scim"/);
      }
      const basic = await fetch(`${srv.url}/scim/v2/Users`, { headers: { authorization: 'Basic YTpi' } });
      assert.equal(basic.status, 401);
    });

    it('an admin-only token, a token of a client without scim, a user token: 403', async () => {
      const admin = await addClientViaCli(srv, [
        'automation',
        '--grant-type',
        'client_credentials',
        '--admin',
      ]);
      const adminToken = await ccToken(admin.clientId, admin.secret!, 'admin');
      let r = await scim('GET', '/Users', undefined, { token: adminToken });
      assertError(r, 403);
      assert.match(r.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="scim"/);
      // The scim scope cannot be asked for by a client that was not granted it.
      const plain = await addClientViaCli(srv, [
        'plain',
        '--grant-type',
        'client_credentials',
        '--first-party',
      ]);
      await assert.rejects(
        ccToken(plain.clientId, plain.secret!, 'scim'),
        (err: any) => err.cause?.error === 'invalid_scope',
      );
      const plainToken = await ccToken(plain.clientId, plain.secret!, 'openid');
      assertError(await scim('GET', '/Users', undefined, { token: plainToken }), 403);
      // A person's token is never a provisioning credential.
      const web = await addClientViaCli(srv, [
        'web',
        '--redirect-uri',
        REDIRECT_URI,
        '--first-party',
        '--scim',
      ]);
      await addUserViaCli(srv, 'ada', 'correct horse battery staple', ['--admin']);
      await setPolicy(srv, 'registrationRequired', false);
      await setPolicy(srv, 'mfa', 'off');
      const config = await discover(srv.issuer, web.clientId, web.secret);
      const { tokens } = await codeFlow(
        config,
        { username: 'ada', password: 'correct horse battery staple' },
        { scope: 'openid', browser: new Browser() },
      );
      r = await scim('GET', '/Users', undefined, { token: tokens.access_token });
      assertError(r, 403);
    });

    it('a third-party client is never granted scim, and loses it when made third-party', async () => {
      await assert.rejects(
        addClientViaCli(srv, ['outsider', '--grant-type', 'client_credentials', '--scim']),
        /first-party/,
      );
      const c = await addClientViaCli(srv, [
        'turncoat',
        '--grant-type',
        'client_credentials',
        '--first-party',
        '--scim',
      ]);
      const t = await ccToken(c.clientId, c.secret!, 'scim');
      assert.equal((await scim('GET', '/Users?count=1', undefined, { token: t })).status, 200);
      // The admin API and `client update` refuse it for a third-party client too.
      const grantor = await addClientViaCli(srv, [
        'grantor',
        '--grant-type',
        'client_credentials',
        '--admin',
      ]);
      const adminToken = await ccToken(grantor.clientId, grantor.secret!, 'admin');
      const post = (body: unknown) =>
        fetch(`${srv.url}/api/admin/v1/clients`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      let r = await post({ clientId: 'outsider2', grantTypes: ['client_credentials'], scim: true });
      assert.equal(r.status, 400);
      assert.ok((await r.json()).fields.scim);
      r = await post({
        clientId: 'insider',
        grantTypes: ['client_credentials'],
        firstParty: true,
        scim: true,
      });
      assert.equal(r.status, 201);
      assert.equal((await r.json()).client.scim, true);
      const cx = { db: srv.db, box: srv.box, clock: systemClock };
      const third = await runCommand(['client', 'update', 'insider', '--no-first-party'], undefined, cx);
      assert.notEqual(third.code, 0, 'a client granted scim cannot be made third-party');
      const revoke = await runCommand(['client', 'update', 'insider', '--no-scim', '--json'], undefined, cx);
      assert.equal(revoke.code, 0, revoke.stderr);
      assert.equal(JSON.parse(revoke.stdout).scim, false);

      // Made third-party behind the API's back (the API refuses to): the token stops working at once.
      await tdb.db('clients').where({ client_id: 'turncoat' }).update({ first_party: false });
      srv.app.deps.clients.invalidate();
      assertError(await scim('GET', '/Users?count=1', undefined, { token: t }), 403);
      // A revoked grant stops the tokens already issued.
      await tdb
        .db('clients')
        .where({ client_id: 'turncoat' })
        .update({ first_party: true, scim_granted: false });
      srv.app.deps.clients.invalidate();
      assertError(await scim('GET', '/Users?count=1', undefined, { token: t }), 403);
    });

    it('an account holding a role cannot be changed or deleted over SCIM', async () => {
      const ada = (await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "ada"')}`)).body
        .Resources[0];
      const before = await maxId();
      for (const [method, body] of [
        [
          'PATCH',
          {
            schemas: [PATCH],
            Operations: [
              { op: 'replace', path: 'emails', value: [{ value: 'evil@example.com', primary: true }] },
            ],
          },
        ],
        [
          'PATCH',
          {
            schemas: [PATCH],
            Operations: [
              { op: 'add', path: 'phoneNumbers', value: [{ value: '+81 90-9999-0000', type: 'mobile' }] },
            ],
          },
        ],
        ['PUT', { schemas: [USER], userName: 'ada', active: false }],
        ['DELETE', undefined],
      ] as const) {
        assertError(await scim(method, `/Users/${ada.id}`, body), 403);
      }
      assert.equal((await events(before)).length, 0);
      const row = await tdb.db('users').where({ id: ada.id }).first();
      assert.equal(row.status, 'active');
      assert.equal(await tdb.db('credentials').where({ user_id: ada.id }).first(), undefined);
    });
  });
});

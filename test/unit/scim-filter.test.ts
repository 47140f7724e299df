import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FilterSyntaxError, matchesElement, parseFilter } from '../../src/flows/admin/scim/filter.ts';
import { applyPatch, PatchError, readPatchBody } from '../../src/flows/admin/scim/patch.ts';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('SCIM filter parser (RFC 7644 §3.4.2.2)', () => {
  it('reads the RFC examples with precedence not > and > or', () => {
    assert.deepEqual(parseFilter('userName Eq "john"'), { op: 'eq', attr: 'username', value: 'john' });
    assert.deepEqual(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"'), {
      op: 'sw',
      attr: 'username',
      value: 'J',
    });
    assert.deepEqual(parseFilter('title pr'), { op: 'pr', attr: 'title' });
    assert.deepEqual(parseFilter('meta.lastModified gt "2011-05-13T04:42:34Z"'), {
      op: 'gt',
      attr: 'meta.lastmodified',
      value: '2011-05-13T04:42:34Z',
    });
    const f = parseFilter('a eq 1 or b eq true and not (c eq null)');
    assert.deepEqual(f, {
      op: 'or',
      left: { op: 'eq', attr: 'a', value: 1 },
      right: {
        op: 'and',
        left: { op: 'eq', attr: 'b', value: true },
        right: { op: 'not', expr: { op: 'eq', attr: 'c', value: null } },
      },
    });
    assert.deepEqual(parseFilter('emails[type eq "work" and value co "@example.com"]'), {
      op: 'and',
      left: { op: 'eq', attr: 'emails.type', value: 'work' },
      right: { op: 'co', attr: 'emails.value', value: '@example.com' },
    });
    assert.deepEqual(parseFilter('displayName eq "say \\"hi\\" \\u00e9"'), {
      op: 'eq',
      attr: 'displayname',
      value: 'say "hi" é',
    });
  });

  it('refuses what is not a filter', () => {
    for (const bad of [
      '',
      'userName',
      'userName eq',
      'userName eq john',
      'userName like "x"',
      '(a eq "x"',
      'a eq "x")',
      'a eq "x" and',
      'a.b.c eq "x"',
      'emails[value eq "x"[type eq "y"]]',
      'a eq "unterminated',
      'a eq "\\q"',
      'a eq "x" ; drop table users',
      `${'('.repeat(30)}a eq "x"${')'.repeat(30)}`,
      `a eq "${'x'.repeat(1000)}"`,
    ]) {
      assert.throws(() => parseFilter(bad), FilterSyntaxError, bad);
    }
  });

  it('matches elements of a multi-valued attribute, strings case-insensitively', () => {
    const f = parseFilter('members[value eq "ABC"]');
    assert.equal(matchesElement({ value: 'abc' }, f, 'members.'), true);
    assert.equal(matchesElement({ value: 'abd' }, f, 'members.'), false);
    const g = parseFilter('emails[type eq "work" or primary eq true]');
    assert.equal(matchesElement({ type: 'other', primary: true }, g, 'emails.'), true);
    assert.equal(matchesElement({ type: 'other' }, g, 'emails.'), false);
  });
});

describe('SCIM PATCH (RFC 7644 §3.5.2)', () => {
  const user = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'bjensen',
    displayName: 'Babs',
    emails: [
      { value: 'b@example.com', type: 'work', primary: true },
      { value: 'b@home.example', type: 'other' },
    ],
  };
  const canonical = { phonenumbers: 'phoneNumbers', displayname: 'displayName' };
  const run = (ops: unknown[]) =>
    applyPatch(user, readPatchBody({ schemas: [PATCH], Operations: ops }), canonical);

  it('adds, replaces and removes with and without paths, leaving the input alone', () => {
    let r = run([{ op: 'add', path: 'phoneNumbers', value: [{ value: '+1', type: 'mobile' }] }]);
    assert.deepEqual(r.phoneNumbers, [{ value: '+1', type: 'mobile' }]);
    r = run([{ op: 'Replace', value: { displayName: 'Barbara', 'name.formatted': 'Barbara J' } }]);
    assert.equal(r.displayName, 'Barbara');
    assert.deepEqual(r.name, { formatted: 'Barbara J' });
    r = run([{ op: 'remove', path: 'emails[type eq "other"]' }]);
    assert.deepEqual(r.emails, [user.emails[0]]);
    r = run([{ op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.com' }]);
    assert.equal((r.emails as any[])[0].value, 'new@example.com');
    r = run([{ op: 'add', path: 'emails', value: { value: 'b@home.example', type: 'other' } }]);
    assert.equal((r.emails as any[]).length, 2, 'an element with the same value is replaced, not doubled');
    r = run([{ op: 'add', path: 'phoneNumbers[type eq "mobile"].value', value: '+2' }]);
    assert.deepEqual(r.phoneNumbers, [{ type: 'mobile', value: '+2' }]);
    r = run([{ op: 'remove', path: 'displayName' }]);
    assert.equal(r.displayName, undefined);
    assert.equal(user.displayName, 'Babs');
    assert.equal(user.emails.length, 2);
  });

  it('reports bad requests with their scimType', () => {
    const type = (body: unknown, ops?: unknown[]) => {
      try {
        if (ops) run(ops);
        else readPatchBody(body);
      } catch (err) {
        assert.ok(err instanceof PatchError);
        return err.scimType;
      }
      return 'accepted';
    };
    assert.equal(type({ Operations: [] }), 'invalidSyntax');
    assert.equal(type({ schemas: [PATCH], Operations: [] }), 'invalidSyntax');
    assert.equal(type({ schemas: [PATCH], Operations: [{ op: 'copy', path: 'x' }] }), 'invalidSyntax');
    assert.equal(type({ schemas: [PATCH], Operations: [{ op: 'remove' }] }), 'noTarget');
    assert.equal(type({ schemas: [PATCH], Operations: [{ op: 'add', path: 'a[b eq' }] }), 'invalidPath');
    assert.equal(
      type(null, [{ op: 'replace', path: 'emails[type eq "home"].value', value: 'x' }]),
      'noTarget',
    );
    assert.equal(
      type(null, [{ op: 'replace', path: 'displayName[value eq "x"]', value: 'x' }]),
      'invalidPath',
    );
    const many = Array.from({ length: 101 }, () => ({ op: 'remove', path: 'displayName' }));
    assert.equal(type({ schemas: [PATCH], Operations: many }), 'invalidSyntax');
  });
});

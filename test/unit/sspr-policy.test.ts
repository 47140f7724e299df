import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lockDuration, SIGN_IN_RULE } from '../../src/policy/counters.ts';
import { defaultPolicy } from '../../src/policy/settings.ts';
import {
  gatesRequired,
  inResetScope,
  needsReconfirm,
  needsRegistration,
  resetGatesAvailable,
  secondStep,
} from '../../src/policy/sspr.ts';

const user = { roles: [], groups: ['staff'] };
const admin = { roles: ['admin'], groups: [] };

describe('SSPR policy rules', () => {
  it('administrators always need two gates and never count questions', () => {
    const p = { ...defaultPolicy(), resetMethods: ['app', 'questions', 'email'] as any };
    assert.equal(gatesRequired(p, user), 1);
    assert.equal(gatesRequired(p, admin), 2);
    assert.deepEqual(resetGatesAvailable(p, admin, ['app', 'questions']), ['app']);
    assert.deepEqual(resetGatesAvailable(p, user, ['app', 'questions']).sort(), ['app', 'questions']);
  });

  it('a text and a call to the phones count as one gate; methods outside the policy do not count', () => {
    const p = defaultPolicy();
    assert.deepEqual(resetGatesAvailable(p, user, ['sms', 'voice']), ['phone']);
    assert.deepEqual(resetGatesAvailable(p, user, ['questions']), [], 'questions are off by default');
  });

  it('scope: none, selected groups, all', () => {
    const p = defaultPolicy();
    assert.equal(inResetScope(p, user), true);
    assert.equal(inResetScope({ ...p, resetScope: 'none' }, user), false);
    assert.equal(inResetScope({ ...p, resetScope: 'selected', resetGroups: ['staff'] }, user), true);
    assert.equal(inResetScope({ ...p, resetScope: 'selected', resetGroups: ['others'] }, user), false);
  });

  it('registration is needed only when on, in scope, and short of gates', () => {
    const p = defaultPolicy();
    assert.equal(needsRegistration(p, user, []), true);
    assert.equal(needsRegistration(p, user, ['app']), false);
    assert.equal(needsRegistration(p, admin, ['app']), true, 'admins need two');
    assert.equal(needsRegistration(p, admin, ['app', 'sms', 'voice']), false);
    assert.equal(needsRegistration({ ...p, registrationRequired: false }, user, []), false);
    assert.equal(needsRegistration({ ...p, resetScope: 'none' }, user, []), false);
  });

  it('reconfirmation after the period; 0 never asks', () => {
    const p = defaultPolicy();
    const now = new Date('2026-07-01T00:00:00Z');
    assert.equal(needsReconfirm(p, new Date('2026-01-01T00:00:00Z'), now), true);
    assert.equal(needsReconfirm(p, new Date('2026-06-01T00:00:00Z'), now), false);
    assert.equal(needsReconfirm({ ...p, reconfirmDays: 0 }, new Date('2020-01-01T00:00:00Z'), now), false);
  });

  it('second step by MFA policy and acr_values', () => {
    const p = defaultPolicy();
    assert.equal(secondStep(p, [], false), 'none');
    assert.equal(secondStep(p, ['app'], false), 'challenge');
    assert.equal(secondStep({ ...p, mfa: 'off' }, ['app'], false), 'none');
    assert.equal(secondStep({ ...p, mfa: 'off' }, ['app'], true), 'challenge', 'acr_values wins');
    assert.equal(secondStep({ ...p, mfa: 'required' }, [], false), 'register');
    assert.equal(secondStep(p, [], true), 'register');
  });

  it('a user whose only second factors are switched off is refused, never downgraded', () => {
    const p = defaultPolicy();
    assert.equal(secondStep(p, [], false, ['sms']), 'unavailable', 'not the password alone');
    assert.equal(secondStep({ ...p, mfa: 'required' }, [], false, ['sms']), 'unavailable', 'no enrolment');
    assert.equal(secondStep({ ...p, mfa: 'off' }, [], true, ['sms']), 'unavailable', 'the app asked for mfa');
    assert.equal(secondStep({ ...p, mfa: 'off' }, [], false, ['sms']), 'none', 'no second factor by policy');
    assert.equal(secondStep(p, ['app'], false, ['sms']), 'challenge', 'another factor still works');
  });

  it('lockout: the tenth failure locks for a minute, doubling up to an hour', () => {
    // The counting itself is atomic SQL (test/unit/counter-rules.test.ts, test/security/).
    assert.equal(SIGN_IN_RULE.limit, 10);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => lockDuration(SIGN_IN_RULE, n)),
      [60, 120, 240, 480, 960, 1920, 3600, 3600].map((x) => x * 1000),
    );
  });
});

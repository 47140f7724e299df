import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  accepts,
  apply,
  decide,
  type SignInEvent,
  type SignInFacts,
  type SignInStage,
  type SignInState,
} from '../../src/flows/signin/machine.ts';

/*
 * The sign-in's state machine, exhaustively: which stage takes which event (every other pairing is
 * refused), what each event does to the state, and where `decide` sends the sign-in for every
 * combination of facts.
 */

const STAGES: SignInStage[] = ['mfa', 'change-password', 'register', 'reconfirm'];
const EVENTS: SignInEvent[] = [
  { type: 'password', userId: 'u1' },
  { type: 'passkey', userId: 'u1', amr: ['hwk'] },
  { type: 'secondFactor', amr: ['otp'] },
  { type: 'noSecondFactor' },
  { type: 'registered' },
  { type: 'registrationSkipped' },
  { type: 'passwordChanged' },
  { type: 'reconfirmed' },
];
/** The stage each event is taken at; undefined: it starts a sign-in, at any point. */
const TAKEN_AT: Record<SignInEvent['type'], SignInStage | undefined> = {
  password: undefined,
  passkey: undefined,
  secondFactor: 'mfa',
  noSecondFactor: 'mfa',
  registered: 'register',
  registrationSkipped: 'register',
  passwordChanged: 'change-password',
  reconfirmed: 'reconfirm',
};

const at = (stage: SignInStage, over: Partial<SignInState> = {}): SignInState => ({
  userId: 'u1',
  amr: ['pwd'],
  stage,
  ...over,
});
const none: SignInFacts = {
  secondStep: 'none',
  mustChangePassword: false,
  needsRegistration: false,
  needsReconfirm: false,
};

describe('sign-in state machine: events', () => {
  for (const stage of [undefined, ...STAGES]) {
    for (const event of EVENTS) {
      const taken = TAKEN_AT[event.type] === undefined || TAKEN_AT[event.type] === stage;
      it(`${stage ?? 'no sign-in'} ${taken ? 'takes' : 'refuses'} ${event.type}`, () => {
        const state = stage ? at(stage) : undefined;
        assert.equal(accepts(state, event.type), taken);
        const next = apply(state, event);
        if (!taken) assert.equal(next, undefined);
        else assert.ok(next);
      });
    }
  }

  it('what each event does to the state', () => {
    assert.deepEqual(apply(at('reconfirm'), { type: 'password', userId: 'u2' }), {
      userId: 'u2',
      amr: ['pwd'],
      stage: 'mfa',
    });
    assert.deepEqual(apply(undefined, { type: 'passkey', userId: 'u2', amr: ['hwk', 'user'] }), {
      userId: 'u2',
      amr: ['hwk', 'user', 'mfa'],
      stage: 'mfa',
    });
    assert.deepEqual(
      apply(at('mfa'), { type: 'secondFactor', amr: ['otp'] }),
      at('mfa', { amr: ['pwd', 'otp', 'mfa'] }),
    );
    assert.deepEqual(apply(at('mfa'), { type: 'noSecondFactor' }), at('register'));
    assert.deepEqual(
      apply(at('register'), { type: 'registered' }),
      at('register', { registrationOffered: true }),
    );
    assert.deepEqual(
      apply(at('register'), { type: 'registrationSkipped' }),
      at('register', { registrationOffered: true }),
    );
    assert.deepEqual(apply(at('change-password'), { type: 'passwordChanged' }), at('change-password'));
    assert.deepEqual(apply(at('reconfirm'), { type: 'reconfirmed' }), at('reconfirm'));
    const s = at('mfa');
    apply(s, { type: 'secondFactor', amr: ['otp'] });
    assert.deepEqual(s, at('mfa'), 'the state given is never changed');
  });
});

describe('sign-in state machine: decide', () => {
  it('refuses when the second factor exists but cannot be used now', () => {
    assert.deepEqual(decide(at('mfa'), { ...none, secondStep: 'unavailable' }), {
      type: 'refused',
      reason: 'second_factor_unavailable',
    });
  });

  it('asks for the second factor, or registration, before anything else', () => {
    const all = {
      secondStep: 'challenge',
      mustChangePassword: true,
      needsRegistration: true,
      needsReconfirm: true,
    } as const;
    assert.deepEqual(decide(at('mfa'), all), { type: 'stage', state: at('mfa') });
    assert.deepEqual(decide(at('mfa'), { ...all, secondStep: 'register' }), {
      type: 'stage',
      state: at('register'),
    });
  });

  it('after the second factor (or the wizard) no second factor is asked again', () => {
    for (const secondStep of ['challenge', 'register', 'unavailable'] as const) {
      assert.deepEqual(decide(at('mfa', { amr: ['pwd', 'otp', 'mfa'] }), { ...none, secondStep }), {
        type: 'done',
        amr: ['pwd', 'otp', 'mfa'],
      });
      assert.deepEqual(decide(at('register', { registrationOffered: true }), { ...none, secondStep }), {
        type: 'done',
        amr: ['pwd'],
      });
    }
  });

  it('then a new password, then registration, then reconfirmation, then done', () => {
    const s = at('mfa', { amr: ['pwd', 'mfa'] });
    const f = { ...none, mustChangePassword: true, needsRegistration: true, needsReconfirm: true };
    assert.deepEqual(decide(s, f), { type: 'stage', state: { ...s, stage: 'change-password' } });
    assert.deepEqual(decide(s, { ...f, mustChangePassword: false }), {
      type: 'stage',
      state: { ...s, stage: 'register' },
    });
    assert.deepEqual(decide(s, { ...f, mustChangePassword: false, needsRegistration: false }), {
      type: 'stage',
      state: { ...s, stage: 'reconfirm' },
    });
    assert.deepEqual(decide(s, none), { type: 'done', amr: ['pwd', 'mfa'] });
  });

  it('the wizard is offered once, and reconfirmation once', () => {
    const offered = at('register', { registrationOffered: true });
    assert.deepEqual(decide(offered, { ...none, needsRegistration: true }), { type: 'done', amr: ['pwd'] });
    assert.deepEqual(decide(at('reconfirm'), { ...none, needsReconfirm: true }), {
      type: 'done',
      amr: ['pwd'],
    });
  });

  it('every combination of facts from every stage ends in exactly one decision, and amr has no repeats', () => {
    let n = 0;
    for (const stage of STAGES)
      for (const mfa of [false, true])
        for (const registrationOffered of [false, true])
          for (const secondStep of ['none', 'challenge', 'register', 'unavailable'] as const)
            for (const mustChangePassword of [false, true])
              for (const needsRegistration of [false, true])
                for (const needsReconfirm of [false, true]) {
                  const s = at(stage, { amr: mfa ? ['pwd', 'pwd', 'mfa'] : ['pwd'], registrationOffered });
                  const d = decide(s, { secondStep, mustChangePassword, needsRegistration, needsReconfirm });
                  n++;
                  if (d.type === 'done') {
                    assert.equal(new Set(d.amr).size, d.amr.length);
                    assert.ok(!mustChangePassword, 'a temporary password is always replaced first');
                  }
                  if (d.type === 'stage')
                    assert.deepEqual({ ...d.state, stage: s.stage }, s, 'only the stage changes');
                  if (d.type === 'refused')
                    assert.ok(!mfa && !registrationOffered && secondStep === 'unavailable');
                }
    assert.equal(n, 4 * 2 * 2 * 4 * 2 * 2 * 2);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  methodStep,
  RESET_SESSION_MS,
  type ResetEvent,
  type ResetFacts,
  type ResetStage,
  type ResetState,
  stageOf,
  step,
} from '../../src/flows/reset/machine.ts';

/*
 * The reset flow's state machine, exhaustively: every stage against every event, the transitions it
 * takes and the ones it refuses (with the refusal the routes turn into a page or status).
 */

const T0 = Date.parse('2026-12-01T06:00:00Z');

function state(over: Partial<ResetState> = {}): ResetState {
  return { bind: 'b', login: 'alice', userId: 'u1', gates: [], methods: [], startedAt: T0, ...over };
}
const facts = (over: Partial<ResetFacts> = {}): ResetFacts => ({ now: T0 + 60_000, required: 2, ...over });

/** One state of each stage, with the facts that put it there. */
const STAGES: Record<ResetStage, { s: ResetState; f: ResetFacts }> = {
  verifying: { s: state({ gates: ['app'], methods: ['app'] }), f: facts() },
  passed: { s: state({ gates: ['app', 'phone'], methods: ['app', 'sms'] }), f: facts() },
  finished: { s: state({ gates: ['app'], methods: ['app'], finished: true }), f: facts() },
  expired: { s: state({ gates: ['app'], methods: ['app'] }), f: facts({ now: T0 + RESET_SESSION_MS }) },
};

const EVENTS: Record<string, ResetEvent> = {
  prechecked: { type: 'prechecked', kind: 'sms' },
  verifiedNewGate: { type: 'verified', kind: 'email', gate: 'email', needsPrecheck: false },
  verifiedSameGate: { type: 'verified', kind: 'voice', gate: 'app', needsPrecheck: false },
  verifiedWithoutPrecheck: { type: 'verified', kind: 'sms', gate: 'phone', needsPrecheck: true },
  finish: { type: 'finish' },
  cancel: { type: 'cancel' },
};

/** Expected outcome per stage and event: the stage reached, or the refusal. */
const TABLE: Record<ResetStage, Record<keyof typeof EVENTS, ResetStage | `refused:${string}`>> = {
  verifying: {
    prechecked: 'verifying',
    verifiedNewGate: 'passed',
    verifiedSameGate: 'refused:gate_passed',
    verifiedWithoutPrecheck: 'refused:precheck_missing',
    finish: 'refused:gates_missing',
    cancel: 'finished',
  },
  passed: {
    prechecked: 'refused:gates_passed',
    verifiedNewGate: 'refused:gates_passed',
    verifiedSameGate: 'refused:gates_passed',
    verifiedWithoutPrecheck: 'refused:gates_passed',
    finish: 'finished',
    cancel: 'finished',
  },
  finished: {
    prechecked: 'refused:finished',
    verifiedNewGate: 'refused:finished',
    verifiedSameGate: 'refused:finished',
    verifiedWithoutPrecheck: 'refused:finished',
    finish: 'refused:finished',
    cancel: 'refused:finished',
  },
  expired: {
    prechecked: 'refused:expired',
    verifiedNewGate: 'refused:expired',
    verifiedSameGate: 'refused:expired',
    verifiedWithoutPrecheck: 'refused:expired',
    finish: 'refused:expired',
    cancel: 'refused:expired',
  },
};

describe('reset state machine', () => {
  it('names the stage from the gates passed, the gates required, the end and the clock', () => {
    assert.equal(stageOf(state(), facts()), 'verifying');
    assert.equal(stageOf(state({ gates: ['app'] }), facts({ required: 1 })), 'passed');
    assert.equal(stageOf(state({ gates: ['app'] }), facts({ required: 2 })), 'verifying');
    assert.equal(stageOf(state({ finished: true }), facts()), 'finished');
    assert.equal(stageOf(state(), facts({ now: T0 + RESET_SESSION_MS - 1 })), 'verifying');
    assert.equal(stageOf(state(), facts({ now: T0 + RESET_SESSION_MS })), 'expired');
    assert.equal(stageOf(state({ finished: true }), facts({ now: T0 + RESET_SESSION_MS })), 'finished');
    for (const [stage, { s, f }] of Object.entries(STAGES)) assert.equal(stageOf(s, f), stage);
  });

  for (const [stage, row] of Object.entries(TABLE) as Array<[ResetStage, (typeof TABLE)[ResetStage]]>) {
    for (const [name, expected] of Object.entries(row)) {
      it(`${stage} + ${name} -> ${expected}`, () => {
        const { s, f } = STAGES[stage];
        const before = structuredClone(s);
        const t = step(s, f, EVENTS[name]);
        assert.deepEqual(s, before, 'the state given is never changed');
        if (expected.startsWith('refused:')) {
          assert.deepEqual(t, { ok: false, refusal: expected.slice('refused:'.length) });
        } else {
          assert.ok(t.ok);
          assert.equal(t.stage, expected);
          assert.equal(stageOf(t.state, f), expected);
        }
      });
    }
  }

  it('a verification adds its gate and its method; a second method of the same gate is refused', () => {
    const f = facts({ required: 2 });
    const t = step(state(), f, { type: 'verified', kind: 'sms', gate: 'phone', needsPrecheck: false });
    assert.ok(t.ok);
    assert.deepEqual([t.state.gates, t.state.methods, t.stage], [['phone'], ['sms'], 'verifying']);
    const again = step(t.state, f, { type: 'verified', kind: 'voice', gate: 'phone', needsPrecheck: false });
    assert.deepEqual(again, { ok: false, refusal: 'gate_passed' });
    const other = step(t.state, f, { type: 'verified', kind: 'app', gate: 'app', needsPrecheck: false });
    assert.ok(other.ok);
    assert.deepEqual(
      [other.state.gates, other.state.methods, other.stage],
      [['phone', 'app'], ['sms', 'app'], 'passed'],
    );
  });

  it('a method with a pre-step verifies only after it, and the pre-step is remembered once', () => {
    const f = facts({ required: 1 });
    assert.equal(methodStep(state(), 'sms', true), 'precheck');
    assert.equal(methodStep(state(), 'app', false), 'challenge');
    const p = step(state(), f, { type: 'prechecked', kind: 'sms' });
    assert.ok(p.ok);
    assert.deepEqual(p.state.prechecked, ['sms']);
    assert.equal(p.state.activeMethod, 'sms', 'the method in progress');
    assert.equal(methodStep(p.state, 'sms', true), 'challenge');
    assert.equal(methodStep(p.state, 'voice', true), 'precheck', "one method's pre-step is not another's");
    const twice = step(p.state, f, { type: 'prechecked', kind: 'sms' });
    assert.ok(twice.ok);
    assert.deepEqual(twice.state.prechecked, ['sms']);
    const v = step(p.state, f, { type: 'verified', kind: 'sms', gate: 'phone', needsPrecheck: true });
    assert.ok(v.ok);
    assert.equal(v.stage, 'passed');
    assert.equal(v.state.activeMethod, undefined, 'no method in progress once its gate passed');
  });

  it('a one-gate user passes with one verification and then finishes once', () => {
    const f = facts({ required: 1 });
    const v = step(state(), f, { type: 'verified', kind: 'email', gate: 'email', needsPrecheck: false });
    assert.ok(v.ok);
    const done = step(v.state, f, { type: 'finish' });
    assert.ok(done.ok);
    assert.equal(done.state.finished, true);
    assert.deepEqual(step(done.state, f, { type: 'finish' }), { ok: false, refusal: 'finished' });
  });
});

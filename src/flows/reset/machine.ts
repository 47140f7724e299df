/**
 * The reset flow's states (SSPR.md §3), pure: no I/O, no clock of its own, no Koa. The routes load
 * the state, gather the facts, translate the request into an event and store what `step` returns;
 * a refusal becomes the page or status the route maps it to.
 *
 *   verifying ──verified (last gate)──▶ passed ──finish──▶ finished
 *      │  ▲ prechecked / verified (a gate short)   │
 *      └──┴──────────────cancel─────────────────────┴──▶ finished
 *   any stage, once the session is 15 minutes old: expired
 *
 * A gate is a method's credential kind (MethodRegistry.gateOf): a text and a call to the same phones
 * are one gate, so the machine never names a method.
 */

/** A reset session lasts 15 minutes from its start (SSPR.md §3). */
export const RESET_SESSION_MS = 15 * 60_000;

export interface ResetState {
  /** HMAC of the browser's secret: the session belongs to the browser that started it. */
  bind: string;
  login: string;
  userId: string | null;
  /** Gates passed so far (a text and a call to the phones are one gate: 'phone'). */
  gates: string[];
  methods: string[];
  interaction?: string;
  startedAt: number;
  finished?: boolean;
  /** Methods whose reset pre-step passed (the typed phone number matched). */
  prechecked?: string[];
  /** The method in progress: its pre-step passed and no gate has passed since. */
  activeMethod?: string;
}

export type ResetStage = 'verifying' | 'passed' | 'finished' | 'expired';

export interface ResetFacts {
  /** The time now, in milliseconds. */
  now: number;
  /** Gates the policy requires of this user (1 or 2). */
  required: number;
}

export type ResetEvent =
  /** The pre-step of a method (a typed phone number) passed. */
  | { type: 'prechecked'; kind: string }
  /** A method verified; `gate` is its credential kind, `needsPrecheck` whether it has a pre-step. */
  | { type: 'verified'; kind: string; gate: string; needsPrecheck: boolean }
  /** A new password was set, or the account unlocked. */
  | { type: 'finish' }
  /** The user gave up. */
  | { type: 'cancel' };

export type ResetRefusal =
  /** The session already ended or timed out. */
  | 'finished'
  | 'expired'
  /** Every required gate is passed: the next step is the new password. */
  | 'gates_passed'
  /** This gate was passed already (another method of it cannot count twice). */
  | 'gate_passed'
  /** The method's pre-step was skipped. */
  | 'precheck_missing'
  /** A gate is still missing: no new password yet. */
  | 'gates_missing';

export type ResetTransition =
  | { ok: true; state: ResetState; stage: ResetStage }
  | { ok: false; refusal: ResetRefusal };

export function stageOf(state: ResetState, facts: ResetFacts): ResetStage {
  if (state.finished) return 'finished';
  if (facts.now >= state.startedAt + RESET_SESSION_MS) return 'expired';
  return state.gates.length >= facts.required ? 'passed' : 'verifying';
}

/** What a method's page shows first: its pre-step until that passed, then its challenge. */
export function methodStep(
  state: ResetState,
  kind: string,
  needsPrecheck: boolean,
): 'precheck' | 'challenge' {
  return needsPrecheck && !state.prechecked?.includes(kind) ? 'precheck' : 'challenge';
}

/** The state after `event`, or why the event is refused in this state. Never changes `state`. */
export function step(state: ResetState, facts: ResetFacts, event: ResetEvent): ResetTransition {
  const stage = stageOf(state, facts);
  if (stage === 'finished' || stage === 'expired') return { ok: false, refusal: stage };
  const to = (next: ResetState): ResetTransition => ({ ok: true, state: next, stage: stageOf(next, facts) });
  switch (event.type) {
    case 'cancel':
      return to({ ...state, finished: true });
    case 'finish':
      return stage === 'passed' ? to({ ...state, finished: true }) : { ok: false, refusal: 'gates_missing' };
    case 'prechecked': {
      if (stage === 'passed') return { ok: false, refusal: 'gates_passed' };
      const prechecked = state.prechecked ?? [];
      return to({
        ...state,
        prechecked: prechecked.includes(event.kind) ? prechecked : [...prechecked, event.kind],
        activeMethod: event.kind,
      });
    }
    case 'verified': {
      if (stage === 'passed') return { ok: false, refusal: 'gates_passed' };
      if (state.gates.includes(event.gate)) return { ok: false, refusal: 'gate_passed' };
      if (methodStep(state, event.kind, event.needsPrecheck) === 'precheck')
        return { ok: false, refusal: 'precheck_missing' };
      const { activeMethod: _done, ...rest } = state;
      return to({ ...rest, gates: [...state.gates, event.gate], methods: [...state.methods, event.kind] });
    }
  }
}

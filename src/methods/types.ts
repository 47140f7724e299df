import type { Clock } from '../clock.ts';
import type { Config, Locale } from '../config.ts';
import type { Db } from '../db/knex.ts';
import type { EmailViews } from '../delivery/templates.ts';
import type { Channel, Delivery } from '../delivery/types.ts';
import type { ExtraMessages, MessageKey, Translate } from '../i18n/index.ts';
import type { MethodKind, Policy } from '../policy/settings.ts';
import type { LimitAlerts } from '../security/rate-limits.ts';
import type { SecretBox } from '../security/secrets.ts';
import type { Activity } from '../store/audit.ts';
import type { Credential, NewCredential } from '../store/credentials.ts';
import type { User } from '../store/users.ts';

export type { MethodKind };

/** What every method may use. Methods reach the database only through `store/`. */
export interface MethodContext {
  db: Db;
  box: SecretBox;
  clock: Clock;
  config: Config;
  /** WebAuthn relying party, derived from ISSUER. */
  rp: { id: string; origin: string; name: string };
  organizationName: string;
  /** The administrator policy in force for this request. */
  policy: Policy;
  /** Message delivery (email, text, call); unconfigured channels go to the development outbox. */
  delivery: Delivery;
  /** Delivery's email templates, for methods that mail a code. */
  emails: EmailViews;
  /** Who hears when a sending limit pauses a channel (the administrators). */
  alerts: LimitAlerts;
  /** The request being served: for per-IP limits and the language of messages. */
  request: { ip: string; locale: Locale };
}

/**
 * Where a challenge lives: sign-in (`signin:<interaction uid>`), portal enrolment
 * (`enroll:<user id>`), reset (`reset:<reset session id>`). State saved under one flow is never
 * accepted in another.
 */
export type FlowId = string;

/** What a page needs to show one step of a method: a partial under views/methods/ and its data. */
export interface MethodView {
  partial: string;
  data: Record<string, unknown>;
}

/** User input to a method: form fields, or the JSON a browser API produced (WebAuthn). */
export type MethodInput = Record<string, unknown>;

export type EnrollFinish =
  | { ok: true; credential: NewCredential }
  | {
      ok: false;
      error: MessageKey;
      params?: Record<string, string | number>;
      /**
       * Not a failure: the enrolment moved on to its next step (a code was sent) and `error` is the
       * message that says so. Flows show it as a notice with status 200 and audit no failure.
       */
      step?: true;
    };

export type VerifyResult =
  | { ok: true; credentialId: string; amr: string[] }
  | {
      ok: false;
      error: MessageKey;
      params?: Record<string, string | number>;
      /** The method is now blocked for this flow (too many wrong entries). */
      exhausted?: boolean;
      /**
       * false when the input was not an attempt at all (a blank field, a stale form): flows do not
       * count it toward their locks. Default: it counts.
       */
      counted?: boolean;
      /** Not a failure: a new code was sent on request; `error` is the message that says so. */
      step?: true;
    };

/**
 * A method's own messages, when they are not in the shared catalogue (src/i18n/): English is
 * required, Japanese falls back to English key by key. Keys are used like catalogue keys (`fail`,
 * `t` in its partials); `ownMessages` (results.ts) types them.
 */
export type MethodMessages = ExtraMessages;

export interface VerificationMethod {
  /** Its name in addresses, policy and the audit log (letters only, 2 to 20). */
  kind: string;
  usableFor: { signIn: boolean; reset: boolean };
  /** Most credentials of this kind one user may register (SSPR.md §1). */
  maxPerUser: number;
  /** The user names each credential (an app, a key) and may rename it in the portal. */
  renamable?: boolean;
  /** The delivery channel its codes go over, if any: without a sender for it, production does not offer the method. */
  channel?: Channel;
  /** Discoverable credentials (passkeys) can start a sign-in without a password. */
  passwordless?: boolean;
  /**
   * The kind of the stored credentials this method uses, when it differs from `kind`: a text message
   * and a phone call both use the user's registered phones ('phone').
   */
  credentialKind?: string;
  /** Whether this method can use one of its credentials (a text needs a mobile phone). Default: yes. */
  accepts?(credential: Credential): boolean;
  /** Administrators may not use it (security questions, SSPR.md §1): never offered to them, in the portal or at reset. */
  notForAdmins?: boolean;

  /**
   * What a completed reset that this method helped pass changes besides the password (the email
   * method marks a proven profile address verified). Returns the audit activity of that change, which
   * the reset flow records with the reason `reset`; undefined when nothing changed.
   */
  afterReset?(db: Db, user: User, credentials: Credential[], now: Date): Promise<Activity | undefined>;

  enroll: {
    /** Starts a registration: returns what to show, state is kept in `challenges` under `flow`. */
    begin(cx: MethodContext, user: User, flow: FlowId, input: MethodInput): Promise<MethodView>;
    /** Completes it; the caller stores the returned credential. */
    finish(cx: MethodContext, user: User, flow: FlowId, input: MethodInput): Promise<EnrollFinish>;
  };

  /** Prepares a verification (sends a code, makes WebAuthn options, draws questions). */
  challenge(cx: MethodContext, user: User, credentials: Credential[], flow: FlowId): Promise<MethodView>;

  /** Checks the answer: counts attempts, single use, constant time. */
  verify(
    cx: MethodContext,
    user: User,
    credentials: Credential[],
    flow: FlowId,
    input: MethodInput,
  ): Promise<VerifyResult>;

  /** A masked label for lists: "Authenticator app", "+81 ••• •••• 34", "YubiKey 5". */
  describe(credential: Credential, t: Translate): string;

  /**
   * A method kept outside src/ (a plug-in) brings its partials and messages along: `views` is the
   * directory its partials `<kind>/<name>` are read from (`<views>/<name>.eta`, instead of
   * views/methods/<kind>/), and `messages` are added to the catalogue, `method.<kind>` among them.
   */
  views?: string;
  messages?: MethodMessages;

  /**
   * A step the reset flow runs before challenge(), when the method has one: for texts and calls the
   * user first types the whole registered number (SSPR.md §3), and only a match sends a code.
   */
  resetPrecheck?: {
    view(cx: MethodContext, user: User, credentials: Credential[], flow: FlowId): MethodView;
    submit(
      cx: MethodContext,
      user: User,
      credentials: Credential[],
      flow: FlowId,
      input: MethodInput,
    ): Promise<{ ok: true } | { ok: false; error: MessageKey; params?: Record<string, string | number> }>;
  };
}

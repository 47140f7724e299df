import type { Channel } from '../delivery/types.ts';
import type { Credential } from '../store/credentials.ts';
import type { MethodMessages, VerificationMethod } from './types.ts';

export const credentialKindOf = (m: VerificationMethod) => m.credentialKind ?? m.kind;

/** The user's credentials a method can use. */
export function credentialsFor(m: VerificationMethod, creds: readonly Credential[]): Credential[] {
  const kind = credentialKindOf(m);
  return creds.filter((c) => c.kind === kind && (m.accepts ? m.accepts(c) : true));
}

/**
 * The methods Tobira knows. Flows ask the registry which methods they may use; adding a method is
 * one folder under src/methods/ plus one line here, and no flow changes.
 */
export class MethodRegistry {
  readonly #methods = new Map<string, VerificationMethod>();
  readonly #off = new Set<string>();

  /** Adds a method; its kind must be new and letters only (2 to 20: it appears in addresses). */
  register(m: VerificationMethod): this {
    if (!/^[A-Za-z]{2,20}$/.test(m.kind)) throw new Error(`method kind "${m.kind}": letters only, 2 to 20`);
    if (this.#methods.has(m.kind)) throw new Error(`method kind "${m.kind}" is registered twice`);
    this.#methods.set(m.kind, m);
    return this;
  }

  /** The messages methods bring along (`VerificationMethod.messages`), merged, for the catalogue. */
  messages(): MethodMessages {
    const out: MethodMessages = { en: {}, ja: {} };
    for (const m of this.#methods.values()) {
      Object.assign(out.en, m.messages?.en);
      Object.assign(out.ja, m.messages?.ja);
    }
    return out;
  }

  /** The directories of the partials methods bring along (`VerificationMethod.views`), by kind. */
  viewDirs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of this.#methods.values()) if (m.views) out[m.kind] = m.views;
    return out;
  }

  /**
   * Stops offering the methods that send over these channels (no sender is configured for them):
   * they are no longer listed, enrolled, challenged or counted as usable anywhere. Credentials the
   * user already has are still described (and can be removed) through forCredential().
   */
  withoutChannels(channels: readonly Channel[]): this {
    for (const m of this.#methods.values())
      if (m.channel && channels.includes(m.channel)) this.#off.add(m.kind);
    return this;
  }

  /** The kinds withoutChannels() turned off. */
  unavailable(): string[] {
    return [...this.#off];
  }

  get(kind: string): VerificationMethod | undefined {
    return this.#off.has(kind) ? undefined : this.#methods.get(kind);
  }

  all(): VerificationMethod[] {
    return [...this.#methods.values()].filter((m) => !this.#off.has(m.kind));
  }

  forSignIn(): VerificationMethod[] {
    return this.all().filter((m) => m.usableFor.signIn);
  }

  forReset(): VerificationMethod[] {
    return this.all().filter((m) => m.usableFor.reset);
  }

  /**
   * The reset gate a method counts toward: its credential kind, so methods sharing a credential (a
   * text and a call to the same phones) are one gate. Unknown kinds are their own gate.
   */
  readonly gateOf = (kind: string): string => {
    const m = this.#methods.get(kind);
    return m ? credentialKindOf(m) : kind;
  };

  /** The method that registers and describes credentials of a stored kind. */
  forCredential(credentialKind: string): VerificationMethod | undefined {
    const all = [...this.#methods.values()];
    return (
      all.find((m) => !this.#off.has(m.kind) && credentialKindOf(m) === credentialKind) ??
      all.find((m) => credentialKindOf(m) === credentialKind)
    );
  }

  /** The method a stored credential is registered with: the first of its credential kind that accepts it. */
  enrollerOf(credential: Credential): VerificationMethod | undefined {
    return [...this.#methods.values()].find(
      (m) => credentialKindOf(m) === credential.kind && (m.accepts ? m.accepts(credential) : true),
    );
  }

  /**
   * The kinds of the user's credentials for a purpose whose method withoutChannels() switched off:
   * factors the user has but cannot use now.
   */
  unavailableFor(creds: readonly Credential[], purpose: 'signIn' | 'reset'): string[] {
    const out: string[] = [];
    for (const kind of this.#off) {
      const method = this.#methods.get(kind);
      if (method?.usableFor[purpose] && credentialsFor(method, creds).length) out.push(kind);
    }
    return out;
  }

  /** Methods the user can use now for a purpose, each with its credentials. */
  usable(
    creds: readonly Credential[],
    purpose: 'signIn' | 'reset',
  ): Array<{ method: VerificationMethod; credentials: Credential[] }> {
    const out: Array<{ method: VerificationMethod; credentials: Credential[] }> = [];
    for (const method of this.all()) {
      if (!method.usableFor[purpose]) continue;
      const credentials = credentialsFor(method, creds);
      if (credentials.length) out.push({ method, credentials });
    }
    return out;
  }
}

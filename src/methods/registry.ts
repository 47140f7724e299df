import type { MethodKind, VerificationMethod } from './types.ts';

/**
 * The methods Tobira knows. Flows ask the registry which methods they may use; adding a method is
 * one folder under src/methods/ plus one line here, and no flow changes.
 */
export class MethodRegistry {
  readonly #methods = new Map<MethodKind, VerificationMethod>();

  register(m: VerificationMethod): this {
    this.#methods.set(m.kind, m);
    return this;
  }

  get(kind: string): VerificationMethod | undefined {
    return this.#methods.get(kind as MethodKind);
  }

  all(): VerificationMethod[] {
    return [...this.#methods.values()];
  }

  forSignIn(): VerificationMethod[] {
    return this.all().filter((m) => m.usableFor.signIn);
  }

  forReset(): VerificationMethod[] {
    return this.all().filter((m) => m.usableFor.reset);
  }
}

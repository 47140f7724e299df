import { appMethod } from './app/index.ts';
import { emailMethod } from './email/index.ts';
import { smsMethod, voiceMethod } from './phone/index.ts';
import { questionsMethod } from './questions/index.ts';
import { MethodRegistry } from './registry.ts';
import { passkeyOptions, securityKeyMethod, verifyPasskey } from './security-key/index.ts';
import type { VerificationMethod } from './types.ts';

/**
 * Every method Tobira ships, then `extra` (methods kept outside src/, given to `createApp`). A new
 * method of Tobira's own is registered here and nowhere else.
 */
export function createMethodRegistry(extra: readonly VerificationMethod[] = []): MethodRegistry {
  const registry = new MethodRegistry()
    .register(appMethod)
    .register(securityKeyMethod)
    .register(smsMethod)
    .register(voiceMethod)
    .register(emailMethod)
    .register(questionsMethod);
  for (const m of extra) registry.register(m);
  return registry;
}

/** Passwordless sign-in with a discoverable credential, offered on the sign-in page. */
export const passkeys = { options: passkeyOptions, verify: verifyPasskey };
export type Passkeys = typeof passkeys;

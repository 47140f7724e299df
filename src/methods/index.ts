import { appMethod } from './app/index.ts';
import { emailMethod } from './email/index.ts';
import { smsMethod, voiceMethod } from './phone/index.ts';
import { questionsMethod } from './questions/index.ts';
import { MethodRegistry } from './registry.ts';
import { passkeyOptions, securityKeyMethod, verifyPasskey } from './security-key/index.ts';

/** Every method Tobira ships. A new method is registered here and nowhere else. */
export function createMethodRegistry(): MethodRegistry {
  return new MethodRegistry()
    .register(appMethod)
    .register(securityKeyMethod)
    .register(smsMethod)
    .register(voiceMethod)
    .register(emailMethod)
    .register(questionsMethod);
}

/** Passwordless sign-in with a discoverable credential, offered on the sign-in page. */
export const passkeys = { options: passkeyOptions, verify: verifyPasskey };
export type Passkeys = typeof passkeys;

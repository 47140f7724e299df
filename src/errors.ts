import type { MessageKey, Params } from './i18n/index.ts';

/**
 * The one error type for expected failures: a stable code, an HTTP status, and the message key shown
 * to the user in their language. Anything else is a bug and renders as a plain 500.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly messageKey: MessageKey;
  readonly params?: Params;
  constructor(code: string, status: number, messageKey: MessageKey, params?: Params) {
    super(code);
    this.code = code;
    this.status = status;
    this.messageKey = messageKey;
    this.params = params;
  }
}

import type { MessageKey } from '../i18n/index.ts';

export { AppError } from '../errors.ts';

export function httpMessageKey(status: number): MessageKey {
  const known = [400, 403, 404, 405, 413, 415, 429];
  return (known.includes(status) ? `error.http.${status}` : 'error.http.500') as MessageKey;
}

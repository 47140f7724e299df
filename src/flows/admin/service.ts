/**
 * Administration without Koa, by resource: policy/, users/, groups/, clients/ and audit/ each hold
 * their service.ts. This barrel keeps `import * as svc from './service.ts'` working for the API, the
 * console, the CLI and the tests; new code may import a resource's module directly.
 */
export * from './audit/service.ts';
export * from './clients/service.ts';
export * from './groups/service.ts';
export * from './policy/service.ts';
export type { AdminDeps } from './shared.ts';
export * from './users/service.ts';

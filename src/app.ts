/*
 * The app's entry for its importers (src/main.ts, tests). The composition root is src/app/container.ts;
 * the contract flows depend on is src/app/deps.ts.
 */
export { type CreateAppOptions, createApp, type TobiraApp } from './app/container.ts';
export type { AppDeps, Notices } from './app/deps.ts';

import { activity } from './activity.ts';
import { admin } from './admin.ts';
import { common } from './common.ts';
import { methods } from './methods.ts';
import { notices } from './notices.ts';
import { portal } from './portal.ts';
import { reset } from './reset.ts';
import { signin } from './signin.ts';

/**
 * The message catalogue, by area (one file each in this folder). Keys are the contract: ja/ must have
 * every one of them, area by area (checked by tsc).
 */
export const en = {
  ...common,
  ...signin,
  ...reset,
  ...portal,
  ...methods,
  ...notices,
  ...admin,
  ...activity,
} as const;

export type MessageKey = keyof typeof en;

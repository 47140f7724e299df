import type { MessageKey } from '../en/index.ts';
import { activity } from './activity.ts';
import { admin } from './admin.ts';
import { common } from './common.ts';
import { methods } from './methods.ts';
import { notices } from './notices.ts';
import { portal } from './portal.ts';
import { reset } from './reset.ts';
import { signin } from './signin.ts';

/** The Japanese catalogue, by area; each area is type-checked against the English one (en/). */
export const ja: Record<MessageKey, string> = {
  ...common,
  ...signin,
  ...reset,
  ...portal,
  ...methods,
  ...notices,
  ...admin,
  ...activity,
};

import { en } from './en/index.ts';
import { isMessageKey, type Translate } from './index.ts';

/** The activities that have a label, i.e. every one the code records (test/unit/activity-labels.test.ts). */
export const AUDIT_ACTIVITY_CODES: string[] = Object.keys(en)
  .filter((k) => k.startsWith('activity.'))
  .map((k) => k.slice('activity.'.length));

/** An audit activity in the reader's language ("signin.second_factor" -> "Second sign-in step"); unknown codes as they are. */
export function activityLabel(t: Translate, code: string): string {
  const key = `activity.${code}`;
  return isMessageKey(key) ? t(key) : code;
}

/** An audit result in the reader's language ("succeeded" -> "Succeeded"); unknown results as they are. */
export function resultLabel(t: Translate, result: string): string {
  const key = `admin.result.${result}`;
  return isMessageKey(key) ? t(key) : result;
}

/** Whether a result is a success (shown in green) or a failure (red); the rest are neutral. */
export function resultTone(result: string): 'ok' | 'bad' | '' {
  if (result === 'succeeded') return 'ok';
  if (result === 'failed' || result === 'blocked') return 'bad';
  return '';
}

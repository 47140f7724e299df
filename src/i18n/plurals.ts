import type { MessageKey } from './en/index.ts';

/**
 * English singular forms: when the named number is one ("1 try left", "Use at least 1 character"),
 * the translator uses this text instead of the catalogue's plural one. Japanese has no plural forms.
 */
export const EN_ONE: Partial<Record<MessageKey, { param: string; text: string }>> = {
  'app.name_too_long': { param: 'max', text: 'The name can be at most 1 character long.' },
  'password.too_short': { param: 'min', text: 'Use at least 1 character.' },
  'password.too_long': { param: 'max', text: 'Use at most 1 character.' },
  'phone.sms.text': {
    param: 'minutes',
    text: '{code} is your {org} verification code. It expires in 1 minute. Do not share it with anyone.',
  },
  'phone.limitReached': {
    param: 'max',
    text: 'You can register up to 1 phone. Remove it before adding another.',
  },
  'phone.codeInvalidSms': {
    param: 'remaining',
    text: 'That code is not correct. Check the newest text message and try again (1 try left).',
  },
  'phone.codeInvalidVoice': {
    param: 'remaining',
    text: 'That code is not correct. Try again, or ask for a new call (1 try left).',
  },
  'phone.limitNumber': {
    param: 'minutes',
    text: 'Too many codes were sent to this phone recently. Try again in 1 minute, or use another method.',
  },
  'phone.limitAccount': {
    param: 'minutes',
    text: 'Too many codes were sent for your account recently. Try again in 1 minute, or use another method.',
  },
  'phone.limitIp': {
    param: 'minutes',
    text: 'Too many codes were requested from your network recently. Try again in 1 minute, or use another method.',
  },
  'emailMethod.mail.expires': {
    param: 'minutes',
    text: 'The code expires in 1 minute. Do not share it with anyone.',
  },
  'emailMethod.tooLong': { param: 'max', text: 'The email address can be at most 1 character long.' },
  'emailMethod.codeInvalid': {
    param: 'remaining',
    text: 'That code is not correct. Check the newest email and try again (1 try left).',
  },
  'emailMethod.limitAddress': {
    param: 'minutes',
    text: 'Too many emails were sent to this address recently. Try again in 1 minute, or use another method.',
  },
  'emailMethod.limitAccount': {
    param: 'minutes',
    text: 'Too many emails were sent for your account recently. Try again in 1 minute, or use another method.',
  },
  'emailMethod.limitIp': {
    param: 'minutes',
    text: 'Too many emails were requested from your network recently. Try again in 1 minute, or use another method.',
  },
  'questions.answer_too_short': { param: 'min', text: 'Each answer must be at least 1 character long.' },
  'questions.answer_too_long': { param: 'max', text: 'Each answer can be at most 1 character long.' },
  'admin.field.tooShort': { param: 'min', text: 'Use at least 1 character.' },
  'admin.field.tooLong': { param: 'max', text: 'Use at most 1 character.' },
};

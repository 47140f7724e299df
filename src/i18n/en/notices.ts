/** Notice emails and the delivery outbox. */
export const notices = {
  'email.footer': 'This message was sent automatically by {org}. Replies to it are not read.',
  'email.greeting': 'Hello {name},',
  'email.details': 'Details',
  'email.when': 'When',
  'email.ip': 'IP address',
  'email.device': 'Browser',
  'email.unknown': 'Unknown',
  'notice.securityInfo.added.subject': 'Security info was added to your account',
  'notice.securityInfo.added.body': 'This security info was added to your account {login}: {method}',
  'notice.securityInfo.removed.subject': 'Security info was removed from your account',
  'notice.securityInfo.removed.body': 'This security info was removed from your account {login}: {method}',
  'notice.securityInfo.defaultChanged.subject': 'Your default sign-in method was changed',
  'notice.securityInfo.defaultChanged.body':
    'Your account {login} now asks for this method first when you sign in: {method}',
  'notice.securityInfo.review': 'Review your security info',
  'notice.passwordChanged.subject': 'Your password was changed',
  'notice.passwordChanged.body': 'The password of your account {login} was changed.',
  'notice.passwordChanged.recover': "If you can't sign in anymore, reset your password",
  'notice.ifYou': 'If you made this change, there is nothing else to do.',
  'notice.notYou':
    "If this wasn't you, contact your administrator right away: someone else may be using your account.",
  'notice.notYouContact':
    "If this wasn't you, contact your administrator right away ({contact}): someone else may be using your account.",
  'notice.passwordReset.subject': 'Your password was reset',
  'notice.passwordReset.body':
    'The password of your account {login} was reset through "Can\'t access your account?".',
  'notice.passwordReset.sessions': 'You were signed out of every app and device.',
  'notice.adminReset.subject': 'An administrator reset their password: {login}',
  'notice.adminReset.body':
    'The administrator account {login} reset its password through self-service password reset.',
  'notice.contactAdmin.subject': 'Password help requested for {login}',
  'notice.contactAdmin.body':
    'The user {login} could not reset their password on their own and asked an administrator for help.',
  'notice.secondFactorLocked.subject': 'Sign-in to your account is locked for a while',
  'notice.secondFactorLocked.body':
    'Someone entered the password of your account {login}, then failed the second verification step too many times. Signing in is locked until {until}.',
  'notice.secondFactorLocked.notYou':
    'If this was not you, someone knows your password. Reset your password now.',
  'notice.secondFactorLocked.reset': 'Reset your password',
  'notice.orgMethod.added.subject': 'Your organisation added contact info to your account',
  'notice.orgMethod.added.body':
    'Your organisation added this contact info to your account {login}: {method}. You can confirm, replace or delete it in your security info.',
  'notice.orgMethod.replaced.subject': 'Your organisation changed contact info on your account',
  'notice.orgMethod.replaced.body':
    'Your organisation changed this contact info on your account {login}: {method}. You can confirm, replace or delete it in your security info.',
  'notice.orgMethod.removed.subject': 'Your organisation removed contact info from your account',
  'notice.orgMethod.removed.body':
    'Your organisation removed this contact info from your account {login}: {method}.',
  'notice.passwordSet.subject': 'Your password was set',
  'notice.passwordSet.body': 'A password was set for your account {login}. Your account is ready to use.',
} as const;

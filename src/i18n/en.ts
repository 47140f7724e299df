/** The message catalogue. Keys are the contract; ja.ts must have every one of them (checked by tsc). */
export const en = {
  'lang.name': 'English',
  'layout.skip': 'Skip to content',
  'layout.language': 'Language',
  'layout.footer': 'Protected by {org}',

  'home.title': 'Tobira sign-in service',
  'home.lead':
    'This server signs people in to the applications of {org} with OpenID Connect, and lets them recover their account on their own.',
  'home.discovery': 'OpenID Connect discovery document',
  'home.portal': 'Manage your security info',
  'home.reset': "Can't access your account?",
  'home.demo': 'Try the demo application (development mode)',
  'home.dev': 'Development mode: do not use this instance for real accounts.',

  'signin.title': 'Sign in',
  'signin.lead': 'Sign in to continue to {client}.',
  'signin.username': 'User ID',
  'signin.password': 'Password',
  'signin.submit': 'Sign in',
  'signin.cantAccess': "Can't access your account?",
  'signin.invalid': 'Your user ID or password is incorrect.',
  'signin.missing': 'Enter your user ID and password.',
  'signin.cancel': 'Cancel and return to the application',

  'consent.title': 'Allow access',
  'consent.lead': '{client} would like to:',
  'consent.scope.openid': 'Sign you in',
  'consent.scope.profile': 'See your name and user ID',
  'consent.scope.email': 'See your email address',
  'consent.scope.offline_access': 'Stay signed in to keep access when you are away',
  'consent.scope.other': 'Use the permission "{scope}"',
  'consent.allow': 'Allow',
  'consent.deny': 'Cancel',

  'logout.title': 'Sign out',
  'logout.lead': 'Do you want to sign out of {org}?',
  'logout.confirm': 'Sign out',
  'logout.stay': 'Stay signed in',
  'logout.done.title': 'Signed out',
  'logout.done.lead': 'You have signed out. You can close this window.',

  'reset.title': "Can't access your account?",
  'reset.coming':
    'Self-service password reset is not available yet on this server. Contact your administrator.',

  'error.title': 'Something went wrong',
  'error.back': 'Go to the start page',
  'error.http.400': 'The request was not valid.',
  'error.http.403': 'You are not allowed to do that.',
  'error.http.404': 'The page was not found.',
  'error.http.405': 'That method is not allowed here.',
  'error.http.413': 'The request was too large.',
  'error.http.415': 'This kind of content is not accepted here.',
  'error.http.429': 'Too many requests. Wait a moment and try again.',
  'error.http.500': 'An unexpected error occurred. Try again later.',
  'error.csrf':
    'Your session for this form has expired or the request came from another site. Reload the page and try again.',
  'error.interaction_expired':
    'Your sign-in session has expired or was not found. Go back to the application and start again.',
  'error.oidc': 'The application sent a request that cannot be completed ({code}).',
  'error.body_invalid': 'The form could not be read. Reload the page and try again.',

  'demo.title': 'Demo application',
  'demo.lead': 'A built-in relying party that signs in through this provider, so you can see it working.',
  'demo.signin': 'Sign in with Tobira',
  'demo.signout': 'Sign out',
  'demo.claims': 'Claims in your ID token',
  'demo.signedInAs': 'Signed in as {name}',

  // -- methods/app (authenticator app) --
  'app.default_label': 'Authenticator app',
  'app.enroll.title': 'Set up an authenticator app',
  'app.enroll.step1':
    'Install an authenticator app on your phone if you do not have one yet. Any app that supports time-based one-time codes (TOTP) works, such as Microsoft Authenticator or Google Authenticator.',
  'app.enroll.step2': 'In the app, choose to add an account, then scan this QR code.',
  'app.enroll.qrAlt': 'QR code to scan with your authenticator app',
  'app.enroll.manual': "Can't scan the code? Add the account by typing these details instead:",
  'app.enroll.keyLabel': 'Key',
  'app.enroll.accountLabel': 'Account',
  'app.enroll.typeLabel': 'Type',
  'app.enroll.typeValue': 'Time-based, 6 digits',
  'app.enroll.step3': 'Enter the 6-digit code the app now shows for this account, to check that it works.',
  'app.enroll.codeLabel': '6-digit code',
  'app.enroll.nameLabel': 'Name for this app (optional)',
  'app.enroll.nameHint': 'Helps you tell your apps apart, for example "Work phone". Up to 64 characters.',
  'app.enroll.submit': 'Add authenticator app',
  'app.verify.lead': 'Open your authenticator app and enter the 6-digit code it shows for this account.',
  'app.verify.codeLabel': 'Code',
  'app.verify.submit': 'Verify',
  'app.code_format': 'Enter the 6-digit code from your app, using digits only.',
  'app.code_invalid':
    'That code is not correct. Check that the time on your phone is right and enter the newest code.',
  'app.code_used': 'That code has already been used. Wait for the app to show a new code, then enter it.',
  'app.too_many':
    'Too many incorrect codes. For your security, this method cannot be used right now. Use another method, or try again later.',
  'app.enroll_expired':
    'This setup has expired or was replaced by a newer one. Start again to get a new QR code.',
  'app.enroll_exhausted': 'Too many incorrect codes. Start the setup again to get a new QR code.',
  'app.name_too_long': 'The name can be at most {max} characters long.',
  'app.limit_reached':
    'You already have {max} authenticator apps registered. Remove one before adding another.',
  // -- end methods/app --

  // -- methods/securityKey (security keys and passkeys) --
  'securityKey.method': 'Security key or passkey',
  'securityKey.defaultName': 'Security key',
  'securityKey.nameInvalid': 'Enter a name of 1 to 64 characters for your security key.',
  'securityKey.badResponse': 'The answer from your browser could not be read. Try again.',
  'securityKey.expired': 'This request has expired or was already used. Start again.',
  'securityKey.failed': "We couldn't verify your security key or passkey. Try again.",
  'securityKey.notRegistered': 'This security key or passkey is not registered to your account.',
  'securityKey.unknownPasskey':
    "This passkey isn't registered here. Sign in with your user ID and password, then add it to your security info.",
  'securityKey.alreadyRegistered': 'This security key or passkey is already registered.',
  'securityKey.limit':
    'You can register up to {max} security keys and passkeys. Remove one before adding another.',
  'securityKey.exhausted': 'Too many failed attempts with a security key. Use another method.',
  'securityKey.enroll.title': 'Add a security key or passkey',
  'securityKey.enroll.lead':
    'Give it a name so you can recognize it later, then select Continue and follow the instructions from your browser: insert and touch your key, or confirm with your fingerprint, face or device PIN.',
  'securityKey.enroll.name': 'Name',
  'securityKey.enroll.nameHint': 'For example "Blue YubiKey" or "Work laptop". Up to 64 characters.',
  'securityKey.enroll.submit': 'Continue',
  'securityKey.enroll.noKey':
    "If this browser can't use security keys or passkeys, add one later from a browser that supports them, or choose another method.",
  'securityKey.verify.title': 'Use your security key or passkey',
  'securityKey.verify.lead':
    'Select Continue and follow the instructions from your browser: insert and touch your key, or confirm with your fingerprint, face or device PIN.',
  'securityKey.verify.submit': 'Continue',
  'securityKey.verify.noKey':
    'Don\'t have your key with you, or this browser can\'t use it? Choose "Sign in another way" to use a different method.',
  'securityKey.passkey.submit': 'Sign in with a passkey',
  'securityKey.passkey.hint':
    'Use a passkey on this device, a phone nearby or a security key instead of a password.',
  'securityKey.noscript':
    'Security keys and passkeys need JavaScript. Turn it on in your browser, or use another method.',
  'securityKey.msg.unsupported':
    "This browser doesn't support security keys or passkeys. Use another method, or try a browser that supports them.",
  'securityKey.msg.cancelled': 'The request was cancelled or timed out. Select Continue to try again.',
  'securityKey.msg.registered': 'This security key or passkey is already registered to your account.',
  'securityKey.msg.error':
    'Your browser could not use the security key or passkey. Try again, or use another method.',
  // -- end methods/securityKey --

  // -- password policy --
  'password.too_short': 'Use at least {min} characters.',
  'password.too_long': 'Use at most {max} characters.',
  'password.common': 'This password is too common. Choose one that is harder to guess.',
  'password.guessable': 'This password is easy to guess. Add more words or characters that do not form a pattern.',
  'password.contains_login': 'Do not use your user ID in your password.',
  'password.contains_name': 'Do not use your name in your password.',
  'password.contains_organization': 'Do not use the name of your organization in your password.',
  'password.contains_banned_term': 'Your password contains a word that your organization does not allow.',
  'password.reused': 'You used this password recently. Choose a new one.',
  // -- end password policy --

  // -- delivery, notices, outbox --
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

  'dev.outbox.title': 'Outbox',
  'dev.outbox.lead':
    'Messages that would have gone out by email, text message or phone call. This page exists only in development mode.',
  'dev.outbox.count': 'Messages shown: {count}, newest first.',
  'dev.outbox.empty': 'No messages yet.',
  'dev.outbox.json': 'The same list as JSON',
  'dev.outbox.time': 'Time',
  'dev.outbox.channel': 'Channel',
  'dev.outbox.recipient': 'To',
  'dev.outbox.purpose': 'Purpose',
  'dev.outbox.subject': 'Subject',
  'dev.outbox.body': 'Text',
  'dev.outbox.none': '(none)',
  'dev.outbox.channel.email': 'Email',
  'dev.outbox.channel.sms': 'Text message',
  'dev.outbox.channel.voice': 'Phone call',
  // -- end delivery, notices, outbox --

  // -- methods/phone (text message and phone call) --
  // -- end methods/phone --

  // -- methods/email --
  // -- end methods/email --

  // -- methods/questions (security questions) --
  // -- end methods/questions --

  // -- reset flow --
  // -- end reset flow --

  // -- administration --
  // -- end administration --

  // -- sign-in steps, lockout, portal --
  'method.app': 'Authenticator app',
  'method.sms': 'Text message',
  'method.voice': 'Phone call',
  'method.phone': 'Phone',
  'method.securityKey': 'Security key or passkey',
  'method.email': 'Email',
  'method.questions': 'Security questions',
  'signin.locked.title': 'Your account is temporarily locked',
  'signin.locked.lead':
    'There were too many unsuccessful sign-in attempts, so your account is locked for a while to protect it. Try again later, or reset your password now.',
  'signin.locked.retry': 'Try again',
  'signin.passkeyFailed': 'We could not sign you in with that passkey. Try again or use your password.',
  'signin.methodUnavailable': 'That method is not available for your account.',
  'signin.mfa.title': 'Verify your identity',
  'signin.mfa.lead': 'Use your {method} to finish signing in.',
  'signin.mfa.another': 'Sign in another way',
  'signin.mfa.lost': "I can't use any of these methods",
  'signin.register.title': 'More information required',
  'signin.register.lead':
    'Your organization needs more information to keep your account secure and to let you reset your password yourself.',
  'signin.register.add': 'Add a method',
  'signin.register.skip': 'Not now',
  'signin.register.back': 'Back',
  'signin.reconfirm.title': 'Is your security info still right?',
  'signin.reconfirm.lead': 'Check that you can still use these methods to verify your identity.',
  'signin.reconfirm.ok': 'Looks good',
  'signin.reconfirm.later': 'If something has changed, update it on the security info page after you sign in.',
  'securityInfo.registered': 'Your methods',
  'securityInfo.notAddable': 'You cannot add that method.',
  'securityInfo.limit': 'You have registered the most methods of this kind allowed ({max}).',
  'securityInfo.notFound': 'That method was not found.',
  'portal.nav': 'Your account',
  'portal.signout': 'Sign out',
  'portal.back': 'Back to security info',
  'portal.sessionExpired': 'Your session has ended. Sign in again.',
  'portal.signInAgain': 'For your security, sign in again before changing your security info.',
  'portal.signInCancelled': 'Sign-in was cancelled.',
  'portal.securityInfo.title': 'Security info',
  'portal.securityInfo.lead':
    'These are the methods you use to sign in and to reset your password. Register more than one, in case you lose access to one of them.',
  'portal.done.added': 'The method was added.',
  'portal.done.removed': 'The method was removed.',
  'portal.done.default': 'Your default sign-in method was changed.',
  'portal.done.password': 'Your password was changed.',
  'portal.col.method': 'Method',
  'portal.col.added': 'Added',
  'portal.col.lastUsed': 'Last used',
  'portal.col.actions': 'Actions',
  'portal.col.time': 'Time (UTC)',
  'portal.col.activity': 'Activity',
  'portal.col.result': 'Result',
  'portal.default': 'default sign-in method',
  'portal.resetOnly': 'password reset only',
  'portal.makeDefault': 'Make default',
  'portal.delete': 'Delete',
  'portal.deleteNamed': 'Delete {name}',
  'portal.none': 'You have not registered any security info yet.',
  'portal.add': 'Add a method',
  'portal.password.title': 'Change password',
  'portal.password.current': 'Current password',
  'portal.password.new': 'New password',
  'portal.password.confirm': 'Confirm new password',
  'portal.password.hint': 'Use at least 8 characters. A few unrelated words make a strong password that is easy to remember.',
  'portal.password.submit': 'Change password',
  'portal.password.mismatch': 'The two new passwords do not match.',
  'portal.password.currentWrong': 'Your current password is incorrect.',
  'portal.activity.title': 'Recent activity',
  // -- end sign-in steps, lockout, portal --
} as const;

export type MessageKey = keyof typeof en;

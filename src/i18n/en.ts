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

  'voice.repeat': 'Once again, your code is',
  'voice.goodbye': 'Goodbye.',
  // -- end delivery, notices, outbox --

  // -- methods/phone (text message and phone call) --
  // -- end methods/phone --

  // -- methods/email --
  // -- end methods/email --

  // -- methods/questions (security questions) --
  'questions.describe': '{count} security questions',
  'questions.enroll.lead':
    'Choose {count} different questions and answer each one. If you ever need to reset your password, we will ask you some of them.',
  'questions.enroll.rules':
    'Each answer must be {min} to {max} characters long, and each answer must be different. Upper and lower case, full-width and half-width characters and extra spaces do not matter. Hiragana, katakana, kanji and accented letters do, so write each answer the way you will remember it.',
  'questions.enroll.private':
    'Your answers are stored in a form that nobody can read, not even an administrator. You cannot view or edit them later: to change them, delete your security questions and register them again.',
  'questions.enroll.question': 'Question {n}',
  'questions.enroll.choose': 'Choose a question',
  'questions.enroll.placeholder': '(Not chosen)',
  'questions.enroll.predefined': 'Suggested questions',
  'questions.enroll.custom': "Your organization's questions",
  'questions.enroll.answer': 'Answer to question {n}',
  'questions.enroll.submit': 'Save security questions',
  'questions.verify.lead': 'Answer these questions the way you answered them when you registered them.',
  'questions.verify.hint':
    'Upper and lower case, full-width and half-width characters and extra spaces do not matter.',
  'questions.verify.submit': 'Verify',
  'questions.not_for_admins': 'Security questions cannot be used with an administrator account.',
  'questions.already_registered':
    'You have already registered security questions. Delete them first to register a new set.',
  'questions.not_enough_offered':
    'Not enough security questions are available to register. Contact your administrator.',
  'questions.choose_all': 'Choose a question and give an answer for each of the {count} questions.',
  'questions.unknown_question': 'One of the chosen questions is no longer offered. Choose your questions again.',
  'questions.duplicate_question': 'Choose a different question each time.',
  'questions.duplicate_answer': 'Give a different answer to each question.',
  'questions.answer_too_short': 'Each answer must be at least {min} characters long.',
  'questions.answer_too_long': 'Each answer can be at most {max} characters long.',
  'questions.answer_format': 'Answer every question. Each answer is {min} to {max} characters long.',
  'questions.not_registered': 'You have not registered security questions.',
  'questions.set_too_small':
    "Your security questions no longer meet your organization's requirements. Use another method, and register your security questions again later.",
  'questions.expired': 'These questions have expired or were already answered. Answer the questions shown now.',
  'questions.wrong': 'At least one answer is not correct. Answer the questions shown now, which may be different.',
  'questions.too_many':
    'Too many incorrect answers. For your security, security questions cannot be used right now. Use another method, or try again later.',
  'questions.q.first_school_city': 'In which city or town was the first school you attended?',
  'questions.q.childhood_best_friend': 'What was the first name of your closest friend when you were ten?',
  'questions.q.favorite_primary_teacher': 'What was the family name of your favorite teacher in elementary school?',
  'questions.q.childhood_nickname': 'What nickname did your family call you by as a child?',
  'questions.q.first_concert': 'Which performer did you see at the first concert you went to?',
  'questions.q.first_film_in_cinema': 'What is the first film you remember seeing in a movie theater?',
  'questions.q.first_book_read_alone': 'What is the first book you remember reading on your own?',
  'questions.q.first_album_bought': 'What was the first album or single you bought with your own money?',
  'questions.q.first_pay_purchase': 'What did you buy with your first pay?',
  'questions.q.childhood_dream_job': 'As a child, what did you want to be when you grew up?',
  'questions.q.childhood_hero': 'Who was your hero when you were a child?',
  'questions.q.favorite_childhood_toy': 'What was your favorite toy as a child?',
  'questions.q.childhood_snack': 'Which snack did you buy most often as a child?',
  'questions.q.first_dish_cooked': 'What was the first dish you learned to cook?',
  'questions.q.first_game_owned': 'What was the first video game or board game you owned?',
  'questions.q.parents_meeting_place': 'In which city or town did your parents meet?',
  'questions.q.grandmother_hometown': 'In which town or village did one of your grandmothers grow up?',
  'questions.q.first_trip_abroad_city': 'What was the first city you visited outside your home country?',
  'questions.q.childhood_neighbor_name': 'What was the family name of your next-door neighbors when you were a child?',
  'questions.q.childhood_hiding_place': 'Where was your favorite hiding place as a child?',
  'questions.q.first_gift_remembered': 'What is the earliest present you remember receiving?',
  'questions.q.first_date_place': 'Where did you go on your first date?',
  'questions.q.first_night_away': 'At whose home did you spend your first night away from your family?',
  'questions.q.childhood_holiday_place': 'Where did your family most often go on holiday when you were a child?',
  'questions.q.first_stage_role': 'What role did you play in your first school play?',
  'questions.q.birthday_dish': 'What dish did you always ask for on your birthday as a child?',
  'questions.q.school_lunch_favorite': 'What was your favorite school lunch?',
  // -- end methods/questions --

  // -- reset flow --
  'pow.hint': 'This check runs in your browser to keep automated requests out. It takes a moment.',
  'pow.required': 'Select the check box to complete the check before you continue.',
  'pow.noscript':
    "This check needs JavaScript. Turn on JavaScript in your browser and reload this page. If you can't, contact your administrator for help.",
  'reset.identify.lead': 'Enter your user ID to get back into your account. You will verify your identity, then choose a new password.',
  'reset.identify.username': 'User ID',
  'reset.identify.submit': 'Next',
  'reset.identify.missing': 'Enter your user ID.',
  'reset.identify.pow': 'The automated-request check did not complete. Wait for it to finish, then try again.',
  'reset.identify.back': 'Back to sign-in',
  'reset.external.title': 'Contact your administrator',
  'reset.external.lead':
    'The password of this account is managed by another system, so it cannot be reset here. Contact your administrator or helpdesk for help.',
  'reset.notEnabled.title': 'Your account is not enabled for password reset',
  'reset.notEnabled.lead': 'Your organization has not set up this account for self-service password reset.',
  'reset.unverified.title': "We couldn't verify your account",
  'reset.unverified.lead':
    'We could not verify your account with the security info registered for it. If you want, you can ask an administrator to reset your password.',
  'reset.unverified.register':
    'Once you can sign in again, register your security info at /my/security-info so that next time you can reset your password yourself.',
  'reset.contact.button': 'Contact an administrator',
  'reset.contact.link': 'Contact your helpdesk',
  'reset.contacted.title': 'Your administrator has been contacted',
  'reset.contacted.lead':
    'If this account exists, your administrators have been told that you need help with your password. They will contact you.',
  'reset.blocked.title': 'Too many attempts',
  'reset.blocked.lead':
    'There were too many password reset attempts for this account. For your security, try again in 24 hours or contact your administrator.',
  'reset.expired.title': 'Start again',
  'reset.expired.lead':
    'Your password reset session has expired, was finished, or was started in another browser. Start again from the beginning.',
  'reset.expired.restart': 'Start again',
  'reset.verify.title': 'Verify your identity',
  'reset.verify.lead': 'Verification step {gate} of {required}: choose a method to verify your identity.',
  'reset.verify.blocked': 'blocked for 24 hours after too many attempts',
  'reset.verify.none': 'None of your methods can be used right now.',
  'reset.methodUnavailable': 'That method cannot be used for this reset.',
  'reset.methodBlocked':
    'This method is blocked for 24 hours after too many unsuccessful attempts. Choose another method.',
  'reset.stepOrder': 'Complete the earlier steps first.',
  'reset.method.others': 'Choose another method',
  'reset.password.title': 'Choose a new password',
  'reset.password.lead': 'Your identity is verified. Choose a new password for your account.',
  'reset.password.new': 'New password',
  'reset.password.confirm': 'Confirm new password',
  'reset.password.submit': 'Reset password',
  'reset.unlock.lead': 'Your account is locked after too many sign-in attempts. You can unlock it and keep your current password.',
  'reset.unlock.submit': 'Unlock without changing my password',
  'reset.done.title': 'Your password was reset',
  'reset.done.unlocked': 'Your account was unlocked. Sign in with your current password.',
  'reset.done.lead': 'Sign in with your new password. You have been signed out everywhere else.',
  'reset.done.signin': 'Sign in',
  'reset.cancel': 'Cancel',
  'notice.passwordReset.subject': 'Your password was reset',
  'notice.passwordReset.body': 'The password of your account {login} was reset through "Can\'t access your account?".',
  'notice.passwordReset.sessions': 'You were signed out of every app and device.',
  'notice.adminReset.subject': 'An administrator reset their password: {login}',
  'notice.adminReset.body': 'The administrator account {login} reset its password through self-service password reset.',
  'notice.contactAdmin.subject': 'Password help requested for {login}',
  'notice.contactAdmin.body':
    'The user {login} could not reset their password on their own and asked an administrator for help.',
  'reset.done.unlockedTitle': 'Your account was unlocked',
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

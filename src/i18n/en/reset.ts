/** The self-service password reset flow and its proof of work. */
export const reset = {
  'reset.title': "Can't access your account?",
  'pow.hint': 'This check runs in your browser to keep automated requests out. It takes a moment.',
  'pow.required': 'Select the check box to complete the check before you continue.',
  'pow.noscript':
    "This check needs JavaScript. Turn on JavaScript in your browser and reload this page. If you can't, contact your administrator for help.",
  'reset.identify.lead':
    'Enter your user ID to get back into your account. You will verify your identity, then choose a new password.',
  'reset.identify.username': 'User ID',
  'reset.identify.submit': 'Next',
  'reset.identify.missing': 'Enter your user ID.',
  'reset.identify.pow':
    'The automated-request check did not complete. Wait for it to finish, then try again.',
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
  'reset.unlock.lead':
    'Your account is locked after too many sign-in attempts. You can unlock it and keep your current password.',
  'reset.unlock.submit': 'Unlock without changing my password',
  'reset.done.title': 'Your password was reset',
  'reset.done.unlocked': 'Your account was unlocked. Sign in with your current password.',
  'reset.done.lead': 'Sign in with your new password. You have been signed out everywhere else.',
  'reset.done.signin': 'Sign in',
  'reset.cancel': 'Cancel',
  'reset.done.unlockedTitle': 'Your account was unlocked',
  'pow.checking': 'Checking… Your request is sent as soon as the check is done.',
  'pow.done': 'Check done. Sending…',
  'pow.failed': 'The check could not be completed. Send the form again to retry.',
  'reset.unverified.registerText':
    'Once you can sign in again, register your security info so that next time you can reset your password yourself.',
  'reset.unverified.registerLink': 'Go to your security info',
  'reset.first.verifyLead':
    'To set your password, first verify your identity. Step {gate} of {required}: choose a method.',
  'reset.first.passwordTitle': 'Set your password',
  'reset.first.passwordLead': 'Your identity is verified. Choose a password for your account.',
  'reset.first.submit': 'Set password',
  'reset.first.doneTitle': 'Your password is set',
  'reset.first.doneLead': 'Sign in with your new password.',
} as const;

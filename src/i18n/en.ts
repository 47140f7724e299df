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
  // -- end methods/app --

  // -- methods/securityKey (security keys and passkeys) --
  // -- end methods/securityKey --

  // -- password policy --
  // -- end password policy --

  // -- sign-in steps, lockout, portal --
  // -- end sign-in steps, lockout, portal --
} as const;

export type MessageKey = keyof typeof en;

/** The client ids of Tobira's own first-party apps: the portal (/my/), the console (/admin/) and the demo. */
export const PORTAL_CLIENT_ID = 'tobira-portal';
export const ADMIN_CLIENT_ID = 'tobira-admin';
export const DEMO_CLIENT_ID = 'tobira-demo';

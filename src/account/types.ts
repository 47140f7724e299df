/** Where a request came from, as the request saw it: recorded with audit events and shown in notices. */
export interface RequestMeta {
  ip: string;
  userAgent: string;
}

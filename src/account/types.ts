/** Where a request came from, as the request saw it: recorded with audit events and shown in notices. */
export interface RequestMeta {
  ip: string;
  userAgent: string;
  /** The language of the flow's pages (ui_locales, the language switch): notices it causes use it. */
  locale?: string;
}

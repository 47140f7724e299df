/**
 * A small HTTP "browser" for black-box tests: a cookie jar, manual redirects, and form parsing, so a
 * test walks the same pages a person would without JavaScript.
 */
export interface Resp {
  status: number;
  url: string;
  headers: Headers;
  text: string;
  location?: string;
}

export class Browser {
  readonly cookies = new Map<string, Map<string, string>>();
  acceptLanguage = 'en';

  cookieHeader(url: URL): string {
    const jar = this.cookies.get(url.host);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  store(url: URL, res: Response): void {
    const set = res.headers.getSetCookie();
    if (!set.length) return;
    let jar = this.cookies.get(url.host);
    if (!jar) {
      jar = new Map();
      this.cookies.set(url.host, jar);
    }
    for (const c of set) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired =
        attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) ||
        attrs.some((a) => /^\s*max-age=0$/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  async request(
    method: string,
    url: string,
    opts: { body?: string | URLSearchParams; headers?: Record<string, string>; base?: string } = {},
  ): Promise<Resp> {
    const u = new URL(url, opts.base);
    const headers: Record<string, string> = { 'accept-language': this.acceptLanguage, ...opts.headers };
    const cookie = this.cookieHeader(u);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (opts.body instanceof URLSearchParams) {
      body = opts.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else body = opts.body;
    const res = await fetch(u, { method, headers, body, redirect: 'manual' });
    this.store(u, res);
    const text = await res.text();
    const location = res.headers.get('location') ?? undefined;
    return {
      status: res.status,
      url: u.toString(),
      headers: res.headers,
      text,
      location: location ? new URL(location, u).toString() : undefined,
    };
  }

  get(url: string, base?: string) {
    return this.request('GET', url, { base });
  }

  /**
   * Posts a form. A 303 See Other answer (post/redirect/get: a failed form leaves its message for
   * the page's GET) is followed at once, as every browser does, so the result is the page the person
   * sees, with its status; `postRaw` returns the 303 itself. Only for Tobira's own pages (/interaction,
   * /reset, /my, /admin, /invite) and within the site.
   */
  async post(url: string, form: Record<string, string>, base?: string) {
    const r = await this.postRaw(url, form, base);
    // Only Tobira's own forms: the provider's 303s (logout to the app) are what their tests look at.
    const own = /^\/(interaction|reset|my|admin|invite)(\/|$)/.test(new URL(r.url).pathname);
    const here = r.location && new URL(r.location).origin === new URL(r.url).origin;
    return r.status === 303 && own && here && r.location ? this.get(r.location) : r;
  }

  postRaw(url: string, form: Record<string, string>, base?: string) {
    return this.request('POST', url, { body: new URLSearchParams(form), base });
  }

  /** Follows redirects until a response is not a redirect, or its location starts with `stopAt`. */
  async follow(first: Resp, stopAt?: string, max = 15): Promise<Resp> {
    let r = first;
    for (let i = 0; i < max; i++) {
      if (!r.location || r.status < 300 || r.status >= 400) return r;
      if (stopAt && r.location.startsWith(stopAt)) return r;
      r = await this.get(r.location);
    }
    throw new Error('too many redirects');
  }
}

export function hiddenInputs(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
    if (name) out[name] = decodeEntities(value);
  }
  return out;
}

export function formAction(html: string, index = 0): string {
  const all = [...html.matchAll(/<form[^>]*action="([^"]*)"/g)];
  if (!all[index]) throw new Error(`no form #${index} in page:\n${html.slice(0, 2000)}`);
  return decodeEntities(all[index][1]);
}

export function decodeEntities(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

/** Text of the page's alert, if any. */
/** The text of the page's notice (a step of the flow, such as "code sent"; not an error), if any. */
export function noticeText(html: string): string | undefined {
  const m = /<p class="notice" role="status"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  return m ? decodeEntities(m[1].trim()) : undefined;
}

export function alertText(html: string): string | undefined {
  const m = /<p class="alert"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  return m ? decodeEntities(m[1].trim()) : undefined;
}

import type { CompareOp, ScimFilter } from '../../../store/scim.ts';

/*
 * The SCIM filter language (RFC 7644 §3.4.2.2): attribute paths, the operators eq ne co sw ew gt ge
 * lt le and pr, logical and / or / not with the usual precedence (not, then and, then or),
 * parentheses, and value paths `emails[value eq "x"]` (read as `emails.value eq "x"`). Attribute
 * names are case-insensitive, so paths come out lower-cased; a core schema URN prefix is dropped.
 * Anything else is a FilterSyntaxError, answered 400 invalidFilter.
 */

export class FilterSyntaxError extends Error {}

export const MAX_FILTER_LENGTH = 1000;
const MAX_DEPTH = 20;
const COMPARE = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

type Token =
  | { t: 'word'; v: string }
  | { t: 'str'; v: string }
  | { t: 'punct'; v: '(' | ')' | '[' | ']' }
  | { t: 'end' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === '[' || ch === ']') {
      out.push({ t: 'punct', v: ch });
      i++;
      continue;
    }
    if (ch === '"') {
      // A JSON string: escapes as JSON has them.
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new FilterSyntaxError('a string is not closed');
      try {
        out.push({ t: 'str', v: JSON.parse(src.slice(i, j + 1)) as string });
      } catch {
        throw new FilterSyntaxError('a string has an invalid escape');
      }
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z0-9:._$+-]+/.exec(src.slice(i));
    if (!m) throw new FilterSyntaxError(`unexpected character ${JSON.stringify(ch)}`);
    out.push({ t: 'word', v: m[0] });
    i += m[0].length;
  }
  out.push({ t: 'end' });
  return out;
}

/** An attribute path as written, normalized: lower case, without a core schema URN prefix. */
export function normalizeAttr(path: string): string {
  let p = path;
  for (const urn of [CORE_USER, CORE_GROUP]) {
    if (p.toLowerCase().startsWith(`${urn.toLowerCase()}:`)) p = p.slice(urn.length + 1);
  }
  if (!/^[A-Za-z][\w$-]*(\.[A-Za-z][\w$-]*)?$/.test(p)) throw new FilterSyntaxError(`bad attribute ${path}`);
  return p.toLowerCase();
}

class Parser {
  #toks: Token[];
  #i = 0;
  #depth = 0;
  constructor(toks: Token[]) {
    this.#toks = toks;
  }
  peek(): Token {
    return this.#toks[this.#i];
  }
  next(): Token {
    return this.#toks[this.#i++];
  }
  isWord(v: string): boolean {
    const t = this.peek();
    return t.t === 'word' && t.v.toLowerCase() === v;
  }
  expect(v: ')' | ']'): void {
    const t = this.next();
    if (t.t !== 'punct' || t.v !== v) throw new FilterSyntaxError(`expected ${v}`);
  }
  or(prefix: string): ScimFilter {
    if (++this.#depth > MAX_DEPTH) throw new FilterSyntaxError('the filter is nested too deeply');
    let left = this.and(prefix);
    while (this.isWord('or')) {
      this.next();
      left = { op: 'or', left, right: this.and(prefix) };
    }
    this.#depth--;
    return left;
  }
  and(prefix: string): ScimFilter {
    let left = this.unary(prefix);
    while (this.isWord('and')) {
      this.next();
      left = { op: 'and', left, right: this.unary(prefix) };
    }
    return left;
  }
  unary(prefix: string): ScimFilter {
    if (this.isWord('not')) {
      this.next();
      const t = this.next();
      if (t.t !== 'punct' || t.v !== '(') throw new FilterSyntaxError('not takes a parenthesised filter');
      const expr = this.or(prefix);
      this.expect(')');
      return { op: 'not', expr };
    }
    const t = this.peek();
    if (t.t === 'punct' && t.v === '(') {
      this.next();
      const inner = this.or(prefix);
      this.expect(')');
      return inner;
    }
    return this.comparison(prefix);
  }
  comparison(prefix: string): ScimFilter {
    const a = this.next();
    if (a.t !== 'word') throw new FilterSyntaxError('expected an attribute');
    const attr = normalizeAttr(a.v);
    const open = this.peek();
    if (open.t === 'punct' && open.v === '[') {
      // A value path: the sub-filter's attributes are sub-attributes of this one.
      if (prefix) throw new FilterSyntaxError('value paths do not nest');
      this.next();
      const inner = this.or(`${attr}.`);
      this.expect(']');
      return inner;
    }
    const full = prefix + attr;
    if (full.split('.').length > 2) throw new FilterSyntaxError(`bad attribute ${a.v}`);
    const o = this.next();
    if (o.t !== 'word') throw new FilterSyntaxError('expected an operator');
    const op = o.v.toLowerCase();
    if (op === 'pr') return { op: 'pr', attr: full };
    if (!COMPARE.has(op)) throw new FilterSyntaxError(`unknown operator ${o.v}`);
    const v = this.next();
    let value: string | number | boolean | null;
    if (v.t === 'str') value = v.v;
    else if (v.t === 'word' && /^(true|false|null)$/.test(v.v))
      value = v.v === 'null' ? null : v.v === 'true';
    else if (v.t === 'word' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v.v)) value = Number(v.v);
    else throw new FilterSyntaxError('expected a value (a "string", a number, true, false or null)');
    return { op: op as CompareOp, attr: full, value };
  }
}

/** Parses a filter; throws FilterSyntaxError with what is wrong. */
export function parseFilter(src: string): ScimFilter {
  if (src.length > MAX_FILTER_LENGTH) throw new FilterSyntaxError('the filter is too long');
  const p = new Parser(tokenize(src));
  const f = p.or('');
  if (p.peek().t !== 'end') throw new FilterSyntaxError('unexpected text after the filter');
  return f;
}

const str = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);

/**
 * Whether one element of a multi-valued attribute (an email, a member) matches a value filter of a
 * PATCH path such as `members[value eq "…"]` (attributes without the prefix). Strings compare
 * case-insensitively.
 */
export function matchesElement(elem: Record<string, unknown>, f: ScimFilter, prefix: string): boolean {
  switch (f.op) {
    case 'and':
      return matchesElement(elem, f.left, prefix) && matchesElement(elem, f.right, prefix);
    case 'or':
      return matchesElement(elem, f.left, prefix) || matchesElement(elem, f.right, prefix);
    case 'not':
      return !matchesElement(elem, f.expr, prefix);
  }
  const key = f.attr.startsWith(prefix) ? f.attr.slice(prefix.length) : f.attr;
  const found = Object.entries(elem).find(([k]) => k.toLowerCase() === key);
  const have = str(found?.[1]);
  if (f.op === 'pr') return have !== undefined && have !== null && have !== '';
  const want = str(f.value);
  switch (f.op) {
    case 'eq':
      return have === want;
    case 'ne':
      return have !== want;
    case 'co':
      return typeof have === 'string' && typeof want === 'string' && have.includes(want);
    case 'sw':
      return typeof have === 'string' && typeof want === 'string' && have.startsWith(want);
    case 'ew':
      return typeof have === 'string' && typeof want === 'string' && have.endsWith(want);
    default: {
      if (have === undefined || have === null || want === null) return false;
      const [a, b] = [have as string | number, want as string | number];
      return f.op === 'gt' ? a > b : f.op === 'ge' ? a >= b : f.op === 'lt' ? a < b : a <= b;
    }
  }
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { barChart, columnChart, type Datum, escapeXml } from '../../src/flows/admin/charts.ts';
import {
  attemptOutcomes,
  methodsPerKind,
  type ReportEvent,
  registration,
  resetsPerDay,
  resetsPerMethod,
  windowStart,
} from '../../src/flows/admin/reports.ts';
import { createMethodRegistry } from '../../src/methods/index.ts';
import { defaultPolicy } from '../../src/policy/settings.ts';
import type { Credential } from '../../src/store/credentials.ts';

const DAY = 86_400_000;

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
}

/**
 * A strict little XML reader for the charts: every tag closes in order, attributes are quoted, the
 * only entities are the five XML ones, and no raw '<' or '&' appears in text. Throws otherwise.
 */
function parseXml(xml: string): Node {
  const root: Node = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: Node[] = [root];
  const entity = /&(amp|lt|gt|quot|apos);/g;
  const checkText = (s: string) => {
    if (/[<>]/.test(s)) throw new Error(`raw markup in text: ${s}`);
    if (/&/.test(s.replace(entity, ''))) throw new Error(`bare & in: ${s}`);
    return s.replace(entity, (_m, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e as 'amp']);
  };
  let i = 0;
  while (i < xml.length) {
    if (xml[i] !== '<') {
      const end = xml.indexOf('<', i);
      const raw = xml.slice(i, end === -1 ? xml.length : end);
      stack[stack.length - 1].text += checkText(raw);
      i = end === -1 ? xml.length : end;
      continue;
    }
    const close = xml.indexOf('>', i);
    if (close === -1) throw new Error('unterminated tag');
    const tag = xml.slice(i + 1, close);
    i = close + 1;
    if (tag.startsWith('/')) {
      const top = stack.pop();
      if (!top || top.name !== tag.slice(1)) throw new Error(`</${tag.slice(1)}> closes <${top?.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const m = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*\/?$/.exec(tag);
    if (!m) throw new Error(`malformed tag <${tag}>`);
    const node: Node = { name: m[1], attrs: {}, children: [], text: '' };
    for (const a of m[2].matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (a[1] in node.attrs) throw new Error(`duplicate attribute ${a[1]}`);
      node.attrs[a[1]] = checkText(a[2]);
    }
    stack[stack.length - 1].children.push(node);
    if (!selfClosing) stack.push(node);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (root.children.length !== 1 || root.children[0].name !== 'svg') throw new Error('not one <svg> element');
  return root.children[0];
}

function find(n: Node, pred: (n: Node) => boolean, out: Node[] = []): Node[] {
  if (pred(n)) out.push(n);
  for (const c of n.children) find(c, pred, out);
  return out;
}

/** Bars as [label, value shown beside the bar] in order. */
function barsOf(svg: Node): Array<[string, string, string]> {
  return find(svg, (n) => n.name === 'g' && n.attrs.class === 'bar').map((g) => {
    const value = g.children.find((c) => c.name === 'text' && c.attrs.class === 'value');
    return [g.attrs['data-label'], g.attrs['data-value'], value?.text ?? ''];
  });
}

describe('reports: counting seeded audit events', () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 15, 9, 30));
  const now = clock.now();
  const ev = (at: number | Date, activity: string, result: string, methods?: unknown): ReportEvent => ({
    at: new Date(at),
    activity,
    result,
    details: methods === undefined ? null : { methods },
  });

  it('counts completed resets per UTC day over 30 days, zeros included, edges exact', () => {
    const start = windowStart(now).getTime();
    assert.equal(new Date(start).toISOString(), '2026-02-14T00:00:00.000Z');
    const events = [
      ev(start, 'reset.complete', 'succeeded', ['app']),
      ev(start - 1, 'reset.complete', 'succeeded', ['app']), // the day before the window
      ev(start + 3 * DAY + 5, 'reset.complete', 'succeeded', ['sms']),
      ev(start + 3 * DAY + 6, 'reset.complete', 'succeeded', ['sms']),
      ev(start + 3 * DAY + 7, 'reset.complete', 'failed', ['sms']), // not a completed reset
      ev(start + 3 * DAY + 8, 'reset.attempt', 'succeeded', ['sms']), // attempts are counted elsewhere
      ev(Date.UTC(2026, 2, 15, 23, 59, 59), 'reset.complete', 'succeeded', ['email']), // later today
      ev(Date.UTC(2026, 2, 16), 'reset.complete', 'succeeded', ['email']), // tomorrow
    ];
    const days = resetsPerDay(events, now);
    assert.equal(days.length, 30);
    assert.equal(days[0].day, '2026-02-14');
    assert.equal(days[29].day, '2026-03-15');
    assert.deepEqual(
      days.filter((d) => d.count).map((d) => [d.day, d.count]),
      [
        ['2026-02-14', 1],
        ['2026-02-17', 2],
        ['2026-03-15', 1],
      ],
    );
    // Moving the clock a day forward drops the first day.
    clock.advance(DAY);
    assert.equal(
      resetsPerDay(events, clock.now()).reduce((n, d) => n + d.count, 0),
      4,
      'tomorrow is now today',
    );
    assert.equal(resetsPerDay(events, clock.now())[0].day, '2026-02-15');
    clock.set(now);
  });

  it('counts resets per method (each method of a two-method reset once) in a stable order', () => {
    const events = [
      ev(now.getTime() - DAY, 'reset.complete', 'succeeded', ['email', 'app']),
      ev(now.getTime() - 2 * DAY, 'reset.complete', 'succeeded', ['sms', 'sms']),
      ev(now.getTime() - 3 * DAY, 'reset.complete', 'succeeded', ['questions', 'app']),
      ev(now.getTime() - 4 * DAY, 'reset.complete', 'succeeded', 'app'), // malformed details are ignored
      ev(now.getTime() - 40 * DAY, 'reset.complete', 'succeeded', ['voice']), // outside the window
    ];
    assert.deepEqual(resetsPerMethod(events, now), [
      { method: 'app', count: 2 },
      { method: 'sms', count: 1 },
      { method: 'email', count: 1 },
      { method: 'questions', count: 1 },
    ]);
  });

  it('counts where attempts end, every result listed', () => {
    const t = now.getTime() - DAY;
    const events = [
      ...[
        'succeeded',
        'succeeded',
        'failed',
        'blocked',
        'cancelled',
        'abandoned',
        'abandoned',
        'contacted_admin',
      ].map((r) => ev(t, 'reset.attempt', r)),
      ev(t, 'reset.attempt', 'exploded'),
      ev(t, 'signin.password', 'failed'),
      ev(now.getTime() - 31 * DAY, 'reset.attempt', 'failed'),
    ];
    assert.deepEqual(attemptOutcomes(events, now), [
      { result: 'succeeded', count: 2 },
      { result: 'failed', count: 1 },
      { result: 'blocked', count: 1 },
      { result: 'cancelled', count: 1 },
      { result: 'abandoned', count: 2 },
      { result: 'contacted_admin', count: 1 },
    ]);
  });

  it('counts methods per kind and who is registered and capable of reset', () => {
    const cred = (userId: string, kind: string): Credential => ({
      id: `${userId}-${kind}-${Math.random()}`,
      userId,
      kind,
      label: '',
      data: {},
      lookup: null,
      isDefault: false,
      createdAt: now,
      confirmedAt: now,
      lastUsedAt: null,
    });
    const creds = [
      cred('u1', 'app'),
      cred('u1', 'app'),
      cred('u1', 'email'),
      cred('u2', 'app'),
      cred('adm', 'app'),
      cred('adm', 'questions'),
    ];
    assert.deepEqual(methodsPerKind(creds), [
      { kind: 'app', users: 3, registered: 4 },
      { kind: 'email', users: 1, registered: 1 },
      { kind: 'questions', users: 1, registered: 1 },
    ]);
    const byUser = new Map<string, Credential[]>();
    for (const c of creds) byUser.set(c.userId, [...(byUser.get(c.userId) ?? []), c]);
    const users = [
      { id: 'u1', roles: [], groups: ['staff'] },
      { id: 'u2', roles: [], groups: [] },
      { id: 'u3', roles: [], groups: ['staff'] },
      { id: 'adm', roles: ['admin'], groups: ['staff'] },
    ];
    const registry = createMethodRegistry();
    const policy = { ...defaultPolicy(), resetMethods: ['app', 'email', 'questions'] as const } as ReturnType<
      typeof defaultPolicy
    >;
    // Everyone in scope; one gate needed, but an administrator needs two and questions do not count for them.
    assert.deepEqual(registration(policy, registry, users, byUser), {
      active: 4,
      registered: 3,
      inScope: 4,
      capable: 2,
    });
    const twoGates = { ...policy, resetGatesRequired: 2 as const };
    assert.deepEqual(registration(twoGates, registry, users, byUser), {
      active: 4,
      registered: 3,
      inScope: 4,
      capable: 1,
    });
    const selected = { ...policy, resetScope: 'selected' as const, resetGroups: ['staff'] };
    assert.deepEqual(registration(selected, registry, users, byUser), {
      active: 4,
      registered: 3,
      inScope: 3,
      capable: 1,
    });
  });
});

describe('reports: SVG charts', () => {
  const data: Datum[] = [
    { label: 'Authenticator app', value: 12 },
    { label: '<script>alert("x")</script> & co', value: 3 },
    { label: "テキスト メッセージ (SMS) と O'Brien の長いラベルはここで切り詰められます", value: 0 },
    { label: 'Email', value: 7 },
  ];

  it('draws well-formed bar charts whose labels and values equal the table', () => {
    const svg = barChart(data, { id: 'c1', title: 'Methods <by> "kind"' });
    const root = parseXml(svg);
    assert.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
    assert.equal(root.attrs.role, 'img');
    assert.equal(root.attrs['aria-labelledby'], 'c1-title');
    const title = root.children.find((c) => c.name === 'title')!;
    assert.equal(title.attrs.id, 'c1-title');
    assert.equal(title.text, 'Methods <by> "kind"');
    const bars = barsOf(root);
    assert.deepEqual(
      bars.map(([label, value, shown]) => [label, Number(value), Number(shown)]),
      data.map((d) => [d.label, d.value, d.value]),
      'each bar is labelled with its table row and shows the same number',
    );
    assert.ok(!svg.includes('<script>'), 'labels are escaped');
    assert.ok(!/\sstyle=/.test(svg), 'no inline styles (the CSP forbids them)');
    // Longer bars for larger values; zero draws nothing.
    const widths = find(root, (n) => n.name === 'rect').map((r) => Number(r.attrs.width));
    assert.deepEqual(
      widths.map((w, i) => [data[i].value, w > 0]),
      data.map((d) => [d.value, d.value > 0]),
    );
    assert.ok(widths[0] > widths[3] && widths[3] > widths[1]);
  });

  it('draws a well-formed column chart for a series of days', () => {
    const days: Datum[] = Array.from({ length: 30 }, (_, i) => ({
      label: new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10),
      value: i % 7 === 0 ? i : 0,
    }));
    const root = parseXml(columnChart(days, { id: 'per-day', title: 'Resets per day', labelEvery: 7 }));
    const bars = barsOf(root);
    assert.equal(bars.length, 30);
    assert.deepEqual(
      bars.map(([label, value, shown]) => [label, Number(value), Number(shown)]),
      days.map((d) => [d.label, d.value, d.value]),
    );
    const labels = find(root, (n) => n.name === 'text' && n.attrs.class === 'label').map((n) => n.text);
    assert.deepEqual(labels, ['2026-01-01', '2026-01-08', '2026-01-15', '2026-01-22', '2026-01-29']);
  });

  it('handles no data and odd values without breaking the markup', () => {
    parseXml(barChart([], { id: 'empty', title: 'Nothing' }));
    const root = parseXml(
      barChart(
        [
          { label: 'x', value: Number.NaN },
          { label: 'y', value: -4 },
        ],
        { id: 'odd', title: 'Odd' },
      ),
    );
    assert.deepEqual(
      barsOf(root).map((b) => b[1]),
      ['0', '0'],
    );
    assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

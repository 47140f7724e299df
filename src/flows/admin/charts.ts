/**
 * A tiny server-side SVG chart renderer: horizontal bars for categories, columns for a series of
 * days. No script and no style attributes (the CSP forbids inline styles): colours come from
 * presentation attributes, overridable by classes in the admin stylesheet. Every bar carries its
 * label and value as text and as data attributes, so the chart reads the same as its table.
 */

export interface Datum {
  label: string;
  value: number;
}

export interface ChartOptions {
  /** Unique within the page: used for the accessible title's id. */
  id: string;
  title: string;
  width?: number;
}

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const safeId = (id: string) => id.replace(/[^A-Za-z0-9_-]/g, '-');
const FILL = '#2b5fd9';
const TEXT = '#1b1f24';
const MUTED = '#5b636e';

function clampValue(v: number): number {
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/** Shortens a label to about `max` characters (full-width characters count double). */
function shorten(label: string, max: number): string {
  let width = 0;
  let out = '';
  for (const ch of label) {
    width +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch)
        ? 2
        : 1;
    if (width > max) return `${out}…`;
    out += ch;
  }
  return out;
}

function open(id: string, title: string, width: number, height: number, kind: string): string {
  const tid = `${safeId(id)}-title`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-${kind}" viewBox="0 0 ${width} ${height}" ` +
    `width="${width}" height="${height}" role="img" aria-labelledby="${tid}"><title id="${tid}">${escapeXml(title)}</title>`
  );
}

/**
 * Each datum with its value (clamped) and its bar's length on an axis of `span`, scaled to the
 * largest value; a non-zero value is at least 1 long, so it never vanishes.
 */
function scaled(data: Datum[], span: number) {
  const max = Math.max(0, ...data.map((d) => clampValue(d.value)));
  return data.map((d) => {
    const v = clampValue(d.value);
    return { d, v, length: max ? Math.max(v ? 1 : 0, Math.round((v / max) * span)) : 0 };
  });
}

const axis = (x1: number, y1: number, x2: number, y2: number) =>
  `<line class="axis" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${MUTED}" stroke-width="1"/>`;

/** Horizontal bars, one row per category, with the label on the left and the value at the bar's end. */
export function barChart(data: Datum[], opts: ChartOptions): string {
  const width = opts.width ?? 560;
  const row = 28;
  const labelW = 240;
  const valueW = 48;
  const top = 8;
  const height = top * 2 + Math.max(1, data.length) * row;
  const span = width - labelW - valueW - 8;
  const parts = [open(opts.id, opts.title, width, height, 'bar'), axis(labelW, top, labelW, height - top)];
  scaled(data, span).forEach(({ d, v, length: w }, i) => {
    const y = top + i * row;
    const label = escapeXml(d.label);
    parts.push(
      `<g class="bar" data-label="${label}" data-value="${num(v)}">` +
        `<title>${label}: ${num(v)}</title>` +
        `<text class="label" x="${labelW - 6}" y="${y + row / 2 + 4}" text-anchor="end" font-size="13" fill="${TEXT}">${escapeXml(shorten(d.label, 32))}</text>` +
        `<rect class="bar-rect" x="${labelW}" y="${y + 5}" width="${w}" height="${row - 10}" fill="${FILL}"/>` +
        `<text class="value" x="${labelW + w + 4}" y="${y + row / 2 + 4}" font-size="12" fill="${TEXT}">${num(v)}</text>` +
        '</g>',
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Vertical columns for a series (one per day), the value above each column, every few labels below. */
export function columnChart(data: Datum[], opts: ChartOptions & { labelEvery?: number }): string {
  const width = opts.width ?? 640;
  const height = 220;
  // Room for half a date label at either end.
  const left = 32;
  const right = 32;
  const top = 18;
  const bottom = 30;
  const plotH = height - top - bottom;
  const n = Math.max(1, data.length);
  const slot = (width - left - right) / n;
  const barW = Math.max(2, slot * 0.7);
  const every = opts.labelEvery ?? Math.max(1, Math.ceil(n / 6));
  const base = top + plotH;
  const parts = [open(opts.id, opts.title, width, height, 'column'), axis(left, base, width - right, base)];
  scaled(data, plotH).forEach(({ d, v, length: h }, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    const cx = (x + barW / 2).toFixed(1);
    const label = escapeXml(d.label);
    // Every few columns, and the last one unless a label sits just before it.
    const last = i === data.length - 1 && i % every >= every / 2;
    const showLabel = i % every === 0 || last;
    parts.push(
      `<g class="bar" data-label="${label}" data-value="${num(v)}">` +
        `<title>${label}: ${num(v)}</title>` +
        `<rect class="bar-rect" x="${x.toFixed(1)}" y="${base - h}" width="${barW.toFixed(1)}" height="${h}" fill="${FILL}"/>` +
        `<text class="value" x="${cx}" y="${base - h - 4}" text-anchor="middle" font-size="9" fill="${TEXT}">${num(v)}</text>` +
        (showLabel
          ? `<text class="label" x="${cx}" y="${base + 16}" text-anchor="middle" font-size="10" fill="${MUTED}">${escapeXml(shorten(d.label, 10))}</text>`
          : '') +
        '</g>',
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

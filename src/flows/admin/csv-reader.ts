/**
 * A streaming RFC 4180 reader: records come out as the text comes in, so a file of any size is read
 * with memory bounded by one record. Quoted cells may hold commas, doubled quotes and line breaks;
 * a leading byte-order mark is skipped; CRLF and LF both end a record. Limits make a hostile file
 * (one endless cell, thousands of columns) an error of its line, not an exhausted process.
 */

export interface CsvRecord {
  /** The line the record starts on (1 = the header). */
  line: number;
  cells: string[];
}

export type CsvSyntaxReason = 'unterminated' | 'cellTooLong' | 'tooManyCells' | 'badQuote' | 'notUtf8';

export class CsvSyntaxError extends Error {
  readonly line: number;
  readonly reason: CsvSyntaxReason;
  constructor(line: number, reason: CsvSyntaxReason) {
    super(`line ${line}: ${reason}`);
    this.line = line;
    this.reason = reason;
  }
}

export const MAX_CELL = 4096;
export const MAX_CELLS = 64;

export async function* readCsv(source: AsyncIterable<string | Uint8Array>): AsyncGenerator<CsvRecord> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let line = 1;
  let start = 1;
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  /** The previous character closed a quoted part ("..."), so only , or a line end may follow. */
  let closed = false;
  let pendingCR = false;
  /** Inside a quoted part, a quote was read: a second one makes a literal quote, anything else ends the part. */
  let quoteSeen = false;
  let first = true;

  const endCell = () => {
    if (cells.length >= MAX_CELLS) throw new CsvSyntaxError(start, 'tooManyCells');
    cells.push(cell);
    cell = '';
    closed = false;
  };

  for await (const chunk of source) {
    let text: string;
    try {
      text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    } catch {
      throw new CsvSyntaxError(line, 'notUtf8');
    }
    if (first && text.length) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const out: CsvRecord[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (pendingCR) {
        pendingCR = false;
        if (c === '\n') continue;
      }
      if (quoted) {
        if (quoteSeen) {
          quoteSeen = false;
          if (c === '"') {
            cell += '"';
            continue;
          }
          // The quote closed the quoted part: this character is read outside it.
          quoted = false;
          closed = true;
        } else if (c === '"') {
          quoteSeen = true;
          continue;
        } else {
          if (c === '\n') line++;
          cell += c;
          if (cell.length > MAX_CELL) throw new CsvSyntaxError(start, 'cellTooLong');
          continue;
        }
      }
      if (c === ',') {
        endCell();
      } else if (c === '\r' || c === '\n') {
        endCell();
        if (!(cells.length === 1 && cells[0] === '')) out.push({ line: start, cells });
        cells = [];
        line++;
        start = line;
        if (c === '\r') pendingCR = true;
      } else if (c === '"') {
        if (cell !== '' || closed) throw new CsvSyntaxError(start, 'badQuote');
        quoted = true;
      } else {
        if (closed) throw new CsvSyntaxError(start, 'badQuote');
        cell += c;
        if (cell.length > MAX_CELL) throw new CsvSyntaxError(start, 'cellTooLong');
      }
    }
    for (const r of out) yield r;
  }
  try {
    decoder.decode();
  } catch {
    throw new CsvSyntaxError(line, 'notUtf8');
  }
  if (quoted && quoteSeen) quoted = false;
  if (quoted) throw new CsvSyntaxError(start, 'unterminated');
  if (cell !== '' || cells.length) {
    endCell();
    yield { line: start, cells };
  }
}

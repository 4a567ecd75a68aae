/**
 * CSV (RFC 4180: quoted fields, `""` escapes, commas and newlines inside quotes). The header
 * row names the columns, and a column's name gives its values meaning: a column named 身份证号
 * holding tokens is still an ID column. Each row is one record holding one person
 * (CLARIFICATIONS 1). Paths read like JSON paths over an array of rows: `$[*].身份证号`.
 */
import type { FieldInfo, ScanContext } from './context.ts';
import { Person } from './subjects.ts';

/** Cells shorter than this match no detector; only a column meaning makes them worth a call. */
const minValueLength = 6;

export class CsvWalker {
  private columns: FieldInfo[] | null = null;
  private readonly positional: string[] = [];
  private row = 0;
  private readonly base: string;

  constructor(
    private readonly ctx: ScanContext,
    root = '$',
  ) {
    this.base = `${root}[*]`;
  }

  /** Walks complete rows of `text[from, to)` (a stream cuts only at row boundaries). */
  rows(text: string, from: number, to: number): void {
    const ctx = this.ctx;
    ctx.realPath = (segment) => `${this.base.slice(0, -3)}[${this.row}]${segment}`;
    let i = from;
    while (i < to) {
      const isHeader = this.columns === null;
      const header: string[] = [];
      const person = new Person();
      let column = 0;
      let cells = 0;
      for (;;) {
        let start: number;
        let end: number;
        let decoded: string | null = null;
        if (i < to && text.charCodeAt(i) === 34) {
          start = i + 1;
          let j = start;
          let escaped = false;
          for (;;) {
            const quote = text.indexOf('"', j);
            if (quote < 0 || quote >= to) {
              // Unterminated quote: the rest is one cell; say so, but still scan it.
              ctx.parseError ??= `row ${this.row + 1}: unterminated quoted field`;
              end = to;
              i = to;
              break;
            }
            if (quote + 1 < to && text.charCodeAt(quote + 1) === 34) {
              escaped = true;
              j = quote + 2;
              continue;
            }
            end = quote;
            i = quote + 1;
            break;
          }
          if (escaped) decoded = text.slice(start, end).replaceAll('""', '"');
          // Stray characters after a closing quote belong to the cell (lenient, like most readers).
          while (i < to) {
            const c = text.charCodeAt(i);
            if (c === 44 || c === 10 || c === 13) break;
            i++;
          }
        } else {
          start = i;
          while (i < to) {
            const c = text.charCodeAt(i);
            if (c === 44 || c === 10 || c === 13) break;
            i++;
          }
          end = i;
        }
        if (isHeader) header.push(decoded ?? text.slice(start, end));
        else if (end > start) {
          cells++;
          this.cell(text, start, end, decoded, column, person);
        }
        column++;
        if (i >= to) break;
        const c = text.charCodeAt(i);
        i++;
        if (c === 44) continue;
        if (c === 13 && i < to && text.charCodeAt(i) === 10) i++;
        break;
      }
      if (isHeader) {
        this.header(header);
        continue;
      }
      if (cells === 0 && column <= 1) continue; // an empty line is no record
      ctx.finishPerson(person);
      ctx.endRecord();
      this.row++;
    }
  }

  private header(names: string[]): void {
    const ctx = this.ctx;
    const columns = names.map((name) => ctx.field(name.trim()));
    if (columns.some((column) => column.keyHoldsValues)) {
      // A "header" holding ID numbers or phones is data: the file has no header row.
      this.columns = names.map(() => ({ meaning: null, isName: false, segment: '', keyHoldsValues: false, memoBase: '', memoPath: '' }));
      const person = new Person();
      names.forEach((name, column) => {
        this.cell(name, 0, name.length, null, column, person);
      });
      ctx.finishPerson(person);
      ctx.endRecord();
      this.row++;
      return;
    }
    this.columns = columns;
  }

  private cell(text: string, start: number, end: number, decoded: string | null, column: number, person: Person): void {
    const columns = this.columns!;
    const info = columns[column];
    const meaningful = info !== undefined && (info.meaning !== null || info.isName);
    if (end - start < minValueLength && !meaningful) return;
    const segment = info === undefined || info.segment === '' ? this.positionalSegment(column) : info.segment;
    if (decoded === null) this.ctx.value(text, start, end, info ?? null, this.base, segment, person);
    else this.ctx.value(decoded, 0, decoded.length, info ?? null, this.base, segment, person, start, end);
  }

  /** Columns past the header (or without one) are named by position: `$[*][7]`. */
  private positionalSegment(column: number): string {
    let segment = this.positional[column];
    if (segment === undefined) {
      segment = `[${column}]`;
      this.positional[column] = segment;
    }
    return segment;
  }
}

/**
 * CSV (RFC 4180: quoted fields, `""` escapes, commas and newlines inside quotes). The header
 * row names the columns, and a column's name gives its values meaning: a column named 身份证号
 * holding tokens is still an ID column. Each row is one record holding one person
 * (CLARIFICATIONS 1). Paths read like JSON paths over an array of rows: `$[*].身份证号`.
 */
import { fieldInfo, nothingToDetect, type FieldInfo, type ScanContext } from './context.ts';
import { FindingSite } from './findings.ts';
import { Person } from './subjects.ts';
import { textOf } from './utf8.ts';
import { byteClass, classDigit, classHigh, shortestValue, stopCsv, valueClasses } from './classes.ts';

/** A quoted cell's content with its `""` pairs made single: a copy, scanned in place of the raw bytes. */
function unquote(src: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    out[n++] = src[i]!;
    if (src[i] === 34 && src[i + 1] === 34) i++;
  }
  return out.subarray(0, n);
}

/** Set by plainCellEnd: the byte classes of the cell it read. */
let plainCellFlags = 0;

/**
 * End of the unquoted cell starting at `src[i]` (at a comma, CR, LF or `to`); its byte classes in
 * `plainCellFlags`. Every byte of a CSV body passes through this loop. It is a function of its
 * own, with the table in locals: inside rows() it ran a few percent slower (registers), and
 * through the imported binding, loaded again on every read, 1.6 times as slow.
 */
function plainCellEnd(src: Buffer, i: number, to: number): number {
  const classes = byteClass;
  const stop = stopCsv;
  let flags = 0;
  // Most bytes of a row are digits (IDs, phones, order numbers, timestamps) or CJK characters
  // (names, addresses): a cell's leading run of either is read by a compare a byte, which costs
  // less than a table load; the bytes after it are classified by the table.
  const first = i;
  while (i < to && (src[i]! - 48) >>> 0 < 10) i++;
  if (i > first) flags = classDigit;
  else {
    // Bytes of classHigh: every non-ASCII byte but 0xEF, the lead byte of full-width forms.
    let c = 0;
    while (i < to && (c = src[i]!) >= 0x80 && c !== 0xef) i++;
    if (i > first) flags = classHigh;
  }
  while (i < to) {
    const k = classes[src[i]!]!;
    if ((k & stop) !== 0) break;
    flags |= k;
    i++;
  }
  plainCellFlags = flags & valueClasses;
  return i;
}

interface ColumnPlan {
  info: FieldInfo | null;
  marks: number;
  /** `.身份证号`, or `[7]` for a column without a name. */
  segment: string;
  site: FindingSite;
}

interface HeaderCell {
  name: string;
  start: number;
  end: number;
  decoded: Buffer | null;
}

export class CsvWalker {
  private columns: FieldInfo[] | null = null;
  private readonly positional: string[] = [];
  /** Per column (settled at its first non-empty cell, see planOf): its field, path segment and findings' tallies. */
  private readonly plans: ColumnPlan[] = [];
  private row = 0;
  private readonly base: string;
  private readonly realPath = (segment: string) => `${this.base.slice(0, -3)}[${this.row}]${segment}`;

  constructor(
    private readonly ctx: ScanContext,
    root = '$',
  ) {
    this.base = `${root}[*]`;
  }

  /** Walks complete rows of `src[from, to)` (a stream cuts only at row boundaries). */
  rows(src: Buffer, from: number, to: number): void {
    const ctx = this.ctx;
    ctx.realPath = this.realPath;
    let i = from;
    while (i < to) {
      const header: HeaderCell[] | null = this.columns === null ? [] : null;
      const person = new Person();
      let column = 0;
      let cells = 0;
      for (;;) {
        let start: number;
        let end: number;
        let decoded: Buffer | null = null;
        let flags = -1;
        if (i < to && src[i] === 34) {
          start = i + 1;
          let j = start;
          let escaped = false;
          for (;;) {
            const quote = src.indexOf(34, j);
            if (quote < 0 || quote >= to) {
              // Unterminated quote: the rest is one cell; say so, but still scan it.
              ctx.parseError ??= `row ${this.row + 1}: unterminated quoted field`;
              end = to;
              i = to;
              break;
            }
            if (quote + 1 < to && src[quote + 1] === 34) {
              escaped = true;
              j = quote + 2;
              continue;
            }
            end = quote;
            i = quote + 1;
            break;
          }
          if (escaped) decoded = unquote(src, start, end);
          // Stray characters after a closing quote belong to the cell (lenient, like most readers).
          while (i < to) {
            const c = src[i]!;
            if (c === 44 || c === 10 || c === 13) break;
            i++;
          }
        } else {
          start = i;
          i = plainCellEnd(src, i, to);
          flags = plainCellFlags;
          end = i;
        }
        if (header !== null) {
          const name = decoded === null ? textOf(src, start, end) : textOf(decoded, 0, decoded.length);
          header.push({ name, start, end, decoded });
        } else if (end > start) {
          cells++;
          this.cell(src, start, end, decoded, column, person, flags);
        }
        column++;
        if (i >= to) break;
        const c = src[i]!;
        i++;
        if (c === 44) continue;
        if (c === 13 && i < to && src[i] === 10) i++;
        break;
      }
      if (header !== null) {
        this.header(src, header);
        continue;
      }
      if (cells === 0 && column <= 1) continue; // an empty line is no record
      ctx.finishPerson(person);
      ctx.endRecord();
      this.row++;
    }
  }

  private header(src: Buffer, cells: HeaderCell[]): void {
    const ctx = this.ctx;
    const columns = cells.map((cell) => ctx.field(cell.name.trim()));
    if (columns.some((column) => column.keyHoldsValues)) {
      // A "header" holding ID numbers or phones is data: the file has no header row.
      this.columns = cells.map(() => fieldInfo(null, false, '', false, null));
      const person = new Person();
      cells.forEach((cell, column) => {
        if (cell.end > cell.start) this.cell(src, cell.start, cell.end, cell.decoded, column, person, -1);
      });
      ctx.finishPerson(person);
      ctx.endRecord();
      this.row++;
      return;
    }
    this.columns = columns;
  }

  /** A cell at `src[start, end)`; `flags`: its byte classes, -1 when the walker did not classify it (quoted). */
  private cell(src: Buffer, start: number, end: number, decoded: Buffer | null, column: number, person: Person, flags: number): void {
    const plan = this.plans[column] ?? this.planOf(column);
    // A column whose name means nothing: most cells hold nothing a detector finds (amounts,
    // statuses), passed over without a call.
    if (plan.marks === 0 && (end - start < shortestValue || (flags >= 0 && nothingToDetect(src, start, end, flags)))) return;
    if (decoded === null) this.ctx.value(src, start, end, plan.info, this.base, plan.segment, person, -1, -1, flags, plan.site);
    else this.ctx.value(decoded, 0, decoded.length, plan.info, this.base, plan.segment, person, start, end, -1, plan.site);
  }

  /** What a column's name makes of its cells, settled at its first cell instead of at every one. */
  private planOf(column: number): ColumnPlan {
    const info = this.columns![column] ?? null;
    const segment = info === null || info.segment === '' ? this.positionalSegment(column) : info.segment;
    const plan: ColumnPlan = { info, marks: info === null ? 0 : info.marks, segment, site: new FindingSite() };
    this.plans[column] = plan;
    return plan;
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

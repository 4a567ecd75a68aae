/**
 * A decoded copy of part of a body with a map back to its raw bytes. Encodings that a
 * recipient's parser undoes (XML character references, CDATA sections, `\uXXXX` escapes) must not
 * hide a value from the scan, so the value detectors read the copy; the masker rewrites the raw
 * text, so evidence spans found in the copy are moved back onto the value as written.
 */
import type { ValueSpan } from './types.ts';

export class Rewrite {
  bytes: Buffer;
  length = 0;
  /**
   * Runs of the copy, four numbers each: start in the copy, start and end in the raw body, and 1
   * when the run stands for its raw range as a whole (a reference) rather than byte for byte.
   * Starts in the copy only grow; raw ranges need not (moved pieces, see markup.ts).
   */
  private runs: number[] = [];

  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(Math.max(capacity, 64));
  }

  /** Appends `src[from, to)` as it is. */
  copy(src: Buffer, from: number, to: number): void {
    if (from >= to) return;
    this.reserve(to - from);
    const runs = this.runs;
    const last = runs.length - 4;
    // A copy that continues the previous one byte for byte extends it: most runs stay long.
    if (last >= 0 && runs[last + 3] === 0 && runs[last + 2] === from && runs[last]! + (from - runs[last + 1]!) === this.length) runs[last + 2] = to;
    else runs.push(this.length, from, to, 0);
    this.length += src.copy(this.bytes, this.length, from, to);
  }

  /** Appends the character `codePoint`, written in the raw body as `raw[from, to)`. */
  char(codePoint: number, from: number, to: number): void {
    this.reserve(4);
    this.runs.push(this.length, from, to, 1);
    this.length += this.bytes.write(String.fromCodePoint(codePoint), this.length, 'utf8');
  }

  /** Appends a newline that stands for nothing in the raw body: keeps apart pieces that are not adjacent there. */
  separator(at: number): void {
    this.reserve(1);
    this.runs.push(this.length, at, at, 1);
    this.bytes[this.length++] = 10;
  }

  /** Moves spans found in the copy (those from index `first` on) onto the raw bytes. */
  mapSpans(spans: ValueSpan[] | null, first: number): void {
    if (spans === null) return;
    for (let k = first; k < spans.length; k++) {
      const span = spans[k]!;
      const start = this.runAt(span.start);
      const end = this.runAt(Math.max(span.end - 1, span.start));
      const runs = this.runs;
      span.start = runs[start + 3] === 1 ? runs[start + 1]! : runs[start + 1]! + (span.start - runs[start]!);
      span.end = runs[end + 3] === 1 ? runs[end + 2]! : runs[end + 1]! + (span.end - runs[end]!);
    }
  }

  /** Index in `runs` of the run holding byte `at` of the copy. */
  private runAt(at: number): number {
    const runs = this.runs;
    let low = 0;
    let high = runs.length / 4 - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (runs[mid * 4]! <= at) low = mid;
      else high = mid - 1;
    }
    return low * 4;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.length + n, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

const escapeMark = Buffer.from('\\u');

function hexAt(src: Buffer, i: number): number {
  const c = src[i]! | 32;
  if (c >= 48 && c <= 57) return c - 48;
  return c >= 97 && c <= 102 ? c - 87 : -1;
}

/** The UTF-16 unit of a `\uXXXX` escape at `src[i]`, or -1. */
function unitAt(src: Buffer, i: number, to: number): number {
  if (i + 6 > to || src[i] !== 92 || src[i + 1] !== 117) return -1;
  const a = hexAt(src, i + 2);
  const b = hexAt(src, i + 3);
  const c = hexAt(src, i + 4);
  const d = hexAt(src, i + 5);
  return (a | b | c | d) < 0 ? -1 : (a << 12) | (b << 8) | (c << 4) | d;
}

/**
 * The `\uXXXX` escape at `src[i]` (a backslash), as JSON reads it: its code point, with `end` set
 * past it (a surrogate pair is one character of two escapes; a lone surrogate is U+FFFD); -1 when
 * there is none.
 */
export function unicodeEscape(src: Buffer, i: number, to: number, end: { at: number }): number {
  const unit = unitAt(src, i, to);
  if (unit < 0) return -1;
  end.at = i + 6;
  if (unit < 0xd800 || unit > 0xdfff) return unit;
  const low = unit <= 0xdbff ? unitAt(src, i + 6, to) : -1;
  if (low < 0xdc00 || low > 0xdfff) return 0xfffd;
  end.at = i + 12;
  return 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
}

/** Whether `src[from, to)` may hold a `\uXXXX` escape: one search, so plain text pays nothing more. */
export function mayHoldEscapes(src: Buffer, from: number, to: number): boolean {
  return src.subarray(from, to).indexOf(escapeMark) >= 0;
}

/**
 * `src[from, to)` with its `\uXXXX` escapes decoded: a recipient that parses the text as JSON
 * reads `\u0031` as `1`. Only the copy is scanned, so a value written plainly is counted once.
 */
export function rewriteEscapes(src: Buffer, from: number, to: number): Rewrite {
  const out = new Rewrite(to - from);
  const end = { at: 0 };
  let copied = from;
  let i = src.indexOf(92, from);
  while (i >= 0 && i < to) {
    const cp = unicodeEscape(src, i, to, end);
    if (cp < 0) i = src.indexOf(92, i + 1);
    else {
      out.copy(src, copied, i);
      out.char(cp, i, end.at);
      copied = end.at;
      i = src.indexOf(92, copied);
    }
  }
  out.copy(src, copied, to);
  return out;
}

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

/**
 * NDJSON: each line is one record holding one person (CLARIFICATIONS 1). A line that is not
 * JSON is not a way around inspection: what follows the error is scanned as text, and the
 * scan says `parseError` with the line number.
 */
import { firstNonBlank } from './classes.ts';
import type { ScanContext } from './context.ts';
import type { JsonWalker } from './json.ts';
import { Person } from './subjects.ts';

export class NdjsonWalker {
  /** Records seen so far: the real index in evidence paths (`$[12].buyer.idNo`). */
  private record = 0;

  constructor(
    private readonly ctx: ScanContext,
    private readonly json: JsonWalker,
    private readonly root = '$',
  ) {}

  /** Walks the complete lines of `src[from, to)`; a last line without newline counts too. */
  lines(src: Buffer, from: number, to: number): void {
    const ctx = this.ctx;
    let i = from;
    while (i < to) {
      let newline = src.indexOf(10, i);
      if (newline < 0 || newline > to) newline = to;
      if (firstNonBlank(src, i, newline) >= 0) {
        const person = new Person();
        const outcome = this.json.line(src, i, newline, person, this.record, this.root);
        if (outcome.error !== null) {
          ctx.parseError ??= `line ${this.record + 1}: ${outcome.error}`;
          const rest = outcome.errorAt;
          ctx.realPath = () => `${this.root}[${this.record}]`;
          ctx.value(src, rest, newline, null, `${this.root}[*]`, '', person);
        }
        ctx.finishPerson(person);
        ctx.endRecord();
        this.record++;
      }
      i = newline + 1;
    }
  }
}

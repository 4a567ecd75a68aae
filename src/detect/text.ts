/**
 * Free text (any text/*, and malformed JSON): one record holding one person (CLARIFICATIONS 1).
 * The value detectors find values and hotwords (身份证号码：…) in the text themselves.
 */
import type { ScanContext } from './context.ts';
import { Person } from './subjects.ts';

export class TextWalker {
  readonly person = new Person();

  constructor(
    private readonly ctx: ScanContext,
    private readonly path = 'text',
  ) {}

  /** Scans a piece of the text; pieces of one body may come in several calls (streams). */
  piece(src: Buffer, from: number, to: number): void {
    const path = this.path;
    this.ctx.realPath = () => path;
    this.ctx.value(src, from, to, null, path, '', this.person);
  }

  finish(): void {
    this.ctx.finishPerson(this.person);
    this.ctx.endRecord();
  }
}

/**
 * Free text (any text/*, and malformed JSON): one record holding one person (CLARIFICATIONS 1).
 * The value detectors find values and hotwords (身份证号码：…) in the text themselves. Text that
 * holds `\uXXXX` escapes is scanned as a JSON parser would read it: a recipient that parses the
 * body as JSON whatever its type reads `\u0031` as `1`.
 */
import type { ScanContext } from './context.ts';
import { mayHoldEscapes, rewriteEscapes } from './rewrite.ts';
import { Person } from './subjects.ts';

/** Scans `src[from, to)` as free text for `person`, escapes decoded (spans stay on the text as written). */
export function scanText(ctx: ScanContext, src: Buffer, from: number, to: number, path: string, person: Person): void {
  ctx.realPath = () => path;
  if (!mayHoldEscapes(src, from, to)) {
    ctx.value(src, from, to, null, path, '', person);
    return;
  }
  const text = rewriteEscapes(src, from, to);
  const first = ctx.spans?.length ?? 0;
  ctx.value(text.bytes, 0, text.length, null, path, '', person);
  text.mapSpans(ctx.spans, first);
}

export class TextWalker {
  readonly person = new Person();

  constructor(
    private readonly ctx: ScanContext,
    private readonly path = 'text',
  ) {}

  /** Scans a piece of the text; pieces of one body may come in several calls (streams). */
  piece(src: Buffer, from: number, to: number): void {
    scanText(this.ctx, src, from, to, this.path, this.person);
  }

  finish(): void {
    this.ctx.finishPerson(this.person);
    this.ctx.endRecord();
  }
}

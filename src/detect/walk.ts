/**
 * Dispatch of a body's UTF-8 bytes to the walker of its kind. Used for whole bodies and for the
 * parts of a multipart body, so a JSON part is walked exactly like a JSON body.
 */
import type { BodyKind } from './decode.ts';
import { firstNonBlank } from './classes.ts';
import type { ScanContext } from './context.ts';
import { CsvWalker } from './csv.ts';
import { walkForm } from './form.ts';
import { JsonWalker } from './json.ts';
import { walkMarkup } from './markup.ts';
import { NdjsonWalker } from './ndjson.ts';
import { walkXml } from './xml.ts';
import { TextWalker } from './text.ts';

export interface WalkOptions {
  maxDepth: number;
  /** Path prefix: `$` for a body, `part:<name>` inside multipart. */
  root: string;
}

/** What a body without a content type looks like: JSON when it starts like JSON, else text. */
export function sniffKind(src: Buffer, from: number, to: number): BodyKind {
  const i = firstNonBlank(src, from, Math.min(to, from + 1024));
  const c = i < 0 ? -1 : src[i];
  return c === 123 || c === 91 ? 'json' : 'text';
}

export function walkBytes(ctx: ScanContext, kind: BodyKind, src: Buffer, from: number, to: number, options: WalkOptions): void {
  const jsonRoot = options.root === '$' ? '$' : `${options.root}$`;
  switch (kind) {
    case 'json': {
      const outcome = new JsonWalker(ctx, options.maxDepth).document(src, from, to, jsonRoot);
      if (outcome.error !== null) {
        // Malformed JSON is not a way around inspection: the rest is read as text (issue 2, point 4).
        ctx.parseError ??= outcome.error;
        const rest = new TextWalker(ctx, options.root === '$' ? 'text' : options.root);
        rest.piece(src, outcome.errorAt, to);
        rest.finish();
      }
      return;
    }
    case 'ndjson':
      new NdjsonWalker(ctx, new JsonWalker(ctx, options.maxDepth), jsonRoot === '$' ? '$' : jsonRoot).lines(src, from, to);
      return;
    case 'csv':
      new CsvWalker(ctx, jsonRoot).rows(src, from, to);
      return;
    case 'xml':
      walkXml(ctx, src, from, to, options.root === '$' ? 'text' : options.root, options.maxDepth);
      return;
    case 'markup':
      walkMarkup(ctx, src, from, to, options.root === '$' ? 'text' : options.root);
      return;
    case 'form':
      walkForm(ctx, src, from, to, options.root === '$' ? 'form' : options.root);
      return;
    default: {
      const walker = new TextWalker(ctx, options.root === '$' ? 'text' : options.root);
      walker.piece(src, from, to);
      walker.finish();
    }
  }
}

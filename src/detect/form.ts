/**
 * application/x-www-form-urlencoded: walked by key; the whole body is one record holding one
 * person (CLARIFICATIONS 1). Percent-encoding must not hide a value, so encoded keys and values
 * are decoded before scanning and their spans cover the raw, encoded text.
 */
import type { ScanContext } from './context.ts';
import { Person } from './subjects.ts';
import { textOf } from './utf8.ts';

function needsDecoding(src: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = src[i]!;
    if (c === 37 || c === 43) return true;
  }
  return false;
}

/** Decodes one form component; malformed escapes are kept as they are rather than failing. */
export function decodeFormComponent(raw: string): string {
  const spaced = raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

export function walkForm(ctx: ScanContext, src: Buffer, from: number, to: number, root = 'form'): void {
  const person = new Person();
  ctx.realPath = (segment) => root + segment;
  let i = from;
  while (i < to) {
    let amp = src.indexOf(38, i);
    if (amp < 0 || amp > to) amp = to;
    let eq = src.indexOf(61, i);
    if (eq < 0 || eq > amp) eq = amp;
    const rawKey = textOf(src, i, eq);
    const pairKey = needsDecoding(src, i, eq) ? decodeFormComponent(rawKey) : rawKey;
    if (pairKey.length > 0 || eq < amp) {
      const info = ctx.field(pairKey);
      if (info.keyHoldsValues) ctx.keyValues(pairKey, root, info, person, i, eq);
      const start = Math.min(eq + 1, amp);
      if (start < amp) {
        if (needsDecoding(src, start, amp)) {
          const value = Buffer.from(decodeFormComponent(textOf(src, start, amp)));
          ctx.value(value, 0, value.length, info, root, info.segment, person, start, amp);
        } else ctx.value(src, start, amp, info, root, info.segment, person);
      }
    }
    i = amp + 1;
  }
  ctx.finishPerson(person);
  ctx.endRecord();
}

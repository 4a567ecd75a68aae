/**
 * application/x-www-form-urlencoded: walked by key; the whole body is one record holding one
 * person (CLARIFICATIONS 1). Percent-encoding must not hide a value, so encoded keys and values
 * are decoded before scanning and their spans cover the raw, encoded text.
 */
import type { ScanContext } from './context.ts';
import { Person } from './subjects.ts';

function needsDecoding(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
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

export function walkForm(ctx: ScanContext, text: string, from: number, to: number, root = 'form'): void {
  const person = new Person();
  let pairKey = '';
  ctx.realPath = (segment) => root + segment;
  let i = from;
  while (i < to) {
    let amp = text.indexOf('&', i);
    if (amp < 0 || amp > to) amp = to;
    let eq = text.indexOf('=', i);
    if (eq < 0 || eq > amp) eq = amp;
    const rawKey = text.slice(i, eq);
    pairKey = needsDecoding(text, i, eq) ? decodeFormComponent(rawKey) : rawKey;
    if (pairKey.length > 0 || eq < amp) {
      const info = ctx.field(pairKey);
      if (info.keyHoldsValues) ctx.keyValues(pairKey, root, info, person, i, eq);
      const start = Math.min(eq + 1, amp);
      if (start < amp) {
        if (needsDecoding(text, start, amp)) {
          const value = decodeFormComponent(text.slice(start, amp));
          ctx.value(value, 0, value.length, info, root, info.segment, person, start, amp);
        } else ctx.value(text, start, amp, info, root, info.segment, person);
      }
    }
    i = amp + 1;
  }
  ctx.finishPerson(person);
  ctx.endRecord();
}

/**
 * application/x-www-form-urlencoded: walked by key; the whole body is one record holding one
 * person (CLARIFICATIONS 1). Percent-encoding must not hide a value, so encoded keys and values
 * are decoded before scanning (twice encoded ones too) and their spans cover the raw, encoded
 * text. The gateway scans the URL query string as a form body, so this covers it as well.
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

/**
 * Rounds of percent-decoding at most. A recipient behind a proxy, or one that decodes what its
 * framework decoded already, reads `%2531` as `1`, so a value is decoded while escapes remain;
 * the bound keeps a hostile `%252525…` to a few linear passes.
 */
const maxDecodings = 6;
const percentEscape = /%[0-9a-fA-F]{2}/;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 32;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** One more round of `%XX` decoding over UTF-8 bytes (a `+` is a plus by now); malformed escapes stay. */
function percentDecoded(text: string): string {
  const bytes = Buffer.from(text);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const high = bytes[i] === 37 && i + 2 < bytes.length ? hexValue(bytes[i + 1]!) : -1;
    const low = high < 0 ? -1 : hexValue(bytes[i + 2]!);
    if (low < 0) bytes[n++] = bytes[i]!;
    else {
      bytes[n++] = (high << 4) | low;
      i += 2;
    }
  }
  return bytes.toString('utf8', 0, n);
}

/** Decodes one form component fully; malformed escapes are kept as they are rather than failing. */
export function decodeFormComponent(raw: string): string {
  const spaced = raw.replaceAll('+', ' ');
  let text: string;
  try {
    text = decodeURIComponent(spaced);
  } catch {
    // One malformed escape (a user's "100%") must not turn the rest into Latin-1 mojibake: a
    // hotword beside a passport number read as mojibake let the number go unfound.
    text = percentDecoded(spaced);
  }
  return decodePercentFully(text, maxDecodings - 1);
}

/**
 * `%XX` undone as UTF-8 bytes while any remain, `rounds` times at most (a `+` stays a plus):
 * how a recipient that decodes again reads a value. Malformed escapes are kept.
 */
export function decodePercentFully(text: string, rounds = maxDecodings): string {
  for (let round = 0; round < rounds && percentEscape.test(text); round++) text = percentDecoded(text);
  return text;
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

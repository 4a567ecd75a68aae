/**
 * Full-width forms (１３８１２３４５６７８, ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ), as Chinese input methods type
 * them. Each full-width ASCII variant is one UTF-16 unit, like the ASCII char it stands for, so a
 * run is folded into a copy of the same length, scanned, and the hits keep their offsets: writing
 * a number full-width is no way around inspection.
 */
import type { ValueHit } from './types.ts';
import { state } from './values-state.ts';

type Scan = (text: string, start: number, end: number, hint: import('./types.ts').FieldMeaning | null, at: Date, out: ValueHit[]) => void;

/** Full-width digits, letters and ＠: the chars that start a folded run (not the common ，：（）). */
export function startsFullWidthRun(c: number): boolean {
  return (c >= 0xff10 && c <= 0xff19) || (c >= 0xff20 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a);
}

function continuesRun(c: number): boolean {
  // Full-width ASCII variants but the Chinese comma, colon and semicolon, which end a value; ASCII; spaces.
  return (c >= 0xff01 && c <= 0xff5e && c !== 0xff0c && c !== 0xff1a && c !== 0xff1b) || (c >= 0x20 && c <= 0x7e) || c === 0x3000;
}

function fold(c: number): number {
  if (c >= 0xff01 && c <= 0xff5e) return c - 0xfee0;
  return c === 0x3000 ? 32 : c;
}

/** How much text before a run is kept in the copy, so hotwords (护照号码：) still precede the value. */
const context = 24;
let nested = false;

/** Scans the full-width run at `i`; returns where the outer pass resumes (i + 1 when nested). */
export function scanFullWidth(i: number, scan: Scan): number {
  if (nested) return i + 1;
  const { text, start, end, hint, at, out, first } = state;
  let runStart = i;
  // A leading ＋ or － belongs to the number (＋８６ …).
  while (runStart > start && (text.charCodeAt(runStart - 1) === 0xff0b || text.charCodeAt(runStart - 1) === 0xff0d)) runStart--;
  let runEnd = i + 1;
  while (runEnd < end && continuesRun(text.charCodeAt(runEnd))) runEnd++;
  // Shorter than the shortest value (a@b.cn), a run is skipped without a copy, unless a field
  // hint may make a token of it.
  if (runEnd - runStart < 6 && hint === null) return runEnd;
  const windowStart = Math.max(start, runStart - context);
  let folded = text.slice(windowStart, runStart);
  for (let k = runStart; k < runEnd; k++) folded += String.fromCharCode(fold(text.charCodeAt(k)));
  const inner: ValueHit[] = [];
  nested = true;
  try {
    scan(folded, 0, folded.length, hint, at, inner);
  } finally {
    nested = false;
    state.text = text;
    state.start = start;
    state.end = end;
    state.hint = hint;
    state.at = at;
    state.out = out;
    state.first = first;
  }
  const offset = runStart - windowStart;
  for (const hit of inner) {
    if (hit.start < offset) continue; // the context was scanned already by the outer pass
    hit.start += windowStart;
    hit.end += windowStart;
    out.push(hit);
  }
  return runEnd;
}

/** While a folded copy is scanned, its own field-token fallback stays off (the outer call decides). */
export function inFoldedCopy(): boolean {
  return nested;
}

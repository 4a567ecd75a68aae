/**
 * Full-width forms (１３８１２３４５６７８, ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ), as Chinese input methods type
 * them. A run is folded into an ASCII copy, scanned, and the hits are mapped back to the bytes of
 * the run: writing a number full-width is no way around inspection.
 */
import type { ValueHit } from './types.ts';
import { state } from './values-state.ts';
import { threeByteAt, unitsOfByte } from './utf8.ts';

type Scan = (src: Buffer, start: number, end: number, hint: import('./types.ts').FieldMeaning | null, at: Date, out: ValueHit[], wantIds: boolean) => void;

/** Full-width digits, letters and ＠: the chars that start a folded run (not the common ，：（）). */
export function startsFullWidthRun(c: number): boolean {
  return (c >= 0xff10 && c <= 0xff19) || (c >= 0xff20 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a);
}

/**
 * The ASCII char a run continues with at `i`, or -1 where the run ends. Full-width ASCII variants
 * but the Chinese comma, colon and semicolon (which end a value), ASCII, and ideographic spaces.
 */
function foldedAt(s: Buffer, i: number, end: number): number {
  const c = s[i]!;
  if (c < 0x80) return c >= 0x20 && c <= 0x7e ? c : -1;
  const wide = threeByteAt(s, i, end);
  if (wide === 0x3000) return 32;
  if (wide >= 0xff01 && wide <= 0xff5e && wide !== 0xff0c && wide !== 0xff1a && wide !== 0xff1b) return wide - 0xfee0;
  return -1;
}

/** ＋ or － (three bytes each) just before `i`. */
function signBefore(s: Buffer, i: number, lowest: number): boolean {
  if (i - 3 < lowest) return false;
  const c = threeByteAt(s, i - 3, i);
  return c === 0xff0b || c === 0xff0d;
}

/** How much text before a run (UTF-16 units) is kept in the copy, so hotwords (护照号码：) still precede the value. */
const context = 24;
let nested = false;

/** Scans the full-width run at `i`; returns where the outer pass resumes (past the char when nested). */
export function scanFullWidth(i: number, scan: Scan): number {
  if (nested) return i + 3;
  const { src, start, end, hint, at, out, first, wantIds } = state;
  let runStart = i;
  // A leading ＋ or － belongs to the number (＋８６ …).
  while (signBefore(src, runStart, start)) runStart -= 3;
  let runEnd = i;
  let chars = 0;
  while (runEnd < end && foldedAt(src, runEnd, end) >= 0) {
    runEnd += src[runEnd]! < 0x80 ? 1 : 3;
    chars++;
  }
  chars += (i - runStart) / 3;
  // Shorter than the shortest value typed full-width (a@b.cn: the full-width colon ends a run, so
  // no IPv6 address is folded from one), a run is skipped without a copy, unless a field hint
  // may make a token of it.
  if (chars < 6 && hint === null) return runEnd;
  let windowStart = runStart;
  for (let units = 0; windowStart > start && units < context; ) units += unitsOfByte(src[--windowStart]!);
  // The copy: the context's bytes as they are, then the run folded to ASCII; `origin` maps each
  // byte of the copy (and its end) to the body.
  const contextBytes = runStart - windowStart;
  const folded = Buffer.allocUnsafe(contextBytes + chars);
  const origin = new Int32Array(contextBytes + chars + 1);
  src.copy(folded, 0, windowStart, runStart);
  for (let k = 0; k < contextBytes; k++) origin[k] = windowStart + k;
  let n = contextBytes;
  for (let k = runStart; k < runEnd; k += src[k]! < 0x80 ? 1 : 3) {
    origin[n] = k;
    folded[n++] = foldedAt(src, k, runEnd);
  }
  origin[n] = runEnd;
  const inner: ValueHit[] = [];
  nested = true;
  try {
    scan(folded, 0, n, hint, at, inner, wantIds);
  } finally {
    // Every field of the outer call's state, wantIds too: left as the copy's, a plain scan made
    // identifier strings for the rest of the value.
    nested = false;
    state.src = src;
    state.wantIds = wantIds;
    state.start = start;
    state.end = end;
    state.hint = hint;
    state.at = at;
    state.out = out;
    state.first = first;
  }
  for (const hit of inner) {
    if (hit.start < contextBytes) continue; // the context was scanned already by the outer pass
    hit.start = origin[hit.start]!;
    hit.end = origin[hit.end]!;
    out.push(hit);
  }
  return runEnd;
}

/** While a folded copy is scanned, its own field-token fallback stays off (the outer call decides). */
export function inFoldedCopy(): boolean {
  return nested;
}

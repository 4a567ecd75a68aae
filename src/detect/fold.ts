/**
 * Digits of other scripts and invisible format characters, folded before the walk. Python's int()
 * and Java's Long.parseLong read ١٣٨١٢٣٤٥٦٧٨ (Arabic-Indic) or १३८… (Devanagari) as 13812345678,
 * and a reader that keeps the digits of `138<U+200B>12345678` has the number, while the value
 * detectors read ASCII (and full-width forms, values-width.ts). A body holding either is walked as
 * a copy with those digits made ASCII and the format characters inside a word taken out; `origin`
 * maps the copy's bytes back, so spans cover the value as it stands in the body.
 */
import { isAscii, isUtf8 } from 'node:buffer';

export interface Folded {
  bytes: Buffer;
  /** Byte offset in the body of each byte of the copy, and of its end. */
  origin: Int32Array;
}

// ASCII and full-width digits are read as they are already.
const foldable = /(?![0-9\uff10-\uff19])\p{Nd}|\p{Cf}/u;
const decimal = /\p{Nd}/u;
const format = /\p{Cf}/u;

/** The value of a decimal digit: Unicode puts every script's digits in runs of ten from zero. */
function digitValue(cp: number): number {
  let k = 0;
  while (decimal.test(String.fromCodePoint(cp - k - 1))) k++;
  return k % 10;
}

const isWordByte = (b: number) => (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122);

// Whether each BMP character folds, built once on the first body with a non-ASCII character: a
// table lookup per character keeps a Chinese body's check a tenth of its scan, where decoding it to
// a string and testing a regular expression cost half as much as the scan itself.
let bmp: Uint8Array | null = null;

function folds(cp: number): boolean {
  if (cp >= 0x10000) return foldable.test(String.fromCodePoint(cp));
  if (bmp === null) {
    bmp = new Uint8Array(0x10000);
    for (let c = 0x80; c < 0x10000; c++) if ((c < 0xd800 || c > 0xdfff) && foldable.test(String.fromCharCode(c))) bmp[c] = 1;
  }
  return bmp[cp] === 1;
}

/** Whether valid UTF-8 `src` holds a character that folds (a leading byte-order mark, read apart, aside). */
function holdsFoldable(src: Buffer): boolean {
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b < 0x80) continue;
    let cp: number;
    if (b < 0xe0) cp = ((b & 0x1f) << 6) | (src[i + 1]! & 0x3f);
    else if (b < 0xf0) cp = ((b & 0x0f) << 12) | ((src[i + 1]! & 0x3f) << 6) | (src[i + 2]! & 0x3f);
    else cp = ((b & 0x07) << 18) | ((src[i + 1]! & 0x3f) << 12) | ((src[i + 2]! & 0x3f) << 6) | (src[i + 3]! & 0x3f);
    if (folds(cp)) return true;
    i += b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
  }
  return false;
}

/** The folded copy of valid UTF-8 `src`, or null when it holds nothing to fold (the common case). */
export function foldDigits(src: Buffer): Folded | null {
  if (isAscii(src) || !isUtf8(src) || !holdsFoldable(src)) return null;
  const text = src.toString('utf8');
  // A digit of another script takes two bytes or more and folds to one; a dropped character to none.
  const bytes = Buffer.allocUnsafe(src.length);
  const origin = new Int32Array(src.length + 1);
  let n = 0;
  let at = 0;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    const width = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (cp >= 0x80 && (cp < 0xff10 || cp > 0xff19) && decimal.test(char)) {
      origin[n] = at;
      bytes[n++] = 48 + digitValue(cp);
    } else if (cp >= 0x80 && n > 0 && isWordByte(bytes[n - 1]!) && format.test(char)) {
      // Inside a word (after a digit or letter) an invisible character joins, it does not separate.
    } else {
      for (let k = 0; k < width; k++) {
        origin[n] = at + k;
        bytes[n++] = src[at + k]!;
      }
    }
    at += width;
  }
  origin[n] = at;
  if (n === src.length) return null; // nothing changed: every format character stood outside a word
  return { bytes: bytes.subarray(0, n), origin: origin.subarray(0, n + 1) };
}

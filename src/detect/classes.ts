/**
 * Byte classes the walkers OR together while they read a value (one table load per byte they read
 * anyway), so a value that can hold nothing — a status word, a price, a Chinese name — is passed
 * over without a second look, and only values with a digit, an `@` or `:`, a full-width form or
 * a possible plate reach the value detectors.
 */

export const classDigit = 1;
/** `@` (e-mail) and `:` (IPv6). */
export const classTrigger = 2;
export const classUpper = 4;
export const classStar = 8;
/** Lead byte 0xEF: full-width forms (１, ＠, ＊ …). */
export const classWide = 16;
/** Any other byte of a multi-byte character (CJK: a plate's province). */
export const classHigh = 32;
export const classOther = 64;
/** `.` and `-`: with digits alone, a plain number. */
export const classDotMinus = 128;
/** Space, tab, CR, LF. */
export const classBlank = 256;
/** Bytes that end a JSON string's fast scan (quote, backslash). */
export const stopJson = 1024;
/** Bytes that end an unquoted CSV cell (comma, CR, LF). */
export const stopCsv = 2048;
/**
 * The bits of a value's flags: a walker's loop ORs in the other format's stop bits too (a raw LF
 * in a lenient JSON string), and a blank value must still read as blank.
 */
export const valueClasses = stopJson - 1;

export const byteClass = new Uint16Array(256);
for (let b = 0; b < 256; b++) {
  if (b >= 48 && b <= 57) byteClass[b] = classDigit;
  else if (b >= 65 && b <= 90) byteClass[b] = classUpper;
  else if (b === 64 || b === 58) byteClass[b] = classTrigger;
  else if (b === 42) byteClass[b] = classStar;
  else if (b === 46 || b === 45) byteClass[b] = classDotMinus;
  else if (b === 0xef) byteClass[b] = classWide;
  else if (b >= 0x80) byteClass[b] = classHigh;
  else if (b === 32 || b === 9 || b === 10 || b === 13) byteClass[b] = classBlank;
  else byteClass[b] = classOther;
}
byteClass[34]! |= stopJson;
byteClass[92]! |= stopJson;
byteClass[44]! |= stopCsv;
byteClass[10]! |= stopCsv;
byteClass[13]! |= stopCsv;

/** The classes of `src[start, end)`, for values no walker classified (decoded copies, text). */
export function classify(src: Buffer, start: number, end: number): number {
  let flags = 0;
  for (let i = start; i < end; i++) flags |= byteClass[src[i]!]!;
  return flags & valueClasses;
}

/**
 * Bytes of the shortest value a detector finds without a field naming its type: an IPv6 address
 * such as `::1` (an e-mail address takes six, `a@b.cn`). A shorter value is passed over unread.
 */
export const shortestValue = 3;

/** Index of the first byte of `src[from, to)` that is not a space, tab, CR or LF; -1 when none. */
export function firstNonBlank(src: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = src[i]!;
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return i;
  }
  return -1;
}

/** Nothing but blanks (or nothing at all). */
export function blankOnly(flags: number): boolean {
  return (flags & ~classBlank) === 0;
}

/**
 * Whether a value of these classes may hold something the value detectors find: never false when
 * they would (a digit, `@`, `:`, a full-width form, a CJK character with a capital for a plate).
 */
export function worthScanning(flags: number): boolean {
  return (flags & (classDigit | classTrigger | classWide)) !== 0 || (flags & (classHigh | classUpper)) === (classHigh | classUpper);
}

/** Only digits, dots and minus signs: maybe a plain number (an amount, a count). */
export function numberLike(flags: number): boolean {
  return (flags & ~(classDigit | classDotMinus)) === 0;
}

/**
 * The scan works on the UTF-8 bytes of a body, never on a decoded JavaScript string: JSON
 * structure, separators and every identifier are ASCII, so a byte walk finds them at the cost
 * of a typed-array load per byte, while decoding a body costs as much as parsing it (issue 2,
 * "Speed"). Strings are made only for what leaves the scan (field names, identifiers), and
 * offsets become UTF-16 only for the masker (evidence spans).
 */

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Buffer, start: number, end: number) => string }).latin1Slice;

/** `s[a, b)` as a string of its bytes: for ranges known to be ASCII (digits, letters, `@ . + -`). */
export function asciiOf(s: Buffer, a: number, b: number): string {
  return latin1Slice.call(s, a, b);
}

/** `s[a, b)` decoded as UTF-8. */
export function textOf(s: Buffer, a: number, b: number): string {
  return s.toString('utf8', a, b);
}

/** A Buffer over the bytes of `u` without copying them. */
export function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Code point of a well-formed three-byte sequence at `i` (CJK, full-width forms), or -1. */
export function threeByteAt(s: Buffer, i: number, end: number): number {
  const lead = s[i]!;
  if (lead < 0xe0 || lead > 0xef || i + 2 >= end) return -1;
  const b1 = s[i + 1]!;
  const b2 = s[i + 2]!;
  if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80) return -1;
  return ((lead & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
}

/** UTF-16 units a byte starts: 1 for a character's first byte, 2 for a four-byte lead, 0 for continuations. */
export function unitsOfByte(b: number): number {
  if ((b & 0xc0) === 0x80) return 0;
  return b >= 0xf0 ? 2 : 1;
}

/** UTF-16 length of `s[a, b)`. */
export function unitsIn(s: Buffer, a: number, b: number): number {
  let units = 0;
  for (let i = a; i < b; i++) units += unitsOfByte(s[i]!);
  return units;
}

/**
 * Byte offsets of one valid UTF-8 text to the UTF-16 offsets of its decoded string. A cursor moves
 * from one asked offset to the next, so offsets asked in (nearly) increasing order — as the walkers
 * produce them — cost one pass over the text in all.
 */
export class Utf16Offsets {
  private byte = 0;
  private unit = 0;

  constructor(private readonly s: Buffer) {}

  of(offset: number): number {
    const s = this.s;
    while (this.byte < offset) this.unit += unitsOfByte(s[this.byte++]!);
    while (this.byte > offset) this.unit -= unitsOfByte(s[--this.byte]!);
    return this.unit;
  }
}

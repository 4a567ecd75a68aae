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

/**
 * `s[a, b)` of ASCII bytes as a string, for an identifier found in a body: at the lengths most
 * have (11 digits of a mobile, 18 characters of a resident ID) one String.fromCharCode of the
 * bytes, a third of the cost of the native slice (asciiOf) that every other length takes.
 */
export function identifierText(s: Buffer, a: number, b: number): string {
  const n = b - a;
  if (n === 11) return String.fromCharCode(s[a]!, s[a + 1]!, s[a + 2]!, s[a + 3]!, s[a + 4]!, s[a + 5]!, s[a + 6]!, s[a + 7]!, s[a + 8]!, s[a + 9]!, s[a + 10]!);
  if (n === 18) {
    return String.fromCharCode(
      s[a]!, s[a + 1]!, s[a + 2]!, s[a + 3]!, s[a + 4]!, s[a + 5]!, s[a + 6]!, s[a + 7]!, s[a + 8]!,
      s[a + 9]!, s[a + 10]!, s[a + 11]!, s[a + 12]!, s[a + 13]!, s[a + 14]!, s[a + 15]!, s[a + 16]!, s[a + 17]!,
    );
  }
  return asciiOf(s, a, b);
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
 * produce them — cost one pass over the text in all. The pass goes a 4-byte word at a time over
 * ASCII (every byte below 0x80: four units): byte by byte it cost a masked 64 KB body of Chinese
 * names among ASCII keys and digits a sixth of its evidence scan.
 */
export class Utf16Offsets {
  private byte = 0;
  private unit = 0;
  /** The text's aligned 4-byte words, the first at byte `wordBase`. */
  private readonly words: Uint32Array;
  private readonly wordBase: number;

  constructor(private readonly s: Buffer) {
    const wordBase = (4 - (s.byteOffset & 3)) & 3;
    this.wordBase = wordBase;
    this.words = s.length < wordBase + 4 ? new Uint32Array(0) : new Uint32Array(s.buffer, s.byteOffset + wordBase, (s.length - wordBase) >>> 2);
  }

  of(offset: number): number {
    const s = this.s;
    const words = this.words;
    const wordBase = this.wordBase;
    let byte = this.byte;
    let unit = this.unit;
    while (byte < offset) {
      if (byte >= wordBase && ((byte - wordBase) & 3) === 0) {
        // Words wholly before `offset` with no byte of 0x80 or above.
        let w = (byte - wordBase) >>> 2;
        const stop = (offset - wordBase) >>> 2;
        while (w < stop && (words[w]! & 0x80808080) === 0) w++;
        const reached = wordBase + w * 4;
        unit += reached - byte;
        byte = reached;
        if (byte >= offset) break;
      }
      const b = s[byte++]!;
      unit += b < 0x80 ? 1 : unitsOfByte(b);
    }
    while (byte > offset) unit -= unitsOfByte(s[--byte]!);
    this.byte = byte;
    this.unit = unit;
    return unit;
  }
}

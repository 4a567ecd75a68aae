/**
 * JSON walked in one pass over its UTF-8 bytes, never decoding the body nor building the parsed
 * object: the gateway's cost is this loop (issue 2, "Speed"). An explicit stack replaces recursion, so a
 * body nested 100,000 levels deep is refused with XB_ERR_NESTING_TOO_DEEP instead of
 * overflowing the call stack.
 *
 * People (CLARIFICATIONS 1): an object with a name field is a person together with its nameless
 * sub-objects; data outside every named object goes to the single named person of the same
 * array element, or else forms one person per array element (or per top-level object).
 */
import { XborderError } from '../errors.ts';
import { fieldHash, type FieldInfo, type ScanContext } from './context.ts';
import { byteClass, classOther, shortestValue, stopJson, valueClasses, worthScanning } from './classes.ts';
import { Person, placeUnowned, push } from './subjects.ts';
import { textOf } from './utf8.ts';

const OBJECT = 0;
const ARRAY = 1;
const EXPECT_VALUE = 0;
const AFTER_VALUE = 1;
const EXPECT_KEY = 2;

/** Default depth bound: far beyond real payloads, far below what a recursive reader survives. */
export const defaultMaxDepth = 512;

export interface JsonOutcome {
  /** Short reason (never a value) when the text is not JSON; null when it parsed. */
  error: string | null;
  /** Where the unreadable part starts: the caller scans the rest as text. */
  errorAt: number;
}

/**
 * The string of a JSON string literal whose content is `src[start, end)`, escapes undone; null
 * when an escape is not JSON's. Raw control characters are let through, as everywhere else.
 */
function unescape(src: Buffer, start: number, end: number): string | null {
  const literal = textOf(src, start - 1, end + 1);
  try {
    return JSON.parse(literal) as string;
  } catch {
    try {
      return JSON.parse(literal.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)) as string;
    } catch {
      return null;
    }
  }
}

/** The key `expected` (its JSON bytes) followed by its closing quote at `src[start]`. */
function keyAt(src: Buffer, start: number, to: number, expected: Buffer): boolean {
  const n = expected.length;
  if (start + n >= to || src[start + n] !== 34) return false;
  for (let k = 0; k < n; k++) if (src[start + k] !== expected[k]) return false;
  return true;
}

// Longer than any identifier (19 digits) and its separators: such a number is no value of ours.
const longestInteger = 24;

/**
 * The digits of the integer a number literal with a fraction or an exponent stands for
 * (1.3812345678e10, 13812345678.0, 138123456780E-1): JSON.parse and json.loads read a mobile or
 * card number there, so the scan reads those digits, spanning the literal. null for a literal
 * without either, or one that is no integer of a plausible length.
 */
function integerOfNumber(src: Buffer, start: number, end: number): Buffer | null {
  const intStart = src[start] === 45 ? start + 1 : start;
  let i = intStart;
  while (i < end && src[i]! >= 48 && src[i]! <= 57) i++;
  const intEnd = i;
  let fractionEnd = i;
  if (i < end && src[i] === 46) {
    for (fractionEnd = i + 1; fractionEnd < end && src[fractionEnd]! >= 48 && src[fractionEnd]! <= 57; ) fractionEnd++;
    i = fractionEnd;
  }
  let exponent = 0;
  const hasExponent = i < end && (src[i] === 101 || src[i] === 69);
  if (hasExponent) {
    i++;
    const negative = src[i] === 45;
    if (src[i] === 43 || src[i] === 45) i++;
    const from = i;
    for (; i < end && src[i]! >= 48 && src[i]! <= 57 && i - from < 4; i++) exponent = exponent * 10 + src[i]! - 48;
    if (i === from) return null;
    if (negative) exponent = -exponent;
  }
  if (i !== end || (fractionEnd === intEnd && !hasExponent)) return null;
  const fractionStart = Math.min(intEnd + 1, fractionEnd);
  // An amount (123.45) has a fraction and no exponent: no integer, settled before any string is built.
  if (!hasExponent) for (let at = fractionStart; at < fractionEnd; at++) if (src[at] !== 48) return null;
  let digits = src.toString('latin1', intStart, intEnd) + src.toString('latin1', fractionStart, fractionEnd);
  let shift = exponent - (fractionEnd - fractionStart);
  if (shift < 0) {
    // Only trailing zeros may be shifted out: 138123456780e-1 is an integer, 0.13812345678 is not.
    if (-shift > digits.length || !/^0*$/.test(digits.slice(digits.length + shift))) return null;
    digits = digits.slice(0, digits.length + shift);
    shift = 0;
  }
  digits = digits.replace(/^0+/, '');
  if (digits.length === 0 || digits.length + shift > longestInteger) return null;
  return Buffer.from(digits + '0'.repeat(shift));
}

function isWhitespace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

export class JsonWalker {
  private kind: Uint8Array;
  private index: Int32Array;
  /** Depth whose person receives scalars of this frame; -1: each scalar is its own record. */
  private owner: Int32Array;
  private readonly paths: string[];
  /** Field of the member being read (objects) or of the key that opened the array. */
  private readonly fieldOf: (FieldInfo | null)[];
  private readonly acc: (Person | null)[];
  private readonly groups: (Person[] | null)[];
  private readonly named: (Person[] | null)[];
  private readonly elementBase: string[];
  private readonly elementPath: string[];
  /** Frames allocated so far; grows by doubling up to maxDepth (most bodies stay under 16). */
  private capacity = 8;
  private depth = -1;
  private recordDepth = 0;
  /**
   * Under a top-level object, the records are the objects of its shallowest list
   * (`{"orders":[{…},{…}]}` holds two orders, not one document): their depth and count so far.
   */
  private listDepth = Number.POSITIVE_INFINITY;
  private listRecords = 0;
  /** NDJSON: the whole value is one record holding one person. */
  private flatPerson: Person | null = null;
  private rootPath = '$';
  private realRoot = '$';
  /** NDJSON: the line's index; its real path is built only when evidence asks. */
  private lineIndex = -1;
  private lineRoot = '';
  /** Set by stringEnd: the string just read holds a backslash escape. */
  private escaped = false;
  /** Set by stringEnd: the byte classes of the string just read (-1 when it holds escapes). */
  private flags = 0;
  /** Object frames: the last key read, whose `next` predicts the key after it. */
  private readonly lastKey: (FieldInfo | null)[];
  /** First key of the last object that no field opened (a top-level object, an array's array). */
  private rootFirst: FieldInfo | null = null;
  private readonly realPathOf = (segment: string): string => this.realPath(segment);
  /**
   * realPath's part made of the open frames, kept until a frame opens or closes: only the
   * current frame's key and index change in between, and those are not part of it. A record's
   * values share it (a traveller's name, ID and mobile built it three times).
   */
  private realPrefix: string | null = null;

  constructor(
    private readonly ctx: ScanContext,
    private readonly maxDepth = defaultMaxDepth,
  ) {
    const n = this.capacity;
    this.kind = new Uint8Array(n);
    this.index = new Int32Array(n);
    this.owner = new Int32Array(n);
    this.paths = new Array<string>(n).fill('$');
    this.fieldOf = new Array<FieldInfo | null>(n).fill(null);
    this.acc = new Array<Person | null>(n).fill(null);
    this.groups = new Array<Person[] | null>(n).fill(null);
    this.named = new Array<Person[] | null>(n).fill(null);
    this.elementBase = new Array<string>(n).fill('');
    this.elementPath = new Array<string>(n).fill('');
    this.lastKey = new Array<FieldInfo | null>(n).fill(null);
  }

  /**
   * Walks a whole JSON document. Its records: a top-level array's elements; under a top-level
   * object, the objects of its shallowest list of objects, else the object itself. A rule on
   * the number of records must not be escaped by wrapping the list in an envelope.
   */
  document(src: Buffer, from: number, to: number, rootPath = '$'): JsonOutcome {
    this.flatPerson = null;
    this.rootPath = rootPath;
    this.realRoot = rootPath;
    this.lineIndex = -1;
    this.listDepth = Number.POSITIVE_INFINITY;
    this.listRecords = 0;
    const outcome = this.walk(src, from, to);
    // The top-level object already ended one record; its listed objects replace it.
    if (outcome.error === null && this.listRecords > 1) this.ctx.addRecords(this.listRecords - 1);
    return outcome;
  }

  /** Walks one NDJSON line into `person` (the caller ends the record). */
  line(src: Buffer, from: number, to: number, person: Person, lineIndex: number, root = '$'): JsonOutcome {
    this.flatPerson = person;
    if (this.lineRoot !== root) {
      this.lineRoot = root;
      this.rootPath = `${root}[*]`;
    }
    this.lineIndex = lineIndex;
    return this.walk(src, from, to);
  }

  /** Path of the current value with real array indexes (evidence spans only). */
  private realPath(segment: string): string {
    let path = this.realPrefix;
    if (path === null) {
      path = this.lineIndex < 0 ? this.realRoot : `${this.lineRoot}[${this.lineIndex}]`;
      for (let d = 1; d <= this.depth; d++) {
        const parent = d - 1;
        path += this.kind[parent] === ARRAY ? `[${this.index[parent]}]` : this.fieldOf[parent]!.segment;
      }
      this.realPrefix = path;
    }
    if (segment === '[*]' && this.depth >= 0) return `${path}[${this.index[this.depth]}]`;
    return path + segment;
  }

  private open(kind: number, segment: string): void {
    const d = this.depth + 1;
    if (d >= this.maxDepth) {
      throw new XborderError('XB_ERR_NESTING_TOO_DEEP', `JSON nested deeper than ${this.maxDepth} levels`, {
        details: { maxDepth: this.maxDepth },
      });
    }
    if (d >= this.capacity) this.grow();
    const parent = d - 1;
    this.kind[d] = kind;
    this.index[d] = 0;
    this.paths[d] = d === 0 ? this.rootPath : this.childPath(parent, segment);
    this.acc[d] = null;
    this.groups[d] = null;
    this.named[d] = null;
    this.lastKey[d] = null;
    if (kind === OBJECT) this.owner[d] = d;
    else if (d === 0) this.owner[d] = this.flatPerson === null ? -1 : 0;
    else this.owner[d] = this.kind[parent] === OBJECT ? this.owner[parent]! : d;
    // An array inherits the field that opened it (`phones: [...]` items are phones).
    this.fieldOf[d] = kind === ARRAY && d > 0 && this.kind[parent] === OBJECT ? this.fieldOf[parent]! : null;
    if (d === 0) this.recordDepth = kind === ARRAY ? 1 : 0;
    this.depth = d;
    this.realPrefix = null;
  }

  private grow(): void {
    const n = this.capacity * 2;
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    this.kind = kind;
    const index = new Int32Array(n);
    index.set(this.index);
    this.index = index;
    const owner = new Int32Array(n);
    owner.set(this.owner);
    this.owner = owner;
    for (let d = this.capacity; d < n; d++) {
      this.paths.push('$');
      this.fieldOf.push(null);
      this.acc.push(null);
      this.groups.push(null);
      this.named.push(null);
      this.elementBase.push('');
      this.elementPath.push('');
      this.lastKey.push(null);
    }
    this.capacity = n;
  }

  /** Collapsed path of a child container, memoised: every record repeats the same few. */
  private childPath(parent: number, segment: string): string {
    const base = this.paths[parent]!;
    if (this.kind[parent] === ARRAY) {
      if (this.elementBase[parent] !== base) {
        this.elementBase[parent] = base;
        this.elementPath[parent] = base + segment;
      }
      return this.elementPath[parent]!;
    }
    const info = this.fieldOf[parent]!;
    if (info === null) return base + segment;
    if (info.memoBase !== base) {
      info.memoBase = base;
      info.memoPath = base + segment;
    }
    return info.memoPath;
  }

  /** Settles the people of the frame being closed (see the file comment). */
  private close(): void {
    const d = this.depth;
    this.depth = d - 1;
    this.realPrefix = null;
    if (this.flatPerson !== null) return;
    const own = this.acc[d] ?? null;
    let groups = this.groups[d] ?? null;
    let named = this.named[d] ?? null;
    let unowned: Person | null = own;
    if (this.kind[d] === OBJECT && own !== null && own.named) {
      if (groups !== null) for (const group of groups) own.absorb(group);
      groups = null;
      named = push(named, own);
      unowned = null;
    }
    const isElement = d === 0 || this.kind[d - 1] === ARRAY;
    if (isElement && d > 0 && this.recordDepth === 0 && this.kind[d] === OBJECT && d <= this.listDepth) {
      if (d < this.listDepth) {
        this.listDepth = d;
        this.listRecords = 0;
      }
      this.listRecords++;
    }
    if (isElement) {
      groups = placeUnowned(unowned, named, groups);
      if (named !== null) for (const person of named) this.ctx.finishPerson(person);
      named = null;
      if (d === this.recordDepth) {
        if (groups !== null) for (const group of groups) this.ctx.finishPerson(group);
        this.ctx.endRecord();
        return;
      }
    } else if (unowned !== null && unowned.carries) {
      const parentAcc = this.acc[d - 1] ?? null;
      if (parentAcc === null) this.acc[d - 1] = unowned;
      else parentAcc.absorb(unowned);
    }
    if (d > 0) {
      if (named !== null) for (const person of named) this.named[d - 1] = push(this.named[d - 1] ?? null, person);
      if (groups !== null) for (const group of groups) this.groups[d - 1] = push(this.groups[d - 1] ?? null, group);
    }
  }

  /** Closes every open frame after a syntax error, so what was read still counts. */
  private abandon(): void {
    while (this.depth >= 0) this.close();
  }

  /** A scalar of frame `d` is a record by itself: a top-level string, or an item of a top-level array. */
  private isAlone(d: number): boolean {
    return this.flatPerson === null && (d < 0 || this.owner[d]! < 0);
  }

  /** Person receiving a scalar of the current frame (not alone). */
  private personFor(d: number): Person {
    if (this.flatPerson !== null) return this.flatPerson;
    const owner = this.owner[d]!;
    let person = this.acc[owner] ?? null;
    if (person === null) {
      person = new Person();
      this.acc[owner] = person;
    }
    return person;
  }

  /** A scalar at `src[start, end)`; `flags`: its byte classes (-1: a decoded copy, unclassified). */
  private scalar(src: Buffer, start: number, end: number, rawStart: number, rawEnd: number, flags: number): void {
    const d = this.depth;
    const info = d >= 0 ? this.fieldOf[d]! : null;
    if (this.isAlone(d)) {
      const alone = new Person();
      if (end - start >= shortestValue || info !== null) this.valueOf(src, start, end, info, alone, rawStart, rawEnd, flags);
      this.ctx.finishPerson(alone);
      this.ctx.endRecord();
      return;
    }
    if (info === null ? end - start < shortestValue : info.marks === 0 && flags >= 0 && !worthScanning(flags)) return;
    this.valueOf(src, start, end, info, this.personFor(d), rawStart, rawEnd, flags);
  }

  private valueOf(
    src: Buffer,
    start: number,
    end: number,
    info: FieldInfo | null,
    person: Person,
    rawStart: number,
    rawEnd: number,
    flags: number,
  ): void {
    const d = this.depth;
    const base = d >= 0 ? this.paths[d]! : this.rootPath;
    const segment = d >= 0 && this.kind[d] === ARRAY ? '[*]' : info === null ? '' : info.segment;
    this.ctx.value(src, start, end, info, base, segment, person, rawStart, rawEnd, flags);
  }

  /** The key expected at frame `d`: the one that followed the last key read there, or the first key last seen in such an object. */
  private expectedKey(d: number): FieldInfo | null {
    const previous = this.lastKey[d]!;
    if (previous !== null) return previous.next;
    const opener = d > 0 ? this.fieldOf[d - 1]! : null;
    return opener !== null ? opener.first : this.rootFirst;
  }

  private learnKey(d: number, info: FieldInfo): void {
    const previous = this.lastKey[d]!;
    if (previous !== null) previous.next = info;
    else {
      const opener = d > 0 ? this.fieldOf[d - 1]! : null;
      if (opener !== null) opener.first = info;
      else this.rootFirst = info;
    }
  }

  private walk(src: Buffer, from: number, to: number): JsonOutcome {
    const ctx = this.ctx;
    ctx.realPath = this.realPathOf;
    this.depth = -1;
    this.realPrefix = null;
    let i = from;
    let state = EXPECT_VALUE;
    let c = 0;
    let token = from;
    try {
      for (;;) {
        while (i < to && isWhitespace((c = src[i]!))) i++;
        token = i;
        if (i >= to) {
          if (state === AFTER_VALUE && this.depth < 0) return { error: null, errorAt: -1 };
          return this.fail('unexpected end of JSON', token);
        }
        if (state === AFTER_VALUE) {
          const d = this.depth;
          if (d < 0) return this.fail('unexpected data after the JSON value', token);
          if (c === 44) {
            i++;
            if (this.kind[d] === ARRAY) {
              this.index[d]!++;
              state = EXPECT_VALUE;
            } else state = EXPECT_KEY;
          } else if ((c === 125 && this.kind[d] === OBJECT) || (c === 93 && this.kind[d] === ARRAY)) {
            i++;
            this.close();
          } else return this.fail('expected , or a closing bracket', token);
          continue;
        }
        if (state === EXPECT_KEY) {
          if (c !== 34) return this.fail('expected a string key', token);
          const start = i + 1;
          const d = this.depth;
          let info = this.expectedKey(d);
          const expected = info === null ? null : info.keyBytes;
          if (expected !== null && keyAt(src, start, to, expected)) {
            i = start + expected.length + 1;
          } else {
            const end = this.stringEnd(src, start, to);
            if (end < 0) return this.fail('unterminated string', token);
            i = end + 1;
            const key = this.escaped ? this.unescaped(src, start, end) : null;
            info = key !== null ? ctx.field(key) : ctx.fieldAt(src, start, end, fieldHash(src, start, end));
            this.learnKey(d, info);
            if (info.keyHoldsValues) ctx.keyValues(key ?? textOf(src, start, end), this.paths[d]!, info, this.personFor(d), start, end);
          }
          this.lastKey[d] = info;
          this.fieldOf[d] = info!;
          while (i < to && isWhitespace((c = src[i]!))) i++;
          if (c !== 58 || i >= to) return this.fail('expected :', i);
          i++;
          state = EXPECT_VALUE;
          continue;
        }
        // EXPECT_VALUE
        if (c === 34) {
          const start = i + 1;
          const end = this.stringEnd(src, start, to);
          if (end < 0) return this.fail('unterminated string', token);
          const escaped = this.escaped;
          i = end;
          i++;
          const value = escaped ? this.unescaped(src, start, end) : null;
          if (value !== null) {
            // Escapes (\u0031…) must not hide a value: scan the decoded string, span the raw one.
            const decoded = Buffer.from(value);
            this.scalar(decoded, 0, decoded.length, start, end, -1);
          } else this.scalar(src, start, end, -1, -1, escaped ? -1 : this.flags);
          state = AFTER_VALUE;
        } else if (c === 123 || c === 91) {
          const d = this.depth;
          const segment = d < 0 ? '' : this.kind[d] === ARRAY ? '[*]' : (this.fieldOf[d]?.segment ?? '');
          this.open(c === 123 ? OBJECT : ARRAY, segment);
          i++;
          while (i < to && isWhitespace((c = src[i]!))) i++;
          const closer = this.kind[this.depth] === ARRAY ? 93 : 125;
          if (i < to && c === closer) {
            i++;
            this.close();
            state = AFTER_VALUE;
          } else state = this.kind[this.depth] === ARRAY ? EXPECT_VALUE : EXPECT_KEY;
        } else if (c === 45 || (c >= 48 && c <= 57)) {
          const start = i;
          let flags = byteClass[c]!;
          let written = false;
          for (i++; i < to; i++) {
            c = src[i]!;
            if (c === 46 || c === 101 || c === 69) written = true;
            else if (!((c >= 48 && c <= 57) || c === 43 || c === 45)) break;
            flags |= byteClass[c]!;
          }
          // Most numbers are plain integers: only a fraction or an exponent needs reading out.
          const integer = written ? integerOfNumber(src, start, i) : null;
          if (integer !== null) this.scalar(integer, 0, integer.length, start, i, -1);
          else this.scalar(src, start, i, -1, -1, flags);
          state = AFTER_VALUE;
        } else if (c === 116 && i + 4 <= to && src[i + 1] === 114 && src[i + 2] === 117 && src[i + 3] === 101) {
          this.literal(src, i, i + 4);
          i += 4;
          state = AFTER_VALUE;
        } else if (c === 102 && i + 5 <= to && src[i + 1] === 97 && src[i + 2] === 108 && src[i + 3] === 115 && src[i + 4] === 101) {
          this.literal(src, i, i + 5);
          i += 5;
          state = AFTER_VALUE;
        } else if (c === 110 && i + 4 <= to && src[i + 1] === 117 && src[i + 2] === 108 && src[i + 3] === 108) {
          // null carries nothing (CLARIFICATIONS 12), but an item of a top-level array is still a record.
          if (this.isAlone(this.depth)) this.ctx.endRecord();
          i += 4;
          state = AFTER_VALUE;
        } else return this.fail('unexpected character', token);
      }
    } finally {
      if (this.depth >= 0) this.abandon();
    }
  }

  /**
   * Index of the quote closing the string that starts at `start` (-1: unterminated). Sets
   * `escaped`. Raw control characters are let through: inspection is lenient where JSON.parse
   * is strict, it never skips what it cannot parse. No byte of a multi-byte UTF-8 character is
   * a quote or a backslash, so the bytes are read as they come.
   */
  private stringEnd(src: Buffer, start: number, to: number): number {
    // Locals: an imported binding is loaded again on every read of this per-byte loop.
    const classes = byteClass;
    const stop = stopJson;
    let i = start;
    let flags = 0;
    while (i < to) {
      const k = classes[src[i]!]!;
      if ((k & stop) !== 0) break;
      flags |= k;
      i++;
    }
    if (i >= to) return -1;
    if (src[i] === 34) {
      this.escaped = false;
      this.flags = flags & valueClasses;
      return i;
    }
    this.escaped = true;
    for (; i < to; i++) {
      const c = src[i]!;
      if (c === 34) return i;
      if (c === 92) i++;
    }
    return -1;
  }

  /** A string's escapes undone; null (the raw bytes are read, and the body is no JSON) when one is not JSON's. */
  private unescaped(src: Buffer, start: number, end: number): string | null {
    const value = unescape(src, start, end);
    if (value === null) this.ctx.parseError ??= `bad escape in the string at offset ${start - 1}`;
    return value;
  }

  /** true/false under a category field (`残疾: true`) still says something about the person. */
  private literal(src: Buffer, start: number, end: number): void {
    const d = this.depth;
    if ((d >= 0 && this.fieldOf[d] !== null) || this.isAlone(d)) this.scalar(src, start, end, -1, -1, classOther);
  }

  private fail(reason: string, at: number): JsonOutcome {
    this.abandon();
    return { error: `${reason} at offset ${at}`, errorAt: at };
  }
}

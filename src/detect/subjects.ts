/**
 * People of one transfer (CLARIFICATIONS 1–3, 20). Walkers gather what they find into a
 * `Person`; a finished person is handed to `SubjectTally`, which de-duplicates by identifier.
 *
 * The rule is the one the audit counters apply across transfers: a person is a new subject
 * unless one of its identifiers was already seen. Per class (non-sensitive / sensitive) it is
 * applied separately, so the two counts mean exactly what the counters will count.
 * Identifiers are kept as fingerprints in a typed-array set, so the distinct people of a 1 GB
 * stream fit in a few tens of megabytes (CLARIFICATIONS 20).
 */
import type { SensitiveCategory } from '../domain.ts';
import { sensitiveCategories } from '../domain.ts';
import type { SubjectEvidence } from './types.ts';

export function categoryBit(category: SensitiveCategory): number {
  return 1 << sensitiveCategories.indexOf(category);
}

export function categoriesOf(bits: number): SensitiveCategory[] {
  return sensitiveCategories.filter((_, index) => (bits & (1 << index)) !== 0);
}

/** What was found about one person while walking: identifiers, categories, whether a name sits here. */
export class Person {
  /** Fingerprints of the person's distinct normalised identifiers. */
  fps: number[] | null = null;
  /** The identifiers themselves, in the order of `fps`: kept only when evidence is asked for. */
  ids: string[] | null = null;
  /** One of the identifiers is a resident ID (a bare ID may make its holder sensitive). */
  residentId = false;
  /** Bit set of sensitive categories (bit i = sensitiveCategories[i]). */
  categories = 0;
  /** Personal information without an identifier (a name, an address, a diagnosis…). */
  personal = false;
  named = false;
  /**
   * `fps` as a set once the person holds many: a free-text or HTML body is one person (CLARIFICATIONS
   * 1), and checking each new identifier with includes() made a 16 MB text of 671,000 mobiles take
   * 216 s on the gateway's event loop.
   */
  private fpSet: Set<number> | null = null;

  /** `identifier` is null unless evidence is kept; then every identifier of the scan has its string. */
  addId(fp: number, identifier: string | null, residentId: boolean): void {
    const fps = this.fps;
    if (fps === null) this.fps = [fp];
    else if (fps.length === 1) {
      if (fps[0] === fp) return;
      // A second one (a phone beside an ID) in a new two-element array: a push copies the first
      // into room for 17, some 20 ns a record.
      this.fps = [fps[0]!, fp];
    } else if (fps.length < 16 ? fps.includes(fp) : (this.fpSet ??= new Set(fps)).has(fp)) return;
    else {
      fps.push(fp);
      this.fpSet?.add(fp);
    }
    if (identifier !== null) (this.ids ??= []).push(identifier);
    if (residentId) this.residentId = true;
  }

  absorb(other: Person): void {
    const fps = other.fps;
    if (fps !== null) for (let k = 0; k < fps.length; k++) this.addId(fps[k]!, other.ids?.[k] ?? null, false);
    this.residentId ||= other.residentId;
    this.categories |= other.categories;
    this.personal ||= other.personal;
  }

  get carries(): boolean {
    return this.fps !== null || this.personal || this.categories !== 0;
  }
}

/** `list` with `item` appended, made on first use: most objects hold no people of their own. */
export function push<T>(list: T[] | null, item: T): T[] {
  if (list === null) return [item];
  list.push(item);
  return list;
}

/**
 * Where data no name field claimed goes when its list item (or record) ends, in every structured
 * format (CLARIFICATIONS 1): to the single named person there, or else it is a person of its own,
 * added to `groups`, which is returned.
 */
export function placeUnowned(unowned: Person | null, named: readonly Person[] | null, groups: Person[] | null): Person[] | null {
  if (unowned === null || !unowned.carries) return groups;
  if (named !== null && named.length === 1) {
    named[0]!.absorb(unowned);
    return groups;
  }
  return push(groups, unowned);
}

/**
 * Seed of a type's fingerprints, so equal values of two types differ: from the name's length and
 * end characters, which tell the identifier types apart, without a lookup per identifier.
 */
export function typeSeed(type: string): number {
  return Math.imul(type.length, 0x9e3779b1) ^ (type.charCodeAt(0) << 8) ^ (type.charCodeAt(type.length - 1) << 16);
}

/** ASCII case folding of fingerprinted bytes: e-mail addresses compare lower-case, resident IDs' X upper-case. */
export const foldNone = 0;
export const foldLower = 1;
export const foldUpper = 2;

/**
 * cyrb53 (a fast 53-bit hash, exact in a float64) of a type's identifier `lead` + `s[a, b)`, read
 * in place: identifiers are counted without being made strings (evidence alone needs those).
 * `lead` is a char code put before the bytes (the `+` of `+852…`), or -1. Never 0 (an empty slot).
 */
export function fingerprintBytes(seed: number, lead: number, s: Uint8Array, a: number, b: number, fold: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ Math.imul(seed, 31);
  if (lead >= 0) {
    h1 = Math.imul(h1 ^ lead, 2654435761);
    h2 = Math.imul(h2 ^ lead, 1597334677);
  }
  // Four bytes a step (identifiers are 8 to 19 bytes, hashed once per value found); case folding,
  // when asked, is applied byte by byte first, so a value hashes alike whatever its case.
  let i = a;
  if (fold === foldNone) {
    for (; i + 4 <= b; i += 4) {
      const c = s[i]! | (s[i + 1]! << 8) | (s[i + 2]! << 16) | (s[i + 3]! << 24);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  } else {
    for (; i + 4 <= b; i += 4) {
      const c = folded(s[i]!, fold) | (folded(s[i + 1]!, fold) << 8) | (folded(s[i + 2]!, fold) << 16) | (folded(s[i + 3]!, fold) << 24);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  }
  // The last bytes one at a time (the same steps either way; unfolded ones without the call).
  if (fold === foldNone) {
    for (; i < b; i++) {
      const c = s[i]!;
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  } else {
    for (; i < b; i++) {
      const c = folded(s[i]!, fold);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return hash === 0 ? 1 : hash;
}

function folded(c: number, fold: number): number {
  if (fold === foldLower) return c >= 65 && c <= 90 ? c + 32 : c;
  if (fold === foldUpper) return c >= 97 && c <= 122 ? c - 32 : c;
  return c;
}

/** Fingerprint of a normalised identifier string (`cn_mobile:13812345678`): the same as of its bytes. */
export function fingerprint(identifier: string): number {
  const colon = identifier.indexOf(':');
  const value = Buffer.from(identifier.slice(colon + 1));
  return fingerprintBytes(typeSeed(identifier.slice(0, colon)), -1, value, 0, value.length, foldNone);
}

const segmentBits = 6;
const segments = 1 << segmentBits;
const two32 = 4294967296;
/** Slots each segment starts with, side by side in the first slab. */
const firstCapacity = 16;
/** Slots of each slab after the first (256 KiB): the slabs of a set stay under about 8 MiB, as its small tables do. */
const slabSlots = 64 * 1024;
/**
 * A segment grown to this many slots (the set holds some 1.6 million identifiers, more than a
 * 64 MB body has) moves to a resizable buffer and grows in place from then on. Creating one
 * reserves address space, which costs more than a whole small scan: only large sets pay for it.
 */
const inPlaceFrom = 32 * 1024;
/** Address space such a segment reserves: room for some 50 million identifiers, committed only as it grows. */
const segmentReserve = 256 * 1024 * 1024;

/** ES2024's resizable ArrayBuffer (Node 20 has it; the project's TypeScript lib is ES2023). */
interface ResizableBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
  readonly maxByteLength: number;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ResizableBuffer;

/**
 * Set of identifier fingerprints (CLARIFICATIONS 20). The first few are kept in a list; then 64
 * segments chosen by 6 bits of the fingerprint, each an open-addressing table of 32 other bits
 * in 4 bytes a slot, filled up to a load of 0.8. Segments start side by side in one slab and
 * double into fresh slab space; at `inPlaceFrom` slots each moves to a resizable buffer and
 * grows in place by a quarter at a time (about 5.5 bytes an identifier: a 1 GB CSV of 17 million
 * IDs and mobiles keeps some 100 MB of them, the bulk of its memory). A grown copy leaves the old
 * table for a garbage collector that comes late (external memory triggers it only every 64 MB or
 * so), and the discarded tables of a 1 GB scan pushed its peak from 230 MB to between 250 and 340. 38 bits
 * tell identifiers apart: among 17 million identifiers about 500 pairs merge, 0.003 %; among the
 * 400,000 of a 64 MB body, none in expectation.
 */
export class FingerprintSet {
  /**
   * The first fingerprints, in a plain list: most transfers hold a few people, and searching a
   * short list costs less than creating the segments' typed arrays.
   */
  private list: number[] | null = [];
  private segmented: SegmentedSet | null = null;
  size = 0;

  /**
   * Sizes an empty set for about `count` fingerprints: a body of known size says how many it can
   * hold, and segments made that large at once are not rehashed on the way there (a tenth of the
   * subject counting of a 1 MB CSV). Past `count` they grow as before.
   */
  expect(count: number): void {
    if (this.list === null || this.list.length > 0 || count <= listLimit) return;
    let capacity = firstCapacity;
    while (capacity * 4 < (count / segments) * 5 && capacity * 2 < inPlaceFrom) capacity *= 2;
    this.segmented = new SegmentedSet(capacity);
    this.list = null;
  }

  /** Adds the fingerprint; true when it was there already. */
  insert(fp: number): boolean {
    const list = this.list;
    if (list === null) {
      const seen = this.segmented!.insert(fp);
      if (!seen) this.size++;
      return seen;
    }
    if (list.includes(fp)) return true;
    list.push(fp);
    this.size++;
    if (list.length > listLimit) {
      const segmented = new SegmentedSet();
      for (const kept of list) segmented.insert(kept);
      this.segmented = segmented;
      this.list = null;
    }
    return false;
  }

  has(fp: number): boolean {
    return this.list === null ? this.segmented!.has(fp) : this.list.includes(fp);
  }

  /** Bytes held, for the memory budget. */
  get bytes(): number {
    return this.list === null ? this.segmented!.bytes : this.list.length * 8;
  }
}

/** Fingerprints a set keeps in its list before it moves them to segments. */
const listLimit = 48;

/** The segments of a FingerprintSet past its first fingerprints (see there). */
class SegmentedSet {
  /** Each segment's table, and where and how many of its slots are in it. */
  private readonly tables: Uint32Array[];
  /**
   * The three below are views of one buffer: a typed array's own buffer costs about a
   * microsecond to make, and a 64 KB body's whole scan some 250.
   */
  private readonly perSegment = new Int32Array(segments * 3);
  private readonly offsets = this.perSegment.subarray(0, segments);
  private readonly capacities = this.perSegment.subarray(segments, segments * 2);
  private readonly counts = this.perSegment.subarray(segments * 2);
  /** 1 once a segment has its own resizable buffer. */
  private readonly own = new Uint8Array(segments);
  /**
   * Where small tables are carved from, and its first free slot. A small table that grows takes
   * fresh slots and leaves its old ones unused: that costs less than a typed array per growth
   * (hundreds per megabyte scanned), and stays bounded, small tables ending at `inPlaceFrom`: at
   * most 64 × 32K slots are ever carved, 8 MiB.
   */
  private slab: Uint32Array;
  private slabUsed: number;
  /** A segment's slots while it is rehashed in place; reused by every growth. */
  private scratch = new Uint32Array(0);

  /** `first`: each segment's slots to begin with, a power of two under `inPlaceFrom`. */
  constructor(first = firstCapacity) {
    // Room for the first tables and their first doublings (a sized set: one doubling, so that a
    // segment past its share does not take a whole new slab).
    this.slab = new Uint32Array(segments * first * (first === firstCapacity ? 4 : 3));
    this.slabUsed = segments * first;
    this.capacities.fill(first);
    this.tables = new Array<Uint32Array>(segments).fill(this.slab);
    for (let k = 0; k < segments; k++) this.offsets[k] = k * first;
  }

  /** Adds the fingerprint; true when it was there already. */
  insert(fp: number): boolean {
    const segment = Math.floor(fp / two32) & (segments - 1);
    const stored = fp >>> 0 || 1; // 0 marks an empty slot
    if ((this.counts[segment]! + 1) * 5 > this.capacities[segment]! * 4) this.grow(segment);
    const table = this.tables[segment]!;
    const base = this.offsets[segment]!;
    const capacity = this.capacities[segment]!;
    // Multiply-shift: the slot follows the stored bits, so a segment can be rebuilt from them alone.
    let slot = Math.floor((stored / two32) * capacity);
    for (;;) {
      const value = table[base + slot]!;
      if (value === stored) return true;
      if (value === 0) {
        table[base + slot] = stored;
        this.counts[segment]!++;
        return false;
      }
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  has(fp: number): boolean {
    const segment = Math.floor(fp / two32) & (segments - 1);
    const table = this.tables[segment]!;
    const base = this.offsets[segment]!;
    const capacity = this.capacities[segment]!;
    const stored = fp >>> 0 || 1;
    for (let slot = Math.floor((stored / two32) * capacity); ; slot = slot + 1 === capacity ? 0 : slot + 1) {
      const value = table[base + slot]!;
      if (value === stored) return true;
      if (value === 0) return false;
    }
  }

  get bytes(): number {
    let sum = 0;
    for (const table of new Set(this.tables)) sum += table.byteLength;
    return sum;
  }

  /** First of `capacity` fresh zero slots in the slab (a new slab when it is full). */
  private carve(capacity: number): number {
    if (this.slabUsed + capacity > this.slab.length) {
      this.slab = new Uint32Array(Math.max(capacity, slabSlots));
      this.slabUsed = 0;
    }
    const first = this.slabUsed;
    this.slabUsed += capacity;
    return first;
  }

  private grow(segment: number): void {
    const old = this.tables[segment]!;
    const oldBase = this.offsets[segment]!;
    const oldCapacity = this.capacities[segment]!;
    let from = old;
    let fromBase = oldBase;
    let table: Uint32Array;
    let base = 0;
    let capacity: number;
    if (this.own[segment] === 1) {
      // Its own buffer already: grown in place by a quarter (the view tracks the buffer's length),
      // its slots rehashed from a copy.
      capacity = Math.ceil(oldCapacity * 1.25);
      if (capacity * 4 > segmentReserve) throw new RangeError('fingerprint set segment past its reserve');
      if (this.scratch.length < oldCapacity) this.scratch = new Uint32Array(oldCapacity * 2);
      this.scratch.set(old.subarray(0, oldCapacity));
      from = this.scratch;
      fromBase = 0;
      (old.buffer as ResizableBuffer).resize(capacity * 4);
      table = old;
      table.fill(0, 0, oldCapacity);
    } else {
      // Small tables double: half the rehashing of smaller steps, in bounded slab space.
      capacity = oldCapacity * 2;
      if (capacity >= inPlaceFrom) {
        table = new Uint32Array(new ResizableArrayBuffer(capacity * 4, { maxByteLength: segmentReserve }));
        this.own[segment] = 1;
      } else {
        base = this.carve(capacity);
        table = this.slab;
      }
    }
    for (let k = fromBase; k < fromBase + oldCapacity; k++) {
      const stored = from[k]!;
      if (stored === 0) continue;
      let slot = Math.floor((stored / two32) * capacity);
      while (table[base + slot] !== 0) slot = slot + 1 === capacity ? 0 : slot + 1;
      table[base + slot] = stored;
    }
    this.tables[segment] = table;
    this.offsets[segment] = base;
    this.capacities[segment] = capacity;
  }
}

/**
 * Bytes of body per identifier that a set is sized for: a CSV row of a name, a resident ID and a
 * mobile takes some 60, a JSON order with the same some 150; more of them only grow the set.
 */
const bytesPerIdentifier = 64;

export class SubjectTally {
  subjects = 0;
  sensitiveSubjects = 0;
  private readonly all = new FingerprintSet();
  /** Created with the first sensitive person: most transfers have none. */
  private sensitiveSeen: FingerprintSet | null = null;
  /** Only when evidence is asked for: people merged by shared identifier. */
  readonly evidence: SubjectEvidence[] | null;
  /**
   * Evidence only: the subject each identifier was first seen with, found by 30 bits of the
   * identifier's fingerprint and confirmed by its string. A map keyed by the strings hashed every fresh
   * identifier (flattened first) two or three times: a tenth of a 64 KB body's evidence scan.
   */
  private readonly registered: Map<number, Registration> | null;

  constructor(
    private readonly bareResidentIdSensitive: boolean,
    withEvidence: boolean,
  ) {
    this.evidence = withEvidence ? [] : null;
    this.registered = withEvidence ? new Map() : null;
  }

  isSensitive(person: Person): boolean {
    if (person.categories !== 0) return true;
    // A bare resident ID makes its holder sensitive only where policy says so (DESIGN §5, CLARIFICATIONS 22).
    return this.bareResidentIdSensitive && person.residentId;
  }

  /** A body of `bytes` is about to be walked: sizes the set for as many identifiers as it may hold. */
  expectBytes(bytes: number): void {
    this.all.expect(Math.floor(bytes / bytesPerIdentifier));
  }

  add(person: Person): void {
    if (!person.carries) return;
    const sensitive = this.isSensitive(person);
    const fps = person.fps;
    if (fps === null) {
      // Personal information with no identifier: one subject, never de-duplicated (CLARIFICATIONS 1).
      this.subjects++;
      if (sensitive) this.sensitiveSubjects++;
      this.evidence?.push({ identifiers: [], sensitive, categories: categoriesOf(person.categories) });
      return;
    }
    // A person's own identifiers are distinct (Person.addId), so one insert per identifier
    // tells whether any was seen before.
    let seen = false;
    let seenSensitive = false;
    if (sensitive) this.sensitiveSeen ??= new FingerprintSet();
    for (let k = 0; k < fps.length; k++) {
      const fp = fps[k]!;
      if (this.all.insert(fp)) seen = true;
      if (sensitive && this.sensitiveSeen!.insert(fp)) seenSensitive = true;
    }
    if (!seen) this.subjects++;
    if (sensitive && !seenSensitive) this.sensitiveSubjects++;
    if (this.evidence !== null) this.addEvidence(person, fps, sensitive, seen);
  }

  /** The subject `identifier` (fingerprint `fp`) was first seen with, if any. */
  private subjectOf(fp: number, identifier: string): SubjectEvidence | null {
    for (let entry = this.registered!.get(registrationKey(fp)) ?? null; entry !== null; entry = entry.next) {
      if (entry.identifier === identifier) return entry.subject;
    }
    return null;
  }

  /** Notes `subject` as the one `identifier` was first seen with (`subjectOf` found none). */
  private register(fp: number, identifier: string, subject: SubjectEvidence): void {
    const key = registrationKey(fp);
    const first = this.registered!.get(key);
    // Another identifier with the same key: chained behind it.
    if (first === undefined) this.registered!.set(key, { identifier, subject, next: null });
    else first.next = { identifier, subject, next: first.next };
  }

  /**
   * `person.ids[k]` is the identifier of `fps[k]` (Person.addId keeps them in step when evidence
   * is kept). `seen`: the set of all fingerprints held one of them; when it held none, no
   * identifier of the person can have been registered (each registered one was added to it).
   */
  private addEvidence(person: Person, fps: number[], sensitive: boolean, seen: boolean): void {
    const ids = person.ids ?? [];
    let subject: SubjectEvidence | null = null;
    for (let k = 0; seen && k < ids.length && subject === null; k++) subject = this.subjectOf(fps[k]!, ids[k]!);
    if (subject === null) {
      // None of them seen before: a new subject with the person's identifiers, distinct already.
      subject = { identifiers: ids.slice(), sensitive, categories: person.categories === 0 ? [] : categoriesOf(person.categories) };
      this.evidence!.push(subject);
      for (let k = 0; k < ids.length; k++) this.register(fps[k]!, ids[k]!, subject);
      return;
    }
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (!subject.identifiers.includes(id)) subject.identifiers.push(id);
      if (this.subjectOf(fps[k]!, id) === null) this.register(fps[k]!, id, subject);
    }
    subject.sensitive ||= sensitive;
    if (person.categories === 0) return;
    for (const category of categoriesOf(person.categories)) {
      if (!subject.categories.includes(category)) subject.categories.push(category);
    }
  }
}

/**
 * 30 bits of a fingerprint: a small integer, which a Map hashes at once (the whole 53-bit
 * fingerprint is a heap number). Identifiers sharing them are told apart by their strings.
 */
function registrationKey(fp: number): number {
  return fp & 0x3fffffff;
}

/** An identifier and the subject it was first seen with; `next`: another identifier of the same key. */
interface Registration {
  identifier: string;
  subject: SubjectEvidence;
  next: Registration | null;
}

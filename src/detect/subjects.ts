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
  ids: string[] | null = null;
  /** Bit set of sensitive categories (bit i = sensitiveCategories[i]). */
  categories = 0;
  /** Personal information without an identifier (a name, an address, a diagnosis…). */
  personal = false;
  named = false;

  addId(identifier: string): void {
    if (this.ids === null) this.ids = [identifier];
    else if (!this.ids.includes(identifier)) this.ids.push(identifier);
  }

  absorb(other: Person): void {
    if (other.ids !== null) for (const id of other.ids) this.addId(id);
    this.categories |= other.categories;
    this.personal ||= other.personal;
  }

  get carries(): boolean {
    return this.ids !== null || this.personal || this.categories !== 0;
  }
}

/** cyrb53: a fast 53-bit string hash, exact in a float64. Collisions at 10^7 ids: ~1 in 10^2. */
export function fingerprint(value: string): number {
  // The type prefix (`cn_resident_id:`) is told apart by its length and first letter (unique
  // among the identifier types); hashing only the rest halves the work.
  const colon = value.indexOf(':');
  let h1 = 0xdeadbeef ^ colon ^ (value.charCodeAt(0) << 8);
  let h2 = 0x41c6ce57 ^ Math.imul(colon, 31);
  for (let i = colon + 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return hash === 0 ? 1 : hash; // 0 marks an empty slot
}

const segmentBits = 6;
const segments = 1 << segmentBits;
const two32 = 4294967296;
const empty = new Uint32Array(0);

/**
 * Set of identifier fingerprints in 4 bytes a slot (CLARIFICATIONS 20): 64 segments chosen by 6
 * bits of the fingerprint, each an open-addressing Uint32Array of 32 other bits. Segments grow
 * by half one at a time, so growing never doubles the memory at once. 38 bits tell identifiers
 * apart: among 7 million identifiers (a 1 GB file) about 90 pairs merge, 0.001 %; among the
 * 400,000 of a 64 MB body, none in expectation.
 */
export class FingerprintSet {
  /** Segments are created on first use: a small body touches a few, at a few hundred bytes. */
  private readonly tables: Uint32Array[] = new Array<Uint32Array>(segments).fill(empty);
  private readonly counts = new Int32Array(segments);
  size = 0;

  /** Adds the fingerprint; true when it was there already. */
  insert(fp: number): boolean {
    const segment = Math.floor(fp / two32) & (segments - 1);
    const stored = fp >>> 0 || 1; // 0 marks an empty slot
    let table = this.tables[segment]!;
    if ((this.counts[segment]! + 1) * 4 > table.length * 3) table = this.grow(segment);

    const capacity = table.length;
    // Multiply-shift: the slot follows the stored bits, so a segment can be rebuilt from them alone.
    let slot = Math.floor((stored / two32) * capacity);
    for (;;) {
      const value = table[slot]!;
      if (value === stored) return true;
      if (value === 0) {
        table[slot] = stored;
        this.counts[segment]!++;
        this.size++;
        return false;
      }
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  has(fp: number): boolean {
    const table = this.tables[Math.floor(fp / two32) & (segments - 1)]!;
    const stored = fp >>> 0 || 1;
    const capacity = table.length;
    if (capacity === 0) return false;
    for (let slot = Math.floor((stored / two32) * capacity); ; slot = slot + 1 === capacity ? 0 : slot + 1) {
      const value = table[slot]!;
      if (value === stored) return true;
      if (value === 0) return false;
    }
  }

  /** Bytes held, for the memory budget. */
  get bytes(): number {
    return this.tables.reduce((sum, table) => sum + table.byteLength, 0);
  }

  private grow(segment: number): Uint32Array {
    const old = this.tables[segment]!;
    const table = new Uint32Array(old.length === 0 ? 16 : Math.ceil(old.length * 1.5));
    const capacity = table.length;
    for (const stored of old) {
      if (stored === 0) continue;
      let slot = Math.floor((stored / two32) * capacity);
      while (table[slot] !== 0) slot = slot + 1 === capacity ? 0 : slot + 1;
      table[slot] = stored;
    }
    this.tables[segment] = table;
    return table;
  }
}

const residentIdPrefix = 'cn_resident_id:';

export class SubjectTally {
  subjects = 0;
  sensitiveSubjects = 0;
  private readonly all = new FingerprintSet();
  private readonly sensitiveSeen = new FingerprintSet();
  /** Only when evidence is asked for: people merged by shared identifier. */
  readonly evidence: SubjectEvidence[] | null;
  private readonly byIdentifier: Map<string, SubjectEvidence> | null;

  constructor(
    private readonly bareResidentIdSensitive: boolean,
    withEvidence: boolean,
  ) {
    this.evidence = withEvidence ? [] : null;
    this.byIdentifier = withEvidence ? new Map() : null;
  }

  isSensitive(person: Person): boolean {
    if (person.categories !== 0) return true;
    // A bare resident ID makes its holder sensitive only where policy says so (DESIGN §5, CLARIFICATIONS 22).
    return this.bareResidentIdSensitive && person.ids !== null && person.ids.some((id) => id.startsWith(residentIdPrefix));
  }

  add(person: Person): void {
    if (!person.carries) return;
    const sensitive = this.isSensitive(person);
    if (person.ids === null) {
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
    for (const id of person.ids) {
      const fp = fingerprint(id);
      if (this.all.insert(fp)) seen = true;
      if (sensitive && this.sensitiveSeen.insert(fp)) seenSensitive = true;
    }
    if (!seen) this.subjects++;
    if (sensitive && !seenSensitive) this.sensitiveSubjects++;
    if (this.evidence !== null && this.byIdentifier !== null) this.addEvidence(person, sensitive);
  }

  private addEvidence(person: Person, sensitive: boolean): void {
    const ids = person.ids ?? [];
    let subject: SubjectEvidence | undefined;
    for (const id of ids) {
      subject = this.byIdentifier!.get(id);
      if (subject) break;
    }
    if (!subject) {
      subject = { identifiers: [], sensitive: false, categories: [] };
      this.evidence!.push(subject);
    }
    for (const id of ids) {
      if (!subject.identifiers.includes(id)) subject.identifiers.push(id);
      if (!this.byIdentifier!.has(id)) this.byIdentifier!.set(id, subject);
    }
    subject.sensitive ||= sensitive;
    for (const category of categoriesOf(person.categories)) {
      if (!subject.categories.includes(category)) subject.categories.push(category);
    }
  }
}

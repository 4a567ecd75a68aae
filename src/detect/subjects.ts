/**
 * People of one transfer (CLARIFICATIONS 1–3, 20). Walkers gather what they find into a
 * `Person`; a finished person is handed to `SubjectTally`, which de-duplicates by identifier.
 *
 * The rule is the one the audit counters apply across transfers: a person is a new subject
 * unless one of its identifiers was already seen. Per class (non-sensitive / sensitive) it is
 * applied separately, so the two counts mean exactly what the counters will count.
 * Identifiers are kept as 53-bit fingerprints in a typed-array set, so the distinct people of a
 * 1 GB stream fit in a few tens of megabytes (CLARIFICATIONS 20).
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
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return hash === 0 ? 1 : hash; // 0 marks an empty slot
}

/** Open-addressing set of fingerprints; 8 bytes a slot, load kept under 3/4. */
export class FingerprintSet {
  private slots = new Float64Array(1024);
  private mask = 1023;
  size = 0;

  has(fp: number): boolean {
    const slots = this.slots;
    for (let i = (fp >>> 0) & this.mask; ; i = (i + 1) & this.mask) {
      const slot = slots[i]!;
      if (slot === fp) return true;
      if (slot === 0) return false;
    }
  }

  add(fp: number): void {
    if ((this.size + 1) * 4 > this.slots.length * 3) this.grow();
    const slots = this.slots;
    for (let i = (fp >>> 0) & this.mask; ; i = (i + 1) & this.mask) {
      const slot = slots[i]!;
      if (slot === fp) return;
      if (slot === 0) {
        slots[i] = fp;
        this.size++;
        return;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.mask = this.slots.length - 1;
    this.size = 0;
    for (const fp of old) if (fp !== 0) this.add(fp);
  }
}

const residentIdPrefix = 'cn_resident_id:';

export class SubjectTally {
  subjects = 0;
  sensitiveSubjects = 0;
  private readonly all = new FingerprintSet();
  private readonly sensitiveSeen = new FingerprintSet();
  private readonly fps: number[] = [];
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
    const fps = this.fps;
    fps.length = 0;
    let seen = false;
    for (const id of person.ids) {
      const fp = fingerprint(id);
      fps.push(fp);
      if (!seen && this.all.has(fp)) seen = true;
    }
    if (!seen) this.subjects++;
    for (const fp of fps) this.all.add(fp);
    if (sensitive) {
      let seenSensitive = false;
      for (const fp of fps) if (this.sensitiveSeen.has(fp)) seenSensitive = true;
      if (!seenSensitive) this.sensitiveSubjects++;
      for (const fp of fps) this.sensitiveSeen.add(fp);
    }
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

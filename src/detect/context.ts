/**
 * The state of one scan that every walker writes into: findings, people, records, spans.
 * Walkers find the structure (keys, cells, lines); this file turns one scalar value and the
 * meaning of its field into findings and person facts, so every format counts the same way.
 */
import type { DataType } from '../domain.ts';
import { mayHoldValuesIn, scanValues } from './values.ts';
import { digitsMayBeValue } from './values-numbers.ts';
import { blankOnly, classDigit, classify, classStar, classWide, firstNonBlank, numberLike, worthScanning } from './classes.ts';
import { isNameField, lookupField } from './dictionary.ts';
import { FindingTally, type FindingSite } from './findings.ts';
import { categoryBit, Person, SubjectTally } from './subjects.ts';
import { isVisiblyMasked } from './values-token.ts';
import type { FieldMeaning, ValueHit, ValueSpan } from './types.ts';
import { textOf } from './utf8.ts';

/** A field name (JSON key, CSV header, form key) resolved once and cached. */
export interface FieldInfo {
  meaning: FieldMeaning | null;
  /** What the name says about its values, as `mark*` bits: read once per value instead of the meaning's fields. */
  marks: number;
  /** categoryBit of the meaning's sensitive category, 0 when none. */
  categoryBit: number;
  /** Path segment as shown in `Finding.paths` (`.idNo`, `["a.b"]`, `.<cn_mobile>` for a key that is itself a value). */
  segment: string;
  /** The key itself holds a value (a JSON key that is a phone number): scanned at every occurrence. */
  keyHoldsValues: boolean;
  /**
   * The key as it stands in JSON (UTF-8, no escapes needed), for the JSON walker to predict it by;
   * null when it needs escapes, and for a key that may hold a resident ID (resolved per scan, see field()).
   */
  keyBytes: Buffer | null;
  /** Memo of the JSON walker: the last parent path and the child path built from it. */
  memoBase: string;
  memoPath: string;
  /**
   * Memo of the JSON walker: the key that followed this one in the last object, and the first key
   * of the last object under this one. Records repeat their keys in order, so the walker compares
   * the key it expects instead of looking the name up.
   */
  next: FieldInfo | null;
  first: FieldInfo | null;
}

/** FieldInfo.marks: the field names a person, a sensitive category, other personal information, a value type. */
export const markName = 1;
export const markCategory = 2;
export const markPersonal = 4;
export const markHint = 8;

export function fieldInfo(meaning: FieldMeaning | null, isName: boolean, segment: string, keyHoldsValues: boolean, key: string | null): FieldInfo {
  let marks = isName ? markName : 0;
  if (meaning?.category !== undefined) marks |= markCategory;
  if (meaning?.personal !== undefined) marks |= markPersonal;
  if (meaning?.valueType !== undefined) marks |= markHint;
  const keyBytes = key === null || /["\\\u0000-\u001f]/.test(key) ? null : Buffer.from(key);
  const bit = meaning?.category === undefined ? 0 : categoryBit(meaning.category);
  return { meaning, marks, categoryBit: bit, segment, keyHoldsValues, keyBytes, memoBase: '', memoPath: '', next: null, first: null };
}

export interface ScanSettings {
  at: Date;
  bareResidentIdSensitive: boolean;
  withEvidence: boolean;
}

const minorBit = categoryBit('minor');
const financialBit = categoryBit('financial_account');

/** Keys longer than this are not cached (a hostile body could make every key distinct and huge). */
const maxCachedKey = 256;
// Probes of the slot table, at most. fieldHash reads only a key's length and end bytes, so keys
// alike at both ends (k1x7, k2x7…; 13920000001, 13920000011…) share one chain of slots, and
// walking the whole chain for each key made 300,000 such keys take 45 s (on the gateway's event
// loop). Past this many probes a key is looked up in the field cache, whose Map hashes it whole.
const maxProbes = 8;
/**
 * Field meanings shared by every scan: the same few hundred names recur across transfers. A
 * body of distinct random keys can only make the cache start over, never grow past the bound.
 * Names that may hold a resident ID are not shared (see field()).
 */
const fieldCache = new Map<string, FieldInfo>();
const noKey = Buffer.alloc(0);
const maxCachedFields = 50_000;
/**
 * UTF-16 units of the shortest resident ID (a legacy 15-digit one), the only value whose validity
 * depends on the scan date: a shorter key (phone2, address_1) resolves alike on every date.
 */
const shortestResidentId = 15;

/**
 * A value carries a field's meaning unless it is empty or visibly masked: a run of three `*` (ASCII or
 * full-width, as the value detectors read it) are what the masker writes, so a masked body re-scans clean (CLARIFICATIONS 12).
 */
export function carriesValue(src: Buffer, start: number, end: number): boolean {
  const first = firstNonBlank(src, start, end);
  return first >= 0 && !isVisiblyMasked(src, first, end);
}

export class ScanContext {
  readonly findings = new FindingTally();
  readonly subjects: SubjectTally;
  /** Value positions for the masker; null when not asked for, or while a part cannot be addressed. */
  spans: ValueSpan[] | null;
  readonly at: Date;
  records = 0;
  identifiable = 0;
  parseError: string | null = null;
  /** Set by the active walker: the path with real indexes, asked only when evidence is kept. */
  realPath: (segment: string) => string = (segment) => segment;
  /** Evidence keeps identifiers as strings; a plain scan counts their fingerprints alone. */
  private readonly withEvidence: boolean;
  private readonly hits: ValueHit[] = [];
  /** Open-addressing cache of field names by a hash of their bytes, read without decoding. */
  private slotKeys: Buffer[] = new Array<Buffer>(16).fill(noKey);
  private slotInfos: (FieldInfo | null)[] = new Array<FieldInfo | null>(16).fill(null);
  private slotMask = 15;
  private slotCount = 0;

  constructor(settings: ScanSettings) {
    this.at = settings.at;
    this.withEvidence = settings.withEvidence;
    this.subjects = new SubjectTally(settings.bareResidentIdSensitive, settings.withEvidence);
    this.spans = settings.withEvidence ? [] : null;
  }

  /**
   * Meaning of a field name, cached per distinct name across scans. A key that may hold a resident
   * ID is resolved by each scan itself: whether it does depends on the scan date (an ID whose
   * birth date is after it is no ID), and a meaning cached under another scan's date put such an
   * ID in clear in this scan's paths (CLARIFICATIONS 14).
   */
  field(key: string): FieldInfo {
    let info = fieldCache.get(key);
    if (info !== undefined) return info;
    const bytes = Buffer.from(key);
    const mayHold = mayHoldValuesIn(bytes, 0, bytes.length);
    const perScan = mayHold && key.length >= shortestResidentId;
    info = this.resolveField(key, bytes, mayHold, perScan);
    if (!perScan && key.length <= maxCachedKey) {
      if (fieldCache.size >= maxCachedFields) fieldCache.clear();
      fieldCache.set(key, info);
    }
    return info;
  }

  /**
   * The field named by the UTF-8 bytes `src[start, end)` (no escapes), `hash` from fieldHash.
   * Field names repeat in every record, so the common case compares bytes in place and
   * allocates nothing.
   */
  fieldAt(src: Buffer, start: number, end: number, hash: number): FieldInfo {
    const length = end - start;
    const mask = this.slotMask;
    for (let slot = hash & mask, probes = 0; probes < maxProbes; slot = (slot + 1) & mask, probes++) {
      const info = this.slotInfos[slot];
      if (info === null || info === undefined) break;
      const key = this.slotKeys[slot]!;
      if (key.length === length && sameBytes(key, src, start, length)) return info;
    }
    const info = this.field(textOf(src, start, end));
    if (length <= maxCachedKey) this.remember(Buffer.from(src.subarray(start, end)), hash, info);
    return info;
  }

  /** Keeps `key` in the slot table within maxProbes of its slot; a key crowded out is looked up by field() instead. */
  private remember(key: Buffer, hash: number, info: FieldInfo): void {
    if ((this.slotCount + 1) * 2 > this.slotKeys.length) {
      const keys = this.slotKeys;
      const infos = this.slotInfos;
      this.slotKeys = new Array<Buffer>(keys.length * 2).fill(noKey);
      this.slotInfos = new Array<FieldInfo | null>(keys.length * 2).fill(null);
      this.slotMask = keys.length * 2 - 1;
      this.slotCount = 0;
      for (let i = 0; i < keys.length; i++) {
        const old = infos[i];
        if (old !== null && old !== undefined) this.remember(keys[i]!, fieldHash(keys[i]!, 0, keys[i]!.length), old);
      }
    }
    const mask = this.slotMask;
    let slot = hash & mask;
    for (let probes = 0; this.slotInfos[slot] !== null; probes++) {
      if (probes + 1 >= maxProbes) return;
      slot = (slot + 1) & mask;
    }
    this.slotKeys[slot] = key;
    this.slotInfos[slot] = info;
    this.slotCount++;
  }

  /** `perScan`: the meaning is this scan's own (see field()). */
  private resolveField(key: string, bytes: Buffer, mayHold: boolean, perScan: boolean): FieldInfo {
    const hits: ValueHit[] = [];
    if (mayHold) scanValues(bytes, 0, bytes.length, null, this.at, hits, false);
    if (hits.length > 0) {
      // A key that is itself an ID number or a phone must not leak into paths (CLARIFICATIONS 14).
      return fieldInfo(null, false, `.<${hits[0]!.type}>`, true, null);
    }
    const plain = /^[\p{L}\p{N}_$-]+$/u.test(key);
    // Such a key has no bytes to be predicted by: the JSON walker's memos live on shared meanings
    // and would hand it to a scan of another date.
    return fieldInfo(lookupField(key), isNameField(key), plain ? `.${key}` : `[${JSON.stringify(key)}]`, false, perScan ? null : key);
  }

  /** Counts the values inside a key that holds them (paths show the placeholder only: `segment`, JSON's by default). */
  keyValues(key: string, base: string, info: FieldInfo, person: Person, rawStart: number, rawEnd: number, segment = info.segment): void {
    const hits = this.hits;
    const bytes = Buffer.from(key);
    scanValues(bytes, 0, bytes.length, null, this.at, hits, this.withEvidence);
    this.recordHits(hits, base, segment, person, rawStart, rawEnd, true);
  }

  /**
   * Whether `value` would do anything with a value of these byte classes under this field: the
   * walkers ask before they find the value its person.
   */
  static wants(info: FieldInfo | null, flags: number): boolean {
    return (info !== null && info.marks !== 0) || worthScanning(flags);
  }

  /**
   * One scalar value at `src[start, end)` under field `info` (null: no field name, e.g. an array
   * item or free text). `rawStart/rawEnd` >= 0 mean `src` is a decoded copy and spans cover
   * the raw range instead (escaped JSON strings, percent-encoded form values). `flags`: the
   * byte classes of the value when the walker knows them (classes.ts), else -1. `site`: the
   * tallies of the place the value stands, when the walker returns there row after row with the
   * same `base`, `segment` and `info` (a CSV column).
   */
  value(
    src: Buffer,
    start: number,
    end: number,
    info: FieldInfo | null,
    base: string,
    segment: string,
    person: Person,
    rawStart = -1,
    rawEnd = -1,
    flags = -1,
    site: FindingSite | null = null,
  ): void {
    if (start === end) return;
    if (flags < 0) flags = classify(src, start, end);
    const marks = info === null ? 0 : info.marks;
    // Under a field naming a value type, the detectors are always asked: a token in an ID column is
    // still an ID (they decide); otherwise the byte classes skip plain words and plain numbers.
    let derived = 0;
    if ((marks & markHint) !== 0 || !nothingToDetect(src, start, end, flags)) {
      const hits = this.hits;
      scanValues(src, start, end, info === null ? null : info.meaning, this.at, hits, this.withEvidence, flags);
      if (hits.length > 0) derived = this.recordHits(hits, base, segment, person, rawStart, rawEnd, false, site);
    }
    if ((marks & (markName | markCategory | markPersonal)) === 0) return;
    // Blank, or visibly masked (stars): carries no meaning.
    if (blankOnly(flags) || ((flags & (classStar | classWide)) !== 0 && !carriesValue(src, start, end))) return;
    const meaning = info!.meaning;
    const spanStart = rawStart >= 0 ? rawStart : start;
    const spanEnd = rawStart >= 0 ? rawEnd : end;
    if ((marks & markName) !== 0) {
      person.named = true;
      person.personal = true;
      if (meaning === null || meaning.personal !== 'person_name') {
        if (site?.name != null) this.findings.again(site.name);
        else {
          const tally = this.findings.add('person_name', base, segment, 'name field');
          if (site !== null) site.name = tally;
        }
        this.span('person_name', segment, spanStart, spanEnd);
      }
    }
    if (meaning === null) return;
    const why = meaning.entry;
    // A card number under 银行账号 is one financial account, not two.
    const category = info!.categoryBit;
    if (category !== 0 && (derived & category) === 0) {
      if (site?.category != null) this.findings.again(site.category);
      else {
        const tally = this.findings.add(meaning.category!, base, segment, why);
        if (site !== null) site.category = tally;
      }
      this.span(meaning.category!, segment, spanStart, spanEnd);
      person.categories |= category;
    }
    if (meaning.personal !== undefined) {
      if (site?.personal != null) this.findings.again(site.personal);
      else {
        const tally = this.findings.add(meaning.personal, base, segment, why);
        if (site !== null) site.personal = tally;
      }
      this.span(meaning.personal, segment, spanStart, spanEnd);
      person.personal = true;
    }
  }

  /** Records validated hits; returns the category bits derived from them (minor, financial account). */
  private recordHits(
    hits: ValueHit[],
    base: string,
    segment: string,
    person: Person,
    rawStart: number,
    rawEnd: number,
    inKey: boolean,
    site: FindingSite | null = null,
  ): number {
    let derived = 0;
    for (let k = 0; k < hits.length; k++) {
      const hit = hits[k]!;
      const known = site?.hit ?? null;
      if (known !== null && known.type === hit.type && site!.hitWhy === hit.why) this.findings.again(known, hit.suspect === true, hit.nonMainland === true);
      else {
        const tally = this.findings.add(hit.type, base, segment, hit.why, hit.suspect === true, hit.nonMainland === true);
        if (site !== null) {
          site.hit = tally;
          site.hitWhy = hit.why;
        }
      }
      if (hit.fp !== 0) person.addId(hit.fp, hit.identifier, hit.type === 'cn_resident_id');
      else if (hit.type !== 'cn_uscc') person.personal = person.personal || isPersonal(hit.type);
      if (hit.minor === true) {
        // PIPL Art. 28: information of a child under 14 is sensitive; derived from the ID's birth date.
        this.findings.add('minor', base, segment, 'resident ID holder under 14 on the scan date');
        person.categories |= minorBit;
        derived |= minorBit;
      }
      if (hit.type === 'bank_card') {
        // A payment card number is a financial account (PIPL Art. 28 金融账户).
        this.findings.add('financial_account', base, segment, 'bank card number');
        person.categories |= financialBit;
        derived |= financialBit;
      }
      if (this.spans !== null) {
        const whole = rawStart >= 0 || inKey;
        const span = { type: hit.type, path: this.realPath(segment), start: whole ? rawStart : hit.start, end: whole ? rawEnd : hit.end };
        this.spans.push(span);
        // The masker drops a minor's record by its `minor` span (CLARIFICATIONS 12); an ID-derived minor needs one too.
        if (hit.minor === true) this.spans.push({ ...span, type: 'minor' });
      }
    }
    while (hits.length > 0) hits.pop();
    return derived;
  }

  private span(type: DataType, segment: string, start: number, end: number): void {
    if (this.spans !== null) this.spans.push({ type, path: this.realPath(segment), start, end });
  }

  /** A person is complete: count it, and whether a name sits beside an identifier (an identifiable individual). */
  finishPerson(person: Person): void {
    if (!person.carries) return;
    if (person.named && person.fps !== null) this.identifiable++;
    this.subjects.add(person);
  }

  endRecord(): void {
    this.records++;
  }

  /** Records a walker counted apart from the people it ended (a JSON envelope's listed objects). */
  addRecords(count: number): void {
    this.records += count;
  }
}

/**
 * Whether the value detectors cannot find anything in a value of these byte classes without a
 * field naming its type: a plain word, a plain number (see plainNumber).
 */
export function nothingToDetect(src: Buffer, start: number, end: number, flags: number): boolean {
  return !worthScanning(flags) || (numberLike(flags) && (flags === classDigit ? !digitsMayBeValue(src, start, end) : plainNumber(src, start, end)));
}

/**
 * Amounts, prices, counts: a lone decimal, or an integer shorter than a mobile number, matches
 * no detector without a field naming its type (an IP has three dots, a coordinate is a pair,
 * an 8-digit Taiwan permit needs its field or hotword). Skipping them here saves a detector
 * call on most numeric fields of a record.
 */
export function plainNumber(src: Buffer, start: number, end: number): boolean {
  let i = start;
  if (i < end && src[i] === 45) i++;
  let digits = 0;
  let dots = 0;
  for (; i < end; i++) {
    const c = src[i]!;
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && dots === 0) dots++;
    else return false;
  }
  return digits > 0 && (dots === 1 || digits < 11);
}

/**
 * Hash of a field name from its length and the bytes at both ends: O(1) whatever the name, so
 * a walker can find the cached meaning without reading the name twice. Names that share length
 * and ends (rare among one payload's keys) just probe further.
 */
export function fieldHash(src: Buffer, start: number, end: number): number {
  const length = end - start;
  if (length === 0) return 0;
  let hash = Math.imul(length, 0x9e3779b1);
  hash = Math.imul(hash ^ src[start]!, 0x85ebca6b);
  hash = Math.imul(hash ^ src[end - 1]!, 0xc2b2ae35);
  if (length > 2) hash = Math.imul(hash ^ src[start + 1]!, 0x27d4eb2f) ^ src[end - 2]!;
  return (hash ^ (hash >>> 15)) | 0;
}

function sameBytes(key: Buffer, src: Buffer, start: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (key[k] !== src[start + k]) return false;
  return true;
}

/** Values that describe a person without identifying one alone still make a record personal. */
function isPersonal(type: DataType): boolean {
  return type !== 'ipv4' && type !== 'ipv6' && type !== 'geo_coordinate' && type !== 'cn_uscc';
}

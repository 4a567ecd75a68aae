/**
 * Accumulates findings per data type: occurrences, up to 5 example paths, distinct reasons.
 * Never sees a raw value — only types, paths and the detector's or dictionary's reason.
 */
import type { DataType, Grade } from '../domain.ts';
import { grades, sensitiveCategories } from '../domain.ts';
import type { Finding } from './types.ts';

const maxPaths = 5;
/** Reasons are short, fixed strings; a bound keeps a hostile body from growing the result. */
const maxWhy = 8;

/** One type's findings so far; the handle a FindingSite keeps. */
export interface Tally {
  type: DataType;
  count: number;
  paths: string[];
  why: string[];
  suspect: number;
  nonMainland: number;
  lastBase: string;
  lastSegment: string;
  lastWhy: string;
}

const categorySet: ReadonlySet<string> = new Set(sensitiveCategories);

/**
 * The tallies one place of a body adds to row after row: a CSV column, whose path and field
 * meaning are the same in every row. Once a finding was added there — its path and reason are
 * then in the tally, or the tally had no room left for them — another one there changes only
 * the counts, so the site keeps the tally and skips the search and the comparisons.
 */
export class FindingSite {
  /** The field's own findings: a name field's person_name, its category, its other PI. */
  name: Tally | null = null;
  category: Tally | null = null;
  personal: Tally | null = null;
  /** The last value found here by a detector: its type and reason, and their tally. */
  hit: Tally | null = null;
  hitWhy = '';
}

/**
 * Grade of a data type (GB/T 43697-2024 with the PI split, CLARIFICATIONS 22).
 * - PIPL Art. 28 categories are sensitive PI.
 * - A resident ID is sensitive only when policy says a bare ID number is (TC260-PG-20244A and
 *   GB/T 45574-2025 dropped it from the sensitive examples; DESIGN §5).
 * - cn_uscc names an organisation, not a person; an IP address or a coordinate alone does not
 *   identify anyone and is general data unless it sits in a person's record, where the
 *   record's other findings carry the PI grade (a track is `location_track` by field name).
 * - Everything else identifies or describes a natural person: PI (PIPL Art. 4).
 */
export function gradeOf(type: DataType, bareResidentIdSensitive: boolean): Grade {
  if (categorySet.has(type)) return 'sensitive-pi';
  switch (type) {
    case 'cn_resident_id':
      return bareResidentIdSensitive ? 'sensitive-pi' : 'pi';
    case 'cn_uscc':
    case 'ipv4':
    case 'ipv6':
    case 'geo_coordinate':
    case 'unscanned_binary':
      return 'general';
    default:
      return 'pi';
  }
}

export class FindingTally {
  /**
   * One tally per type found. A transfer holds a handful of types, and type names are interned
   * literals, so a scan of the list compares a few pointers where a map would hash the name.
   */
  private readonly tallies: Tally[] = [];

  private tallyOf(type: DataType): Tally {
    const tallies = this.tallies;
    for (let k = 0; k < tallies.length; k++) if (tallies[k]!.type === type) return tallies[k]!;
    const tally: Tally = { type, count: 0, paths: [], why: [], suspect: 0, nonMainland: 0, lastBase: '', lastSegment: '', lastWhy: '' };
    tallies.push(tally);
    return tally;
  }

  /**
   * One occurrence of `type` at path `base + segment` (concatenated only while paths are
   * collected). `suspect`: an early Fujian USCC; `nonMainland`: a 71/81/82/83 resident ID.
   */
  add(type: DataType, base: string, segment: string, why: string, suspect = false, nonMainland = false): Tally {
    const tally = this.tallyOf(type);
    tally.count++;
    if (suspect) tally.suspect++;
    if (nonMainland) tally.nonMainland++;
    if (tally.paths.length < maxPaths && (tally.lastBase !== base || tally.lastSegment !== segment)) {
      tally.lastBase = base;
      tally.lastSegment = segment;
      const path = base + segment;
      if (!tally.paths.includes(path)) tally.paths.push(path);
    }
    if (tally.lastWhy !== why) {
      tally.lastWhy = why;
      if (tally.why.length < maxWhy && !tally.why.includes(why)) tally.why.push(why);
    }
    return tally;
  }

  /** One more occurrence where `add` returned `tally` for the same path and reason (see FindingSite). */
  again(tally: Tally, suspect = false, nonMainland = false): void {
    tally.count++;
    if (suspect) tally.suspect++;
    if (nonMainland) tally.nonMainland++;
  }

  /** Findings sorted highest grade first, then by type, for a stable output. */
  toFindings(bareResidentIdSensitive: boolean): Finding[] {
    const findings: Finding[] = [];
    for (const tally of this.tallies) {
      const grade = gradeOf(tally.type, bareResidentIdSensitive);
      const finding: Finding = {
        type: tally.type,
        count: tally.count,
        sensitive: grade === 'sensitive-pi',
        grade,
        paths: tally.paths,
        why: tally.why,
      };
      if (tally.suspect > 0) finding.suspect = tally.suspect;
      // Art. 4 reads it (CLARIFICATIONS 10): resident IDs of Taiwan, Hong Kong and Macao residents.
      if (tally.type === 'cn_resident_id') finding.nonMainland = tally.nonMainland;
      findings.push(finding);
    }
    return findings.sort(
      (a, b) => grades.indexOf(a.grade) - grades.indexOf(b.grade) || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0),
    );
  }
}

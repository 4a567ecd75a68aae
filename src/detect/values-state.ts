/**
 * State of the current scanValues call, shared by the scanner's parts. JavaScript runs one call
 * at a time, and the one re-entry (the folded copy of a full-width run, values-width.ts) saves
 * and restores every field, so module state saves a context object per value.
 */
import type { ValueType } from '../domain.ts';
import type { FieldMeaning, ValueHit } from './types.ts';
import { hotwordBefore } from './values-hotwords.ts';
import { shanghaiYmd } from './values-ids.ts';
import { fingerprint, fingerprintBytes, foldLower, foldNone, foldUpper, typeSeed } from './subjects.ts';
import { identifierText } from './utf8.ts';

export interface ScanState {
  /** UTF-8 bytes being scanned; offsets everywhere are byte offsets into it. */
  src: Buffer;
  start: number;
  end: number;
  hint: FieldMeaning | null;
  /** The scan date; only resident IDs need it, as yyyymmdd in China Standard Time (`today()`). */
  at: Date;
  out: ValueHit[];
  /** Index in `out` of this call's first hit. */
  first: number;
  /** Whether hits carry their identifiers as strings (evidence, the string API), or fingerprints alone. */
  wantIds: boolean;
}

export const state: ScanState = { src: Buffer.alloc(0), start: 0, end: 0, hint: null, at: new Date(0), out: [], first: 0, wantIds: true };

/** The scan date as yyyymmdd in China Standard Time, computed only when an ID needs it (cached). */
export function today(): number {
  return shanghaiYmd(state.at);
}

/** A hit that identifies no one (an IP address, a coordinate, an organisation code, a plate). */
export function push(type: ValueType, start: number, end: number, why: string): ValueHit {
  const hit: ValueHit = { type, start, end, identifier: null, fp: 0, why };
  state.out.push(hit);
  return hit;
}

/**
 * A hit identifying a person by the value `lead` + `s[a, b)` (`lead`: a char code, or -1),
 * case-folded by `fold`: fingerprinted in place, made a string only when asked for.
 */
export function pushId(type: ValueType, start: number, end: number, why: string, s: Buffer, a: number, b: number, lead = -1, fold = foldNone): ValueHit {
  const hit = push(type, start, end, why);
  hit.fp = fingerprintBytes(typeSeed(type), lead, s, a, b, fold);
  if (state.wantIds) {
    let value = identifierText(s, a, b);
    if (fold === foldLower) value = value.toLowerCase();
    else if (fold === foldUpper) value = value.toUpperCase();
    hit.identifier = lead < 0 ? `${type}:${value}` : `${type}:${String.fromCharCode(lead)}${value}`;
  }
  return hit;
}

/** A hit identifying a person by an identifier made as a string (HKIDs, tokens). */
export function pushIdString(type: ValueType, start: number, end: number, why: string, identifier: string): ValueHit {
  const hit = push(type, start, end, why);
  hit.fp = fingerprint(identifier);
  if (state.wantIds) hit.identifier = identifier;
  return hit;
}

/** Why a weak format counts here (field name or hotword), or null when nothing vouches for it. */
export function weakVouch(type: ValueType, valueStart: number): string | null {
  const hint = state.hint;
  if (hint !== null && hint.valueType === type) return `field ${hint.entry}`;
  const word = hotwordBefore(state.src, valueStart, state.start, type);
  return word === null ? null : `hotword ${word}`;
}

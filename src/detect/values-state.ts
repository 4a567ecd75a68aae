/**
 * State of the current findValues call, shared by the scanner's parts. JavaScript runs one call
 * at a time and the pass never re-enters itself, so module state saves a context object per string.
 */
import type { ValueType } from '../domain.ts';
import type { FieldMeaning, ValueHit } from './types.ts';
import { hotwordBefore } from './values-hotwords.ts';
import { shanghaiYmd } from './values-ids.ts';

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
}

export const state: ScanState = { src: Buffer.alloc(0), start: 0, end: 0, hint: null, at: new Date(0), out: [], first: 0 };

/** The scan date as yyyymmdd in China Standard Time, computed only when an ID needs it (cached). */
export function today(): number {
  return shanghaiYmd(state.at);
}

export function push(type: ValueType, start: number, end: number, identifier: string | null, why: string): ValueHit {
  const hit: ValueHit = { type, start, end, identifier, why };
  state.out.push(hit);
  return hit;
}

/** Why a weak format counts here (field name or hotword), or null when nothing vouches for it. */
export function weakVouch(type: ValueType, valueStart: number): string | null {
  const hint = state.hint;
  if (hint !== null && hint.valueType === type) return `field ${hint.entry}`;
  const word = hotwordBefore(state.src, valueStart, state.start, type);
  return word === null ? null : `hotword ${word}`;
}

/**
 * A value under a field that names its type but does not validate — a tokenised or hashed ID in
 * a column named 身份证号 — is still that type (issue 2 point 2): the token identifies the person
 * as well as the number would. A visibly masked value, an empty one or a placeholder is not a
 * value, so a body masked by the gateway re-scans clean (CLARIFICATIONS 12).
 */
import type { ValueType } from '../domain.ts';
import type { FieldMeaning } from './types.ts';
import { push, pushIdString } from './values-state.ts';
import { textOf, threeByteAt, unitsIn } from './utf8.ts';

/** Types whose values identify a person, so a token of them is an identifier too. */
const identifying: ReadonlySet<ValueType> = new Set<ValueType>([
  'cn_resident_id',
  'cn_mobile',
  'bank_card',
  'cn_passport',
  'hk_macao_permit',
  'tw_permit',
  'hkid',
  'hk_mo_phone',
  'email',
]);

/** Placeholders that say "no value" (compared lower-case). */
const placeholders: ReadonlySet<string> = new Set(['null', 'none', 'undefined', 'unknown', 'n/a', 'nil', 'false', 'true', '暂无', '未知', '不详']);

/** Shortest token we take for a value (UTF-16 units); shorter strings are flags and codes, not identifiers. */
const minTokenLength = 4;
/** Longest: past this it is prose, not a token. */
const maxTokenLength = 256;

/** Bytes of the blank at `i` (ASCII blanks, U+3000, U+00A0), 0 when none. */
function blankAt(s: Buffer, i: number, end: number): number {
  const c = s[i]!;
  if (c === 32 || c === 9 || c === 10 || c === 13) return 1;
  if (c === 0xc2) return i + 1 < end && s[i + 1] === 0xa0 ? 2 : 0;
  return c === 0xe3 && threeByteAt(s, i, end) === 0x3000 ? 3 : 0;
}

/** Bytes of the blank ending just before `b`, 0 when none. */
function blankBefore(s: Buffer, a: number, b: number): number {
  if (b - 1 >= a && blankAt(s, b - 1, b) === 1) return 1;
  if (b - 2 >= a && blankAt(s, b - 2, b) === 2) return 2;
  if (b - 3 >= a && blankAt(s, b - 3, b) === 3) return 3;
  return 0;
}

/** True when the text shows a run of three or more masking stars (`138****5678`, full-width ＊ too). */
export function isVisiblyMasked(s: Buffer, start: number, end: number): boolean {
  let run = 0;
  for (let i = start; i < end; i++) {
    const c = s[i]!;
    if (c === 42) {
      if (++run >= 3) return true;
    } else if (c === 0xef && i + 2 < end && s[i + 1] === 0xbc && s[i + 2] === 0x8a) {
      if (++run >= 3) return true;
      i += 2;
    } else run = 0;
  }
  return false;
}

/** Types a token can stand for; coordinates and IP addresses are syntax, a token is neither. */
const tokenable: ReadonlySet<ValueType> = new Set<ValueType>([...identifying, 'cn_uscc', 'cn_plate']);

export function fieldTokenHit(s: Buffer, start: number, end: number, hint: FieldMeaning): void {
  const type = hint.valueType;
  if (type === undefined || !tokenable.has(type)) return;
  let a = start;
  let b = end;
  for (let n = 0; a < b && (n = blankAt(s, a, b)) > 0; ) a += n;
  for (let n = 0; b > a && (n = blankBefore(s, a, b)) > 0; ) b -= n;
  const units = unitsIn(s, a, b);
  if (units < minTokenLength || units > maxTokenLength) return;
  let alnum = false;
  for (let i = a; i < b; i++) {
    const c = s[i]!;
    if (blankAt(s, i, b) > 0) return;
    if ((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122)) alnum = true;
  }
  if (!alnum || isVisiblyMasked(s, a, b)) return;
  const value = textOf(s, a, b);
  if (placeholders.has(value.toLowerCase())) return;
  const why = `field ${hint.entry}`;
  if (identifying.has(type)) pushIdString(type, a, b, why, `${type}:${type === 'email' ? value.toLowerCase() : value}`);
  else push(type, a, b, why);
}

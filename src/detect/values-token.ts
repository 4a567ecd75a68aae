/**
 * A value under a field that names its type but does not validate — a tokenised or hashed ID in
 * a column named 身份证号 — is still that type (issue 2 point 2): the token identifies the person
 * as well as the number would. A visibly masked value, an empty one or a placeholder is not a
 * value, so a body masked by the gateway re-scans clean (CLARIFICATIONS 12).
 */
import type { ValueType } from '../domain.ts';
import type { FieldMeaning, ValueHit } from './types.ts';

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

/** Shortest token we take for a value; shorter strings are flags and codes, not identifiers. */
const minTokenLength = 4;
/** Longest: past this it is prose, not a token. */
const maxTokenLength = 256;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0x3000 || c === 0xa0;
}

/** True when the text shows a run of three or more masking stars (`138****5678`). */
export function isVisiblyMasked(text: string, start: number, end: number): boolean {
  let run = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 42 || c === 0xff0a) {
      if (++run >= 3) return true;
    } else run = 0;
  }
  return false;
}

/** Types a token can stand for; coordinates and IP addresses are syntax, a token is neither. */
const tokenable: ReadonlySet<ValueType> = new Set<ValueType>([...identifying, 'cn_uscc', 'cn_plate']);

export function fieldTokenHit(text: string, start: number, end: number, hint: FieldMeaning, out: ValueHit[]): void {
  const type = hint.valueType;
  if (type === undefined || !tokenable.has(type)) return;
  let a = start;
  let b = end;
  while (a < b && isSpace(text.charCodeAt(a))) a++;
  while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
  if (b - a < minTokenLength || b - a > maxTokenLength) return;
  let alnum = false;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) return;
    if ((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122)) alnum = true;
  }
  if (!alnum || isVisiblyMasked(text, a, b)) return;
  const value = text.slice(a, b);
  if (placeholders.has(value.toLowerCase())) return;
  const identifier = identifying.has(type) ? `${type}:${type === 'email' ? value.toLowerCase() : value}` : null;
  out.push({ type, start: a, end: b, identifier, why: `field ${hint.entry}` });
}

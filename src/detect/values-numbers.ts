/**
 * Numbers: resident IDs, mobiles, Hong Kong / Macao phones, payment cards, USCCs of digits only,
 * and 8-digit Taiwan permits, written plain (13812345678) or in groups (138 1234 5678,
 * 6222-0212-3456-7890, +86 138…). A digit run that continues into letters or more digits is one
 * token and never a value (issue 2: numbers glued to other digits).
 */
import { isProvincePrefix, cardNetwork, isMobile, mayBeCard, isUnder14, validResidentId15, validResidentId18, widenedId } from './values-ids.ts';
import { mayBeUscc, usccVerdict } from './values-codes.ts';
import { isAlnum, isDigit } from './values-net.ts';
import { push, pushId, state, today, weakVouch } from './values-state.ts';
import { foldNone, foldUpper } from './subjects.ts';

/** Group boundaries of the current grouped number: at most 6 groups (4-4-4-4-3 plus a country code). */
const maxGroups = 6;
const groupEnds = new Int32Array(maxGroups + 1);
const groupTotals = new Int32Array(maxGroups + 1);
/** The digits of a grouped number without their separators (at most 6 groups of 12). */
const joined = Buffer.alloc(maxGroups * 12 + 1);

function isX(c: number): boolean {
  return (c | 32) === 120;
}

/**
 * The digit run `text[i, j)` (after a `+` at `plusAt`, or -1). Returns where scanning resumes.
 */
export function scanNumber(i: number, j: number, plusAt: number): number {
  const { src, end } = state;
  const spanStart = plusAt >= 0 ? plusAt : i;
  if (j + 1 < end) {
    const sep = src[j]!;
    if ((sep === 32 || sep === 45) && isDigit(src[j + 1]!)) {
      const e = scanGrouped(i, j, spanStart, plusAt >= 0);
      if (e > 0) return e;
    }
  }
  let valueEnd = j;
  if (j - i === 17 && j < end && isX(src[j]!)) valueEnd = j + 1;
  if (valueEnd < end && isAlnum(src[valueEnd]!)) {
    // Glued to letters (+86138…abc): one token, no value.
    while (valueEnd < end && isAlnum(src[valueEnd]!)) valueEnd++;
    return valueEnd;
  }
  validateNumber(src, i, valueEnd, spanStart, valueEnd, plusAt >= 0, false);
  return valueEnd;
}

/**
 * Groups separated by single spaces or dashes. Tries the longest run of groups first, then
 * shorter ones, so "138 1234 5678 2024" still yields the mobile. Returns the end of the value
 * found, or -1 (the caller then validates the first run alone).
 */
function scanGrouped(i: number, j: number, spanStart: number, plus: boolean): number {
  const { src, end } = state;
  let groups = 1;
  groupEnds[1] = j;
  groupTotals[1] = j - i;
  let k = j;
  while (groups < maxGroups && k + 1 < end) {
    const sep = src[k]!;
    if ((sep !== 32 && sep !== 45) || !isDigit(src[k + 1]!)) break;
    let m = k + 1;
    while (m < end && m - k <= 12 && isDigit(src[m]!)) m++;
    const length = m - k - 1;
    if (length > 11 || (m < end && isAlnum(src[m]!) && !(isX(src[m]!) && (groupTotals[groups] ?? 0) + length === 17))) break;
    groups++;
    groupEnds[groups] = m;
    groupTotals[groups] = (groupTotals[groups - 1] ?? 0) + length;
    k = m;
  }
  for (let g = groups; g >= 2; g--) {
    const total = groupTotals[g] ?? 0;
    let valueEnd = groupEnds[g] ?? 0;
    const withX = total === 17 && valueEnd < end && isX(src[valueEnd]!);
    if (withX) valueEnd++;
    if (!isCandidateLength(withX ? 18 : total, plus)) continue;
    let length = 0;
    for (let p = i; p < valueEnd; p++) {
      const c = src[p]!;
      if (c !== 32 && c !== 45) joined[length++] = c;
    }
    if (validateNumber(joined, 0, length, spanStart, valueEnd, plus, true)) return valueEnd;
  }
  return -1;
}

/**
 * Whether digits alone, `s[a, b)`, may be a value without a field naming a type: the first test
 * of each check validateNumber makes of them, so never false where it finds one (keep the two
 * in step). Order numbers and timestamps fail all of them (2024…: no province, card or USCC
 * begins so), and are passed over without a call into the value scan.
 */
export function digitsMayBeValue(s: Buffer, a: number, b: number): boolean {
  const length = b - a;
  if (length === 11) return isMobile(s, a);
  if (length < 13 || length > 19) return false;
  const first = s[a]!;
  const second = s[a + 1]!;
  if (first === 48 && second === 48) return true; // 0086, 00852, 00853
  if (length === 13) return first === 56 && second === 54; // 86 and a mobile
  if ((length === 18 || length === 15) && isProvincePrefix((first - 48) * 10 + second - 48)) return true;
  if (mayBeCard(first - 48, length)) return true;
  return length === 18 && mayBeUscc(s, a);
}

function startsWith86(s: Buffer, a: number): boolean {
  return s[a] === 56 && s[a + 1] === 54;
}

function isCandidateLength(length: number, plus: boolean): boolean {
  if (plus) return length === 11 || length === 13;
  return length === 11 || (length >= 13 && length <= 19);
}

/**
 * Validates the number `s[a, b)` (digits, or 17 digits and X) whose span in the text is
 * `[spanStart, spanEnd)`. Pushes the hit and returns true when it is one.
 */
function validateNumber(s: Buffer, a: number, b: number, spanStart: number, spanEnd: number, plus: boolean, grouped: boolean): boolean {
  const length = b - a;
  if (plus || (length >= 13 && s[a] === 48 && s[a + 1] === 48)) return validateInternational(s, plus ? a : a + 2, b, spanStart, spanEnd);
  if (length === 11) {
    if (!isMobile(s, a)) return false;
    pushId('cn_mobile', spanStart, spanEnd, 'mobile number 1[3-9]', s, a, b);
    return true;
  }
  if (length === 13 && startsWith86(s, a) && isMobile(s, a + 2)) {
    pushId('cn_mobile', spanStart, spanEnd, 'mobile number 1[3-9]', s, a + 2, b);
    return true;
  }
  if ((length === 18 || length === 15) && isProvincePrefix((s[a]! - 48) * 10 + s[a + 1]! - 48)) {
    const day = today();
    const birth = length === 18 ? validResidentId18(s, a, day) : validResidentId15(s, a, day);
    if (birth !== 0) {
      const hit =
        length === 18
          ? pushId('cn_resident_id', spanStart, spanEnd, 'GB 11643 check digit', s, a, b, -1, s[b - 1] === 120 ? foldUpper : foldNone)
          : pushId('cn_resident_id', spanStart, spanEnd, 'GB 11643-1989 15-digit ID', widenedId, 0, 18);
      if (isUnder14(birth, day)) hit.minor = true;
      // Residence permits of Taiwan (71, 83), Hong Kong (81) and Macao (82) residents: not mainland residents (Art. 4).
      const prefix = (s[a]! - 48) * 10 + s[a + 1]! - 48;
      if (prefix === 71 || prefix === 81 || prefix === 82 || prefix === 83) hit.nonMainland = true;
      return true;
    }
  }
  const withX = isX(s[b - 1]!);
  if (!withX && length >= 14 && length <= 19) {
    const network = cardNetwork(s, a, b);
    if (network !== null) {
      pushId('bank_card', spanStart, spanEnd, `Luhn + IIN ${network}`, s, a, b);
      return true;
    }
  }
  // After the card: an 18-digit UnionPay number passes the mod-31 check once in 31 tries, while
  // all-digit USCCs with a card's IIN (authority 6, tourism) are rare.
  if (length === 18 && !grouped && usccVerdict(s, a, isProvincePrefix) === 'valid') {
    push('cn_uscc', spanStart, spanEnd, 'GB 32100 check character');
    return true;
  }
  if (length === 8 && !grouped) return validateEightDigits(s, a, b, spanStart);
  return false;
}

/** After +86 / 0086, +852 / 00852, +853 / 00853 (`a` is past the + or 00). */
function validateInternational(s: Buffer, a: number, b: number, spanStart: number, spanEnd: number): boolean {
  const length = b - a;
  if (length === 13 && startsWith86(s, a) && isMobile(s, a + 2)) {
    pushId('cn_mobile', spanStart, spanEnd, 'mobile number +86 1[3-9]', s, a + 2, b);
    return true;
  }
  if (length !== 11) return false;
  const first = s[a + 3]!;
  // Hong Kong numbers of 8 digits start 4–9 (2 and 3 are fixed lines); Macao mobiles start 6.
  const area = s[a] === 56 && s[a + 1] === 53 ? s[a + 2] : -1; // 85x
  const hk = area === 50 && first >= 52 && first <= 57;
  const mo = area === 51 && first === 54;
  if (!hk && !mo) return false;
  pushId('hk_mo_phone', spanStart, spanEnd, hk ? 'Hong Kong number +852' : 'Macao number +853', s, a, b, 43 /* + */);
  return true;
}

/** 8 digits: a Taiwan permit under a field name or hotword; under a phone field, a Hong Kong / Macao number. */
function validateEightDigits(s: Buffer, a: number, b: number, spanStart: number): boolean {
  const why = weakVouch('tw_permit', spanStart);
  if (why !== null) {
    pushId('tw_permit', spanStart, b, why, s, a, b);
    return true;
  }
  const hint = state.hint;
  const first = s[a]!;
  // Only as the whole value: the 8 digits of 0591-87654321 are a mainland landline's.
  const whole = isWholeValue(spanStart, b);
  if (whole && (hint?.valueType === 'cn_mobile' || hint?.valueType === 'hk_mo_phone') && first >= 52 && first <= 57) {
    // Without its country code the number cannot say whether it is +852 or +853.
    pushId('hk_mo_phone', spanStart, b, `field ${hint.entry}`, s, a, b);
    return true;
  }
  return false;
}

/** True when only blanks surround `[a, b)` in the scanned range. */
function isWholeValue(a: number, b: number): boolean {
  const { src, start, end } = state;
  for (let k = start; k < a; k++) if (src[k] !== 32) return false;
  for (let k = b; k < end; k++) if (src[k] !== 32) return false;
  return true;
}

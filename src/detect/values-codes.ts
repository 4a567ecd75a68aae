/**
 * Validators for the alphanumeric codes: USCC (GB 32100-2015), HKID (MOD 11), and the shapes of
 * the weak formats (passports, permits, plates) that only count with a field name or hotword
 * beside them (CLARIFICATIONS 2). All work on the bytes of `s[a, b)`.
 */
import { asciiOf, threeByteAt } from './utf8.ts';

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isUpperCode(c: number): boolean {
  return c >= 65 && c <= 90;
}

/** GB 32100 charset `0-9 A-H J-N P-R T U W-Y` mapped to 0..30; -1 for I, O, S, V, Z and others. */
const usccValue = new Int8Array(128).fill(-1);
const usccCharset = '0123456789ABCDEFGHJKLMNPQRTUWXY';
for (let v = 0; v < usccCharset.length; v++) usccValue[usccCharset.charCodeAt(v)] = v;
/** 3^i mod 31. */
const usccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** Registration-authority code (first char) and the organisation-type codes it issues (second char). */
const usccAuthorityTypes: Record<string, string> = {
  '1': '1239', // 机构编制
  '2': '19', // 外交
  '3': '123459', // 司法行政
  '4': '19', // 文化
  '5': '1239', // 民政
  '6': '129', // 旅游
  '7': '129', // 宗教
  '8': '19', // 工会
  '9': '123', // 工商 (市场监管)
  A: '19', // 中央军委改革和编制
  N: '12349', // 农业
  Y: '1', // 其他
};

/** Bit `type - 48` set in the entry of an authority's char code: the pair is one the standard issues. */
const usccAuthorities = new Int32Array(128);
for (const [authority, types] of Object.entries(usccAuthorityTypes)) {
  for (const type of types) usccAuthorities[authority.charCodeAt(0)]! |= 1 << (type.charCodeAt(0) - 48);
}

export type UsccVerdict = 'valid' | 'suspect' | null;

/** Whether `s[a, a+2)` are an authority and a type code the standard issues together: usccVerdict's first test. */
export function mayBeUscc(s: Buffer, a: number): boolean {
  const authority = s[a]!;
  const type = s[a + 1]! - 48;
  return authority < 128 && type >= 0 && type <= 9 && (usccAuthorities[authority]! & (1 << type)) !== 0;
}

/**
 * A USCC at `s[a, a+18)`: known authority and type codes, a 6-digit administrative division with a
 * real province prefix, charset, and the mod-31 check character. Early Fujian pilot codes
 * (`9135…M…`) fail the check yet are legal (REGULATION.md §5): reported as suspect, not dropped.
 */
export function usccVerdict(s: Buffer, a: number, isProvince: (twoDigits: number) => boolean): UsccVerdict {
  const authority = s[a]!;
  const type = s[a + 1]! - 48;
  if (authority >= 128 || type < 0 || type > 9 || (usccAuthorities[authority]! & (1 << type)) === 0) return null;
  for (let k = 2; k < 8; k++) if (!isDigitCode(s[a + k]!)) return null;
  if (!isProvince((s[a + 2]! - 48) * 10 + s[a + 3]! - 48)) return null;
  let sum = 0;
  let charsetOk = true;
  for (let k = 0; k < 17; k++) {
    const c = s[a + k]!;
    const v = c < 128 ? (usccValue[c] ?? -1) : -1;
    if (v < 0) {
      charsetOk = false;
      break;
    }
    sum += v * (usccWeights[k] ?? 0);
  }
  const last = s[a + 17]!;
  if (charsetOk && last < 128 && usccValue[last] === (31 - (sum % 31)) % 31) return 'valid';
  return isEarlyFujianShape(s, a) ? 'suspect' : null;
}

function isEarlyFujianShape(s: Buffer, a: number): boolean {
  if (s[a] !== 57 || s[a + 1] !== 49 || s[a + 2] !== 51 || s[a + 3] !== 53 /* 9135 */ || s[a + 8] !== 77 /* M */) return false;
  for (let k = 9; k < 18; k++) {
    const c = s[a + k]!;
    if (!isDigitCode(c) && !isUpperCode(c)) return false;
  }
  return true;
}

/**
 * HKID: one or two letters, six digits, a check character (digit or A). Weights 9..2 over the
 * letters (A=10…Z=35, a missing first letter counts 36) and digits; the check makes the sum
 * divisible by 11. `letters` is 1 or 2; `check` is the char code of the check character.
 */
export function validHkid(s: Buffer, a: number, letters: number, check: number): boolean {
  let sum = letters === 1 ? 36 * 9 : 0;
  let weight = letters === 1 ? 8 : 9;
  for (let k = 0; k < letters + 6; k++, weight--) {
    const c = s[a + k]!;
    sum += (k < letters ? c - 55 : c - 48) * weight;
  }
  const value = check === 65 ? 10 : check - 48;
  return (sum + value) % 11 === 0;
}

/** HKID identifier: letters and digits, check character in parentheses as printed on the card. */
export function hkidIdentifier(s: Buffer, a: number, letters: number, check: number): string {
  return `hkid:${asciiOf(s, a, a + letters + 6).toUpperCase()}(${String.fromCharCode(check)})`;
}

function allDigits(s: Buffer, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (!isDigitCode(s[i]!)) return false;
  return true;
}

/** Letters used in document numbers: A–Z without I and O. */
function isDocLetter(c: number): boolean {
  return isUpperCode(c) && c !== 73 && c !== 79;
}

/** PRC passport: E + 8 digits, E + letter + 7 digits (EA…), G + 8 digits (REGULATION.md §5). */
export function isPassportShape(s: Buffer, a: number, b: number): boolean {
  if (b - a !== 9) return false;
  const first = s[a]!;
  if (first === 71 /* G */) return allDigits(s, a + 1, b);
  if (first !== 69 /* E */) return false;
  return allDigits(s, a + 1, b) || (isDocLetter(s[a + 1]!) && allDigits(s, a + 2, b));
}

/**
 * 往来港澳通行证: C + 8 digits, or C + letter + 7 digits once the C-series ran out;
 * 港澳居民来往内地通行证 (回乡证): H/M + 8 digits (card) or H/M + 10 digits (older booklets).
 */
export function isHkMacaoPermitShape(s: Buffer, a: number, b: number): boolean {
  const first = s[a]!;
  const length = b - a;
  if (first === 67 /* C */) {
    return length === 9 && (allDigits(s, a + 1, b) || (isDocLetter(s[a + 1]!) && allDigits(s, a + 2, b)));
  }
  if (first === 72 /* H */ || first === 77 /* M */) return (length === 9 || length === 11) && allDigits(s, a + 1, b);
  return false;
}

/** Province abbreviations that open a plate (GA 36-2018). */
const plateProvinces = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
/** One bit per CJK unified ideograph (U+4E00–U+9FFF): 2.6 KiB, where every Chinese character of a body is looked up. */
const cjkFirst = 0x4e00;
const plateProvinceBits = new Int32Array((0xa000 - cjkFirst) >> 5);
for (let k = 0; k < plateProvinces.length; k++) {
  const c = plateProvinces.charCodeAt(k) - cjkFirst;
  plateProvinceBits[c >> 5]! |= 1 << (c & 31);
}

export function isPlateProvince(c: number): boolean {
  const k = c - cjkFirst;
  return k >= 0 && k < 0xa000 - cjkFirst && (plateProvinceBits[k >> 5]! & (1 << (k & 31))) !== 0;
}

function isPlateChar(c: number): boolean {
  return isDigitCode(c) || isDocLetter(c);
}

/** Bytes of the separator a plate may carry after its authority letter (· • ・), or 0. */
function plateDotLength(s: Buffer, i: number, end: number): number {
  if (i + 1 < end && s[i] === 0xc2 && s[i + 1] === 0xb7) return 2;
  const c = threeByteAt(s, i, end);
  return c === 0x2022 || c === 0x30fb ? 3 : 0;
}

/**
 * Bytes of a plate starting at `s[a]` (the three bytes of a province character), 0 when none:
 * province + authority letter, an optional `·`, then 5 alphanumerics (ordinary) or 6 with D/F
 * first or last (new energy).
 */
export function plateLength(s: Buffer, a: number, end: number): number {
  // The province, the letter and five characters at least.
  if (a + 9 > end || !isUpperCode(s[a + 3]!)) return 0;
  let i = a + 4;
  i += plateDotLength(s, i, end);
  let n = 0;
  while (i + n < end && n < 7 && isPlateChar(s[i + n]!)) n++;
  if (n === 7) return 0;
  let hasDigit = false;
  for (let k = i; k < i + n; k++) if (isDigitCode(s[k]!)) hasDigit = true;
  if (!hasDigit) return 0;
  if (n === 5) return i + 5 - a;
  if (n === 6) {
    const first = s[i]!;
    const last = s[i + 5]!;
    const newEnergy = (first === 68 || first === 70) ? allDigits(s, i + 2, i + 6) : (last === 68 || last === 70) && allDigits(s, i, i + 5);
    return newEnergy ? i + 6 - a : 0;
  }
  return 0;
}

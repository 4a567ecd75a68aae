/**
 * Validators for the numeric identifiers (REGULATION.md §5). Each works on the bytes of
 * `s[a, b)`, so the scanner validates a candidate inside the body without copying it.
 */

const ZERO = 48;

function digitAt(s: Buffer, i: number): number {
  return s[i]! - ZERO;
}

/** Two digits as a number (callers have checked they are digits). */
function num2(s: Buffer, i: number): number {
  return digitAt(s, i) * 10 + digitAt(s, i + 1);
}

/**
 * Province-level prefixes of GB/T 2260 (the first two digits of a resident ID), plus 71 (Taiwan),
 * 81 (Hong Kong) and 82 (Macao) of GB 11643, and 83, which residence permits for Taiwan residents
 * use. An unknown prefix is a number that merely looks like an ID.
 */
const provincePrefix = new Uint8Array(100);
for (const p of [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]) {
  provincePrefix[p] = 1;
}

export function isProvincePrefix(twoDigits: number): boolean {
  return provincePrefix[twoDigits] === 1;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const monthDays = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const last = month === 2 && isLeap(year) ? 29 : (monthDays[month] ?? 0);
  return day <= last;
}

/** The scan date in China Standard Time as yyyymmdd, cached: the value pass asks for it per resident ID candidate. */
let cachedAtMs = Number.NaN;
let cachedAtYmd = 0;
export function shanghaiYmd(at: Date): number {
  const ms = at.getTime();
  if (ms !== cachedAtMs) {
    // Asia/Shanghai has had a fixed +08:00 offset since 1991.
    const d = new Date(ms + 8 * 3600_000);
    cachedAtYmd = d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
    cachedAtMs = ms;
  }
  return cachedAtYmd;
}

const idCheckChars = '10X98765432';
/** Char codes of the check characters by sum mod 11. */
const idCheckCodes = new Uint8Array([...idCheckChars].map((ch) => ch.charCodeAt(0)));

/**
 * The GB 11643 check character of the 17 digits at `s[a, a+17)`: ISO 7064 MOD 11-2, weights
 * 2^(17-i) mod 11 = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 (sum 100, hence the 48 × 100 of the
 * ASCII zeros). Written out: every resident ID in a body passes here.
 */
function residentIdCheckCode(s: Buffer, a: number): number {
  const sum =
    s[a]! * 7 + s[a + 1]! * 9 + s[a + 2]! * 10 + s[a + 3]! * 5 + s[a + 4]! * 8 + s[a + 5]! * 4 + s[a + 6]! * 2 + s[a + 7]! +
    s[a + 8]! * 6 + s[a + 9]! * 3 + s[a + 10]! * 7 + s[a + 11]! * 9 + s[a + 12]! * 10 + s[a + 13]! * 5 + s[a + 14]! * 8 +
    s[a + 15]! * 4 + s[a + 16]! * 2 - ZERO * 100;
  return idCheckCodes[sum % 11]!;
}

/** The last legacy number validResidentId15 widened to 18 characters: its identifier is read from here. */
export const widenedId = Buffer.alloc(18);

/** Birth date yyyymmdd when plausible: a real date, year ≥ 1900, not after the scan date. */
function birthDate(year: number, month: number, day: number, todayYmd: number): number {
  if (year < 1900 || !isRealDate(year, month, day)) return 0;
  const ymd = year * 10000 + month * 100 + day;
  return ymd > todayYmd ? 0 : ymd;
}

/**
 * An 18-character resident ID (GB 11643-1999) at `s[a, a+18)`: 17 digits, check char, a real
 * province prefix, a real birth date not in the future. Callers have checked the 17 digits.
 * Returns the birth date as yyyymmdd, 0 when the number is no ID.
 */
export function validResidentId18(s: Buffer, a: number, todayYmd: number): number {
  // The digits read in place, not through num2: every resident ID passes here, and
  // inside the number validator, too large to inline more, each was a call of its own.
  if (!isProvincePrefix((s[a]! - ZERO) * 10 + s[a + 1]! - ZERO)) return 0;
  const year = (s[a + 6]! - ZERO) * 1000 + (s[a + 7]! - ZERO) * 100 + (s[a + 8]! - ZERO) * 10 + s[a + 9]! - ZERO;
  const birth = birthDate(year, (s[a + 10]! - ZERO) * 10 + s[a + 11]! - ZERO, (s[a + 12]! - ZERO) * 10 + s[a + 13]! - ZERO, todayYmd);
  if (birth === 0) return 0;
  const last = s[a + 17]!;
  const upper = last === 120 ? 88 : last; // x → X
  return upper === residentIdCheckCode(s, a) ? birth : 0;
}

/**
 * A legacy 15-digit ID (GB 11643-1989: YYMMDD of the 1900s, no check digit): its birth date, 0
 * when the number is no ID; the number normalised to 18 characters is left in `widenedId`.
 */
export function validResidentId15(s: Buffer, a: number, todayYmd: number): number {
  if (!isProvincePrefix(num2(s, a))) return 0;
  // IMEIs are 15 digits too, Luhn-valid, and most start with 35 (Fujian's prefix): such a number
  // is taken for a device, at the cost of one legacy Fujian ID in ten (legacy IDs have no check).
  if (num2(s, a) === 35 && luhn(s, a, a + 15)) return 0;
  const birth = birthDate(1900 + num2(s, a + 6), num2(s, a + 8), num2(s, a + 10), todayYmd);
  if (birth === 0) return 0;
  s.copy(widenedId, 0, a, a + 6);
  widenedId[6] = 49; // 1
  widenedId[7] = 57; // 9
  s.copy(widenedId, 8, a + 6, a + 15);
  widenedId[17] = residentIdCheckCode(widenedId, 0);
  return birth;
}

/** Under 14 on the scan date (PIPL Art. 28: minors' information is sensitive). */
export function isUnder14(birthYmd: number, todayYmd: number): boolean {
  return todayYmd - birthYmd < 140000;
}

/** A mainland mobile number: 11 digits 1[3-9]… (REGULATION.md §5: carrier tables only for confidence). */
export function isMobile(s: Buffer, a: number): boolean {
  if (s[a] !== 49) return false;
  const second = s[a + 1]!;
  return second >= 51 && second <= 57;
}

/** Luhn mod 10 over the digits of `s[a, b)`. */
export function luhn(s: Buffer, a: number, b: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = b - 1; i >= a; i--) {
    let d = digitAt(s, i);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Issuer identification ranges we accept as payment cards (CLARIFICATIONS 2: Luhn alone is one
 * number in ten). Kept small and sourced from the networks' published ranges; lengths are the
 * ones the network issues. Visa's 13-digit cards are long gone and would collide with EAN-13
 * barcodes, so Visa starts at 16.
 */
interface IinRange {
  low: number;
  high: number;
  /** Number of leading digits `low`/`high` cover. */
  digits: number;
  minLength: number;
  maxLength: number;
  network: string;
}

const iinRanges: IinRange[] = [
  { low: 62, high: 62, digits: 2, minLength: 16, maxLength: 19, network: 'UnionPay' },
  { low: 81, high: 81, digits: 2, minLength: 16, maxLength: 19, network: 'UnionPay' },
  { low: 4, high: 4, digits: 1, minLength: 16, maxLength: 19, network: 'Visa' },
  { low: 51, high: 55, digits: 2, minLength: 16, maxLength: 16, network: 'Mastercard' },
  { low: 2221, high: 2720, digits: 4, minLength: 16, maxLength: 16, network: 'Mastercard' },
  { low: 34, high: 34, digits: 2, minLength: 15, maxLength: 15, network: 'American Express' },
  { low: 37, high: 37, digits: 2, minLength: 15, maxLength: 15, network: 'American Express' },
  { low: 3528, high: 3589, digits: 4, minLength: 16, maxLength: 19, network: 'JCB' },
  { low: 6011, high: 6011, digits: 4, minLength: 16, maxLength: 19, network: 'Discover' },
  { low: 644, high: 649, digits: 3, minLength: 16, maxLength: 19, network: 'Discover' },
  { low: 65, high: 65, digits: 2, minLength: 16, maxLength: 19, network: 'Discover' },
  { low: 36, high: 36, digits: 2, minLength: 14, maxLength: 19, network: 'Diners Club' },
  { low: 300, high: 305, digits: 3, minLength: 14, maxLength: 19, network: 'Diners Club' },
  // Chinese banks' pre-UnionPay debit BINs still in circulation (ICBC 9558…, Bank of China 601382…).
  { low: 9558, high: 9558, digits: 4, minLength: 19, maxLength: 19, network: 'ICBC debit' },
  { low: 601382, high: 601382, digits: 6, minLength: 16, maxLength: 19, network: 'Bank of China debit' },
];

function leadingNumber(s: Buffer, a: number, digits: number): number {
  let n = 0;
  for (let k = 0; k < digits; k++) n = n * 10 + digitAt(s, a + k);
  return n;
}

/** Ranges by their first digit, so a number is compared only with the ranges it could be in. */
const rangesByFirstDigit: IinRange[][] = Array.from({ length: 10 }, () => []);
for (const range of iinRanges) {
  const first = Math.floor(range.low / 10 ** (range.digits - 1));
  rangesByFirstDigit[first]?.push(range);
}

/** Bit `n` of a first digit's entry: some network issues cards of n digits that start with it. */
const cardLengthsByFirstDigit = new Int32Array(10);
rangesByFirstDigit.forEach((ranges, digit) => {
  for (const range of ranges) for (let n = range.minLength; n <= range.maxLength; n++) cardLengthsByFirstDigit[digit]! |= 1 << n;
});

/** Whether a card number of `length` digits may start with `digit` (some network issues such): cardNetwork's first test. */
export function mayBeCard(digit: number, length: number): boolean {
  return ((cardLengthsByFirstDigit[digit]! >>> length) & 1) === 1;
}

/** The network of a payment card number at `s[a, b)` (digits only), or null. */
export function cardNetwork(s: Buffer, a: number, b: number): string | null {
  const length = b - a;
  if (length < 14 || length > 19) return null;
  for (const range of rangesByFirstDigit[digitAt(s, a)] ?? []) {
    if (length < range.minLength || length > range.maxLength) continue;
    const lead = leadingNumber(s, a, range.digits);
    if (lead >= range.low && lead <= range.high) return luhn(s, a, b) ? range.network : null;
  }
  return null;
}

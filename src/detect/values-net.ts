/**
 * Syntax scanners for e-mail addresses, IP addresses and decimal numbers (coordinates). Each
 * reads forward from a position and returns where the value ends (0 or -1 when there is none),
 * so the caller's single pass simply resumes after it.
 */

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isAsciiLetter(c: number): boolean {
  return (c | 32) >= 97 && (c | 32) <= 122;
}

export function isAlnum(c: number): boolean {
  return isDigit(c) || isAsciiLetter(c);
}

function isHex(c: number): boolean {
  return isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/** Characters of an e-mail local part (RFC 5321 dot-atom, the common subset). */
export function isLocalChar(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}

/** Longest local part we look back over (RFC 5321 §4.5.3.1.1). */
export const maxLocalLength = 64;

/**
 * Start of the local part that ends at the `@` at `at`, or -1: looks back at most 64 chars and
 * drops leading dots.
 */
export function emailLocalStart(s: Buffer, at: number, lowest: number): number {
  let k = at;
  const floor = Math.max(lowest, at - maxLocalLength);
  while (k > floor && isLocalChar(s[k - 1]!)) k--;
  while (k < at && s[k]! === 46) k++;
  if (k === at || s[at - 1]! === 46) return -1;
  return k;
}

/**
 * End of the domain after the `@` at `at`, or -1: dot-separated labels of letters, digits and
 * hyphens, at least two labels, a top-level label of two or more letters.
 */
export function emailDomainEnd(s: Buffer, at: number, end: number): number {
  let i = at + 1;
  let labels = 0;
  let lastLabelStart = i;
  let lastLabelLetters = true;
  for (;;) {
    const labelStart = i;
    let letters = true;
    while (i < end) {
      const c = s[i]!;
      if (isAsciiLetter(c)) {
        i++;
      } else if (isDigit(c) || c === 45) {
        letters = false;
        i++;
      } else break;
    }
    if (i === labelStart || s[labelStart]! === 45 || s[i - 1]! === 45) return -1;
    labels++;
    lastLabelStart = labelStart;
    lastLabelLetters = letters;
    if (i + 1 < end && s[i]! === 46 && isAlnum(s[i + 1]!)) {
      i++;
      continue;
    }
    break;
  }
  if (labels < 2 || !lastLabelLetters || i - lastLabelStart < 2 || i - at - 1 > 253) return -1;
  return i;
}

/**
 * Dotted decimal `a.b.c.d` from `a` (a digit not preceded by a digit or dot): returns its end when
 * it is exactly four octets 0–255 not continued by another `.digit` or an alphanumeric (a version
 * string `1.2.3.4.5` is not an address), else -1.
 */
export function ipv4End(s: Buffer, a: number, end: number): number {
  let i = a;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (i >= end || s[i]! !== 46) return -1;
      i++;
    }
    let value = 0;
    let n = 0;
    while (i < end && n < 4 && isDigit(s[i]!)) {
      value = value * 10 + s[i]! - 48;
      i++;
      n++;
    }
    if (n === 0 || n > 3 || value > 255) return -1;
  }
  if (i < end) {
    const c = s[i]!;
    if (isAlnum(c) || (c === 46 && i + 1 < end && isDigit(s[i + 1]!))) return -1;
  }
  return i;
}

/**
 * IPv6 (RFC 4291 text forms: eight hex groups, or fewer with one `::`, optionally ending in an
 * IPv4 address) starting at `a`. Returns its end or -1. Times (12:30:45) and MAC addresses
 * (six groups, no `::`) fail the group count.
 */
export function ipv6End(s: Buffer, a: number, end: number): number {
  let i = a;
  let groups = 0;
  let compressed = false;
  if (s[i]! === 58) {
    if (i + 1 >= end || s[i + 1]! !== 58) return -1;
    compressed = true;
    i += 2;
  }
  let lastEnd = i;
  while (i < end && groups < 8) {
    let n = 0;
    while (i + n < end && n < 5 && isHex(s[i + n]!)) n++;
    if (n === 0 || n > 4) break;
    if (i + n < end && s[i + n]! === 46) {
      // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
      const v4 = groups <= 6 ? ipv4End(s, i, end) : -1;
      if (v4 < 0) return -1;
      groups += 2;
      lastEnd = v4;
      break;
    }
    groups++;
    i += n;
    lastEnd = i;
    if (i + 1 >= end || s[i]! !== 58) break;
    if (s[i + 1]! === 58) {
      if (compressed) return -1;
      compressed = true;
      i += 2;
      lastEnd = i;
      continue;
    }
    if (i + 2 > end || !isHex(s[i + 1]!)) break;
    i++;
  }
  if (lastEnd < end) {
    const c = s[lastEnd]!;
    const next = lastEnd + 1 < end ? s[lastEnd + 1]! : -1;
    if (isAlnum(c) || (c === 58 && (isHex(next) || next === 58)) || (c === 46 && isDigit(next))) return -1;
  }
  if (compressed ? groups > 7 : groups !== 8) return -1;
  // "::" alone, or a single group with "::", is too little to call an address ("a::", "std::").
  if (compressed && groups === 0) return -1;
  return lastEnd;
}

/**
 * A decimal number `[-]d+.d+` at `a` (a digit or '-'): its end, or -1. The value and decimal places
 * are left in `decimalOut` to avoid an allocation per number.
 */
export const decimalOut = { value: 0, places: 0 };
export function decimalEnd(s: Buffer, a: number, end: number): number {
  let i = a;
  let negative = false;
  if (s[i]! === 45) {
    negative = true;
    i++;
  }
  let intValue = 0;
  let intDigits = 0;
  while (i < end && isDigit(s[i]!)) {
    if (intDigits < 4) intValue = intValue * 10 + s[i]! - 48;
    intDigits++;
    i++;
  }
  if (intDigits === 0 || intDigits > 3 || i >= end || s[i]! !== 46) return -1;
  i++;
  let frac = 0;
  let scale = 1;
  let places = 0;
  while (i < end && isDigit(s[i]!)) {
    if (places < 12) {
      frac = frac * 10 + s[i]! - 48;
      scale *= 10;
    }
    places++;
    i++;
  }
  if (places === 0) return -1;
  if (i < end) {
    const c = s[i]!;
    if (isAlnum(c) || (c === 46 && i + 1 < end && isDigit(s[i + 1]!))) return -1;
  }
  const value = intValue + frac / scale;
  decimalOut.value = negative ? -value : value;
  decimalOut.places = places;
  return i;
}

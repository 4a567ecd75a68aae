/**
 * Value detectors (DESIGN.md §4, issue 2 point 1): one left-to-right pass over the UTF-8 bytes of
 * a text, classifying runs — digit runs with separators, alphanumeric runs, `@` for e-mail, `:`
 * and `.` for IP addresses, CJK province characters for plates — and validating a candidate only
 * when its shape and length fit. No regular expression, no rescans, no allocation for text that
 * holds nothing. State of the current call lives in module variables (values-state.ts):
 * JavaScript runs one call at a time, and the one re-entry — a folded copy of a full-width run
 * (values-width.ts) — saves and restores it, so no context object is allocated per string.
 */
import type { FieldMeaning, ValueHit } from './types.ts';
import { hkidIdentifier, isHkMacaoPermitShape, isPassportShape, isPlateProvince, plateLength, usccVerdict, validHkid } from './values-codes.ts';
import { isProvincePrefix } from './values-ids.ts';
import { decimalEnd, decimalOut, emailDomainEnd, emailLocalStart, ipv4End, ipv6End, isAlnum, isDigit } from './values-net.ts';
import { scanNumber } from './values-numbers.ts';
import { fieldTokenHit } from './values-token.ts';
import { inFoldedCopy, scanFullWidth, startsFullWidthRun } from './values-width.ts';
import { push, pushId, pushIdString, state, weakVouch } from './values-state.ts';
import { foldLower } from './subjects.ts';
import { threeByteAt, Utf16Offsets } from './utf8.ts';
import { classDigit, classUpper, classWide } from './classes.ts';

/** ASCII chars that can start a value: 1 letters and digits, 2 `+ - :`, 0 the rest (skipped at once). */
const asciiKind = new Uint8Array(128);
for (let c = 48; c <= 57; c++) asciiKind[c] = 1;
for (let c = 65; c <= 90; c++) asciiKind[c] = asciiKind[c + 32] = 1;
asciiKind[43] = asciiKind[45] = asciiKind[58] = 2;

/** Lengths of a digit run that can be a value on its own: 8 (permits under a hint), 11, 13–19 (15 and 18: resident IDs). */
const valueLength = new Uint8Array(64);
for (const n of [8, 11, 13, 14, 15, 16, 17, 18, 19]) valueLength[n] = 1;

/**
 * Finds every validated value in the UTF-8 bytes `src[start, end)`, appending to out with byte
 * offsets. One left-to-right pass, no regex backtracking, no per-pattern rescans.
 */
export function scanValues(src: Buffer, start: number, end: number, hint: FieldMeaning | null, at: Date, out: ValueHit[], wantIds = true, flags = -1): void {
  // One load of the imported binding, not one per field: this runs once per value scanned.
  const current = state;
  current.src = src;
  current.wantIds = wantIds;
  current.start = start;
  current.end = end;
  current.hint = hint;
  current.at = at;
  current.out = out;
  current.first = out.length;
  // Without a capital letter (a plate's authority) or a full-width form in the value, no
  // non-ASCII character starts one: its bytes are passed over undecoded (a Chinese address).
  const startsNothing = flags >= 0 && (flags & (classUpper | classWide)) === 0;
  // Digits alone (the walker read them): the one digit run the pass below would find, of a length a value may have.
  if (flags === classDigit) {
    if (valueLength[end - start] === 1) scanNumber(start, end, -1);
    end = start;
  }
  let i = start;
  while (i < end) {
    const c = src[i]!;
    if (c < 128) {
      const kind = asciiKind[c];
      if (kind === 0) {
        i++;
        continue;
      }
      if (kind === 1) {
        i = scanWord(i);
        continue;
      }
      if (c === 43 /* + */ && i + 1 < end && isDigit(src[i + 1]!) && (i === start || !isAlnum(src[i - 1]!))) {
        i = scanDigitRun(i + 1, i);
        continue;
      }
      if (c === 45 /* - */ && i + 1 < end && isDigit(src[i + 1]!) && (i === start || !isAlnum(src[i - 1]!))) {
        // A signed decimal (-33.8688,151.2093); anything else resumes at the digit.
        const e = scanDecimal(i, i + 1);
        i = e > 0 ? e : i + 1;
        continue;
      }
      if (c === 58 /* : */ && i + 1 < end && src[i + 1] === 58 && (i === start || !isHexOrColon(src[i - 1]!))) {
        const e = ipv6End(src, i, end);
        if (e > 0) {
          push('ipv6', i, e, 'IPv6 syntax');
          i = e;
          continue;
        }
      }
    } else if (startsNothing) {
      // The whole run of non-ASCII bytes at once (the characters of a Chinese address).
      i++;
      // Three bytes a step while all three are non-ASCII (CJK characters), then byte by byte.
      while (i + 2 < end && src[i]! >= 128 && src[i + 1]! >= 128 && src[i + 2]! >= 128) i += 3;
      while (i < end && src[i]! >= 128) i++;
      continue;
    } else {
      // Of the non-ASCII characters only province characters (plates) and full-width forms start a value.
      const wide = threeByteAt(src, i, end);
      if (wide >= 0) {
        if (isPlateProvince(wide)) i = scanPlate(i);
        else if (startsFullWidthRun(wide)) i = scanFullWidth(i, scanValues);
        else i += 3;
        continue;
      }
    }
    i++;
  }
  if (hint?.valueType !== undefined && out.length === current.first && !inFoldedCopy()) fieldTokenHit(src, start, current.end, hint);
  current.out = idle;
  current.hint = null;
  current.src = idleSrc;
}

/**
 * Between calls the state holds no caller's array (nothing pushes to it outside a call), nor its
 * bytes: the last body scanned stayed alive until the next scan, personal data and all.
 */
const idle: ValueHit[] = [];
const idleSrc = Buffer.alloc(0);

/**
 * Cheap test the walkers use to skip strings that cannot hold any value (e.g. no digit, no '@', no
 * ':' and no CJK plate char). Must never return false for bytes scanValues would find something in.
 */
export function mayHoldValuesIn(src: Buffer, start: number, end: number): boolean {
  // Without a field hint: under a hint with a value type, call scanValues directly (tokens count there).
  for (let i = start; i < end; i++) {
    const c = src[i]!;
    if (c < 128) {
      if ((c >= 48 && c <= 57) || c === 64 || c === 58) return true;
      continue;
    }
    const wide = threeByteAt(src, i, end);
    if (wide < 0) continue;
    if ((wide >= 0xff10 && wide <= 0xff19) || wide === 0xff20) return true; // full-width digits and ＠
    // A plate is a province character followed by an authority letter (闽A…); 北京 is not one.
    if (isPlateProvince(wide) && i + 3 < end && src[i + 3]! >= 65 && src[i + 3]! <= 90) return true;
    i += 2;
  }
  return false;
}

/**
 * findValues and mayHoldValues over a string (for tests and callers holding one; the walkers use
 * the byte forms): the same pass over its UTF-8 bytes, with offsets given back in UTF-16 units.
 */
export function findValues(text: string, start: number, end: number, hint: FieldMeaning | null, at: Date, out: ValueHit[]): void {
  const before = Buffer.byteLength(text.slice(0, start));
  const src = Buffer.from(text.slice(0, end));
  const first = out.length;
  scanValues(src, before, src.length, hint, at, out);
  const offsets = new Utf16Offsets(src);
  for (let k = first; k < out.length; k++) {
    // Fingerprints belong to the byte scan; string callers read the identifier.
    const { fp: _, ...hit } = out[k]!;
    hit.start = offsets.of(hit.start);
    hit.end = offsets.of(hit.end);
    out[k] = hit as ValueHit;
  }
}

export function mayHoldValues(text: string, start: number, end: number): boolean {
  const src = Buffer.from(text.slice(start, end));
  return mayHoldValuesIn(src, 0, src.length);
}

/** A `::` that starts an address is not preceded by a group (in 1::2::3 the second one is). */
function isHexOrColon(c: number): boolean {
  const lower = c | 32;
  return (c >= 48 && c <= 58) || (lower >= 97 && lower <= 102);
}

function isHexRun(a: number, b: number): boolean {
  for (let k = a; k < b; k++) {
    const c = state.src[k]! | 32;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** An alphanumeric run starting at `i` (not preceded by one). Returns where scanning resumes. */
function scanWord(i: number): number {
  const { src, end } = state;
  let j = i;
  let letters = 0;
  while (j < end) {
    const c = src[j]!;
    if (c >= 48 && c <= 57) j++;
    else if (((c | 32) >= 97 && (c | 32) <= 122)) {
      letters++;
      j++;
    } else break;
  }
  const next = j < end ? src[j]! : -1;
  if (next === 64 /* @ */) return scanEmail(j);
  if (next === 58 /* : */ && j - i <= 4 && isHexRun(i, j) && (i === state.start || src[i - 1] !== 58)) {
    const e = ipv6End(src, i, end);
    if (e > 0) {
      push('ipv6', i, e, 'IPv6 syntax');
      return e;
    }
  }
  if (letters === 0) {
    // Most digit runs are quantities, house numbers, prices: no value has their length, and no
    // separator or dot continues them. They cost one table load.
    if (next !== 46 && next !== 32 && next !== 45 && valueLength[j - i] !== 1) return j;
    return scanDigitRun(i, -1, j);
  }
  if (j - i === 18 && letters === 1 && (src[j - 1]! | 32) === 120 /* x */) return scanDigitRun(i, -1);
  scanCode(i, j, letters);
  return j;
}

function scanEmail(at: number): number {
  const { src, start, end, out } = state;
  let local = emailLocalStart(src, at, start);
  const domainEnd = local < 0 ? -1 : emailDomainEnd(src, at, end);
  if (domainEnd < 0) return at + 1;
  // A number in the local part (13812345678@163.com) is part of the address, not a second value.
  while (out.length > state.first && (out[out.length - 1]?.start ?? -1) >= local) out.pop();
  // A value just before it (a coordinate pair, then "-a.b@…") keeps its chars: the address starts after it.
  const previousEnd = out.length > state.first ? (out[out.length - 1]?.end ?? start) : start;
  if (previousEnd > local) {
    local = emailLocalStart(src, at, previousEnd);
    if (local < 0) return at + 1;
  }
  pushId('email', local, domainEnd, 'e-mail syntax', src, local, domainEnd, -1, foldLower);
  return domainEnd;
}

/** A digit run at `i` (optionally after a `+` at `plusAt`): dotted forms first, then numbers. */
function scanDigitRun(i: number, plusAt: number, runEnd = -1): number {
  const { src, end } = state;
  let j = runEnd >= 0 ? runEnd : i;
  while (j < end && isDigit(src[j]!)) j++;
  if (plusAt < 0 && j + 1 < end && src[j] === 46 && isDigit(src[j + 1]!)) {
    const v4 = j - i <= 3 && (i === state.start || src[i - 1] !== 46) ? ipv4End(src, i, end) : -1;
    if (v4 > 0) {
      push('ipv4', i, v4, 'IPv4 syntax');
      return v4;
    }
    const e = scanDecimal(i, i);
    if (e > 0) return e;
    // An amount (13812345678.00), a version (1.2.3.4.5): skip the whole dotted number.
    let k = j;
    while (k + 1 < end && src[k] === 46 && isDigit(src[k + 1]!)) {
      k++;
      while (k < end && isDigit(src[k]!)) k++;
    }
    return k;
  }
  return scanNumber(i, j, plusAt);
}

/** Geo coordinates: a `lat,lng` pair of decimals, or one decimal under a coordinate field. Returns the end or -1. */
function scanDecimal(signAt: number, digitsAt: number): number {
  const { src, end, hint } = state;
  const e1 = decimalEnd(src, signAt, end);
  if (e1 < 0) return -1;
  const v1 = decimalOut.value;
  const p1 = decimalOut.places;
  const hinted = hint?.valueType === 'geo_coordinate';
  let k = e1;
  while (k < end && src[k] === 32) k++;
  const comma = k >= end ? 0 : src[k] === 44 ? 1 : threeByteAt(src, k, end) === 0xff0c ? 3 : 0;
  if (comma > 0) {
    k += comma;
    while (k < end && src[k] === 32) k++;
    const e2 = k < end ? decimalEnd(src, k, end) : -1;
    if (e2 > 0) {
      const v2 = decimalOut.value;
      const p2 = decimalOut.places;
      const inRange = (Math.abs(v1) <= 90 && Math.abs(v2) <= 180) || (Math.abs(v1) <= 180 && Math.abs(v2) <= 90);
      // Unhinted pairs need ≥ 3 decimals each (≈110 m): prices and ratios rarely have them, GPS fixes do.
      // Both under 1 (0.125,0.250) reads as ratios, not a place.
      const place = Math.abs(v1) >= 1 || Math.abs(v2) >= 1;
      if (inRange && (hinted || (p1 >= 3 && p2 >= 3 && place))) {
        const hit = push('geo_coordinate', signAt, e2, hinted ? `field ${hint?.entry ?? ''}` : 'coordinate pair in range');
        hit.precision = Math.min(p1, p2);
        return e2;
      }
    }
  }
  if (hinted && Math.abs(v1) <= 180) {
    const hit = push('geo_coordinate', signAt, e1, `field ${hint?.entry ?? ''}`);
    hit.precision = p1;
    return e1;
  }
  return digitsAt === signAt ? e1 : -1;
}

/** Mixed letters and digits: USCC, resident ID with X, HKID, passports and permits. */
function scanCode(i: number, j: number, letters: number): void {
  const { src } = state;
  const length = j - i;
  if (length === 18) {
    const verdict = usccVerdict(src, i, isProvincePrefix);
    if (verdict !== null) {
      const hit = push('cn_uscc', i, j, verdict === 'valid' ? 'GB 32100 check character' : 'GB 32100 check fails: early Fujian code shape');
      if (verdict === 'suspect') hit.suspect = true;
    }
    return;
  }
  // At most two letters and a check letter (HKID WR515170A); longer words are not document numbers.
  if (letters > 3 || length < 7 || length > 11) return;
  const first = src[i]!;
  if (first < 65 || first > 90) return;
  if (isPassportShape(src, i, j)) {
    const why = weakVouch('cn_passport', i);
    if (why !== null) {
      pushId('cn_passport', i, j, why, src, i, j);
      return;
    }
  }
  if (isHkMacaoPermitShape(src, i, j)) {
    const why = weakVouch('hk_macao_permit', i);
    if (why !== null) {
      pushId('hk_macao_permit', i, j, why, src, i, j);
      return;
    }
  }
  scanHkid(i, j);
}

/** HKID: A123456(7), A1234567, AB123456(A) — the check digit makes it confident on its own. */
function scanHkid(i: number, j: number): void {
  const { src, end } = state;
  const second = src[i + 1]!;
  const letters = second >= 65 && second <= 90 ? 2 : 1;
  for (let k = i + letters; k < i + letters + 6; k++) if (!isDigit(src[k]!)) return;
  const length = j - i;
  let check = -1;
  let hitEnd = j;
  if (length === letters + 7) {
    check = src[j - 1]!;
  } else if (length === letters + 6 && j + 2 < end && src[j] === 40 && src[j + 2] === 41) {
    check = src[j + 1]!;
    hitEnd = j + 3;
  }
  if (!(isDigit(check) || check === 65)) return;
  if (validHkid(src, i, letters, check)) pushIdString('hkid', i, hitEnd, 'MOD 11 check digit', hkidIdentifier(src, i, letters, check));
}

/** A plate at a province character: weak, so only with a field name or hotword. */
function scanPlate(i: number): number {
  const { src, end } = state;
  const length = plateLength(src, i, end);
  if (length === 0) return i + 3;
  const e = i + length;
  if (e < end && isAlnum(src[e]!)) return e;
  const why = weakVouch('cn_plate', i);
  if (why !== null) push('cn_plate', i, e, why);
  return e;
}

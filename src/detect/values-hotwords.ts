/**
 * Hotwords: words in free text that say what the value after them is (护照号码：E12345678).
 * Weak formats — 8-digit Taiwan permits, passports, permits, plates — are ordinary-looking
 * strings; they count only with a field name or a hotword beside them (CLARIFICATIONS 2).
 */
import type { ValueType } from '../domain.ts';
import { unitsOfByte } from './utf8.ts';

const hotwordTable: [word: string, vouchesFor: ValueType[]][] = [
  ['护照号码', ['cn_passport']],
  ['护照号', ['cn_passport']],
  ['护照', ['cn_passport']],
  ['passport', ['cn_passport']],
  ['往来港澳通行证', ['hk_macao_permit']],
  ['港澳通行证', ['hk_macao_permit']],
  ['来往内地通行证', ['hk_macao_permit']],
  ['回乡证', ['hk_macao_permit']],
  ['台湾居民来往大陆通行证', ['tw_permit']],
  ['台胞证', ['tw_permit']],
  ['通行证', ['hk_macao_permit', 'tw_permit']],
  ['permit', ['hk_macao_permit', 'tw_permit']],
  ['车牌号码', ['cn_plate']],
  ['车牌号', ['cn_plate']],
  ['车牌', ['cn_plate']],
  ['号牌', ['cn_plate']],
  ['牌照', ['cn_plate']],
  ['plate', ['cn_plate']],
];

/** How far (UTF-16 units) a hotword's end may be from the value: "护照号码（请核对）：E…" still reads as one phrase. */
export const hotwordReach = 12;

interface Hotword {
  word: string;
  /** The word in UTF-8, ASCII letters lower-case. */
  bytes: Uint8Array;
  /** Its length in UTF-16 units. */
  units: number;
  types: readonly ValueType[];
}

const byFirstByte = new Map<number, Hotword[]>();
let longest = 0;
for (const [word, types] of hotwordTable) {
  const bytes = new TextEncoder().encode(word.toLowerCase());
  const list = byFirstByte.get(bytes[0]!) ?? [];
  list.push({ word, bytes, units: word.length, types });
  // Longer words first, so "护照号码" is named rather than "护照".
  list.sort((x, y) => y.units - x.units);
  byFirstByte.set(bytes[0]!, list);
  longest = Math.max(longest, word.length);
}

/** First bytes of hotwords: most characters before a value start none, and are passed over with one load. */
const firstBytes = new Uint8Array(256);
for (const first of byFirstByte.keys()) firstBytes[first] = 1;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function matchesAt(s: Buffer, p: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (lower(s[p + k]!) !== word[k]) return false;
  return true;
}

/** The nearest hotword for `type` ending within `hotwordReach` units before `valueStart`, or null. */
export function hotwordBefore(s: Buffer, valueStart: number, lowest: number, type: ValueType): string | null {
  const reach = hotwordReach + longest;
  // UTF-16 units from p to the value, counted as p walks back over whole characters.
  let units = 0;
  for (let p = valueStart - 1; p >= lowest; p--) {
    const b = s[p]!;
    if ((b & 0xc0) === 0x80) continue;
    units += unitsOfByte(b);
    if (units > reach) break;
    const c = lower(b);
    if (firstBytes[c] === 0) continue;
    const candidates = byFirstByte.get(c);
    if (candidates === undefined) continue;
    for (const hotword of candidates) {
      const gap = units - hotword.units;
      if (gap < 0 || gap > hotwordReach || p + hotword.bytes.length > valueStart) continue;
      if (hotword.types.includes(type) && matchesAt(s, p, hotword.bytes)) return hotword.word;
    }
  }
  return null;
}

/**
 * Hotwords: words in free text that say what the value after them is (护照号码：E12345678).
 * Weak formats — 8-digit Taiwan permits, passports, permits, plates — are ordinary-looking
 * strings; they count only with a field name or a hotword beside them (CLARIFICATIONS 2).
 */
import type { ValueType } from '../domain.ts';

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
  types: readonly ValueType[];
}

const byFirstChar = new Map<number, Hotword[]>();
let longest = 0;
for (const [word, types] of hotwordTable) {
  const first = word.charCodeAt(0);
  const list = byFirstChar.get(first) ?? [];
  list.push({ word, types });
  // Longer words first, so "护照号码" is named rather than "护照".
  list.sort((x, y) => y.word.length - x.word.length);
  byFirstChar.set(first, list);
  longest = Math.max(longest, word.length);
}

/** First chars of hotwords: most chars before a value start none, and are passed over with one load. */
const firstChars = new Uint8Array(0x10000);
for (const first of byFirstChar.keys()) firstChars[first] = 1;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function matchesAt(s: string, p: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (lower(s.charCodeAt(p + k)) !== word.charCodeAt(k)) return false;
  return true;
}

/** The nearest hotword for `type` ending within `hotwordReach` before `valueStart`, or null. */
export function hotwordBefore(s: string, valueStart: number, lowest: number, type: ValueType): string | null {
  const floor = Math.max(lowest, valueStart - hotwordReach - longest);
  for (let p = valueStart - 1; p >= floor; p--) {
    const c = lower(s.charCodeAt(p));
    if (firstChars[c] === 0) continue;
    const candidates = byFirstChar.get(c);
    if (candidates === undefined) continue;
    for (const hotword of candidates) {
      const wordEnd = p + hotword.word.length;
      if (wordEnd > valueStart || valueStart - wordEnd > hotwordReach) continue;
      if (hotword.types.includes(type) && matchesAt(s, p, hotword.word)) return hotword.word;
    }
  }
  return null;
}

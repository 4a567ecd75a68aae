/**
 * Field names → meaning (issue 2 point 2). Keys are compared after normalisation: NFKC width
 * folding (ｉｄＮｏ, full-width brackets), lower-case ASCII, and no `_ - . space` separators, so
 * `idNo`, `id_no`, `ID-NO` and `Id No` are one name. Matching is exact first, then a person-role
 * prefix (`buyerIdNo`), then, for distinctive names only, any prefix (`买家身份证号`).
 */
import type { FieldMeaning } from './types.ts';
import { dictionary, notPersonal, rolePrefixes } from './dictionary-entries.ts';
import type { DictionaryGroup } from './dictionary-entries.ts';

/** Characters that separate words in field names, and decorations of CSV headers (`*姓名`, `姓名(必填)` aside). */
const separators = new Set([' ', '_', '-', '.', '/', ':', '*', '#', '·', '(', ')', '\t']);

export function normaliseFieldName(key: string): string {
  let folded = key;
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) >= 0x80) {
      folded = key.normalize('NFKC');
      break;
    }
  }
  folded = withoutAnnotation(folded);
  let out = '';
  for (const ch of folded) {
    if (separators.has(ch)) continue;
    const c = ch.charCodeAt(0);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : ch;
  }
  return out;
}

/** A header's trailing note in brackets says how to fill it, not what it is: 手机号(必填), phone [optional]. */
function withoutAnnotation(name: string): string {
  const last = name.charCodeAt(name.length - 1);
  if (last !== 41 /* ) */ && last !== 93 /* ] */ && last !== 0x3011 /* 】 */) return name;
  const open = Math.max(name.lastIndexOf('('), name.lastIndexOf('['), name.lastIndexOf('【'));
  return open > 0 ? name.slice(0, open) : name;
}

function meaningOf(group: DictionaryGroup, entry: string): FieldMeaning {
  const meaning: FieldMeaning = { entry };
  if (group.valueType !== undefined) meaning.valueType = group.valueType;
  if (group.category !== undefined) meaning.category = group.category;
  if (group.personal !== undefined) meaning.personal = group.personal;
  return Object.freeze(meaning);
}

/** Every name, exact. */
const exactNames = new Map<string, FieldMeaning>();
/** Names that may follow a role prefix ('role' and 'any'). */
const afterRole = new Map<string, FieldMeaning>();
/** Names that may follow any prefix, by name; looked up at each of `suffixLengths`, longest first. */
const anySuffixes = new Map<string, FieldMeaning>();

for (const group of dictionary) {
  for (const reach of ['any', 'role', 'exact'] as const) {
    for (const name of group.names[reach] ?? []) {
      const key = normaliseFieldName(name);
      const meaning = meaningOf(group, name);
      if (!exactNames.has(key)) exactNames.set(key, meaning);
      if (reach !== 'exact' && !afterRole.has(key)) afterRole.set(key, meaning);
      if (reach === 'any' && !anySuffixes.has(key)) anySuffixes.set(key, meaning);
    }
  }
}
// A Map lookup per distinct suffix length, not an endsWith per name: every distinct key of a
// body is looked up once, and a body of a million distinct keys walked the whole list for each.
const suffixLengths = [...new Set([...anySuffixes.keys()].map((name) => name.length))].sort((x, y) => y - x);
/** The last characters of those names, and the first characters of the role prefixes: most keys end or start otherwise. */
const suffixEnds = new Set([...anySuffixes.keys()].map((name) => name.charCodeAt(name.length - 1)));
const roles = rolePrefixes.map(normaliseFieldName).sort((x, y) => y.length - x.length);
const roleStarts = new Set(roles.map((role) => role.charCodeAt(0)));
const excluded = new Set(notPersonal);

function lookupNormalised(key: string): FieldMeaning | null {
  if (key.length === 0 || excluded.has(key)) return null;
  const exact = exactNames.get(key);
  if (exact !== undefined) return exact;
  if (roleStarts.has(key.charCodeAt(0))) {
    for (const role of roles) {
      if (key.length > role.length && key.startsWith(role)) {
        const meaning = afterRole.get(key.slice(role.length));
        if (meaning !== undefined) return meaning;
      }
    }
  }
  if (suffixEnds.has(key.charCodeAt(key.length - 1))) {
    for (const length of suffixLengths) {
      if (length > key.length) continue;
      const meaning = anySuffixes.get(length === key.length ? key : key.slice(key.length - length));
      if (meaning !== undefined) return meaning;
    }
  }
  // Numbered copies of a field: phone2, address_1, 联系电话1.
  let unnumbered = key.length;
  while (unnumbered > 0 && key.charCodeAt(unnumbered - 1) >= 48 && key.charCodeAt(unnumbered - 1) <= 57) unnumbered--;
  if (unnumbered < key.length && unnumbered > 1) return lookupNormalised(key.slice(0, unnumbered));
  return null;
}

/** Distinct keys are few in real payloads; a map keyed by user ids must not grow without bound. */
const cacheLimit = 10_000;
const cache = new Map<string, FieldMeaning | null>();

/** Meaning of a field name (JSON key, CSV header, form key): case-, separator- and width-insensitive (idNo, id_no, ID-NO, 身份证号, sfzh…). Cached; called once per distinct key. */
export function lookupField(key: string): FieldMeaning | null {
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  if (key.length > 64) return null; // no field name is a paragraph
  const meaning = lookupNormalised(normaliseFieldName(key));
  if (cache.size >= cacheLimit) cache.clear();
  cache.set(key, meaning);
  return meaning;
}

/** True when the field names a person (name, 姓名, xm, fullName, 客户名称 for a person…) — used for "identifiable individual" and for grouping people (CLARIFICATIONS 1). */
export function isNameField(key: string): boolean {
  return lookupField(key)?.personal === 'person_name';
}

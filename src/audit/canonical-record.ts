/**
 * RFC 8785 canonical JSON of an audit record, compiled from the record's shape: the key order of
 * every object is sorted once at start instead of on every append (the general encoder sorts and
 * allocates per object, ~4× slower on the writer's path). Any value off the expected shape — an
 * unknown key, a Date, another kind — is handed to the general `canonicalJson`, so the bytes are
 * the same for every plain-data value (a property test holds it to that).
 */
import { canonicalJson } from '../shared/canonical-json.ts';

type Encoder = (value: unknown) => string;

const string: Encoder = (value) => (typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value));
// ECMAScript Number::toString is RFC 8785's number form; non-finite numbers go to the general
// encoder, which refuses them.
const number: Encoder = (value) => (typeof value === 'number' && Number.isFinite(value) ? JSON.stringify(value) : canonicalJson(value));
const boolean: Encoder = (value) => (value === true ? 'true' : value === false ? 'false' : canonicalJson(value));
const nullable = (encode: Encoder): Encoder => (value) => (value === null ? 'null' : encode(value));

function array(encode: Encoder): Encoder {
  return function encodeArray(value) {
    if (!Array.isArray(value)) return canonicalJson(value);
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      // Holes and undefined items are null in JSON; the general encoder already says so.
      out += (i === 0 ? '' : ',') + (item === undefined ? 'null' : encode(item));
    }
    return `${out}]`;
  };
}

/** `{ key: encoder }` for every key the object may have; absent and undefined members are skipped. */
function object(fields: Record<string, Encoder>): Encoder {
  // Default sort compares UTF-16 code units, the order RFC 8785 §3.2.3 prescribes.
  const keys = Object.keys(fields).sort();
  const prefixes = keys.map((key) => `${JSON.stringify(key)}:`);
  const encoders = keys.map((key) => fields[key]!);
  return function encodeObject(value) {
    if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return canonicalJson(value);
    const members = value as Record<string, unknown>;
    let out = '';
    let emitted = 0;
    for (let i = 0; i < keys.length; i++) {
      const member = members[keys[i]!];
      if (member === undefined) continue;
      out += (emitted === 0 ? '{' : ',') + prefixes[i]! + encoders[i]!(member);
      emitted += 1;
    }
    // A key the shape does not know (or one holding undefined) makes the counts differ: the
    // general encoder then decides, so an unexpected field is hashed, never silently dropped.
    if (emitted !== Object.keys(members).length) return canonicalJson(value);
    return emitted === 0 ? '{}' : `${out}}`;
  };
}

const classCounts = object({ nonSensitive: number, sensitive: number });
const ruleRefObject = object({ id: string, legalBasis: string });

const byKind: Record<string, Record<string, Encoder>> = {
  decision: {
    kind: string, decisionId: string, at: string, enterprise: string, zone: string, destination: string,
    region: string, method: string, path: string, purpose: nullable(string), dataset: nullable(string),
    findings: array(object({ type: string, count: number, grade: string, sensitive: boolean, paths: array(string) })),
    records: number, subjects: number, sensitiveSubjects: number, decision: string, enforced: boolean,
    mechanism: string, filing: nullable(object({ kind: string, ref: string })),
    rules: array((value) => (typeof value === 'string' ? JSON.stringify(value) : ruleRefObject(value))),
    reasons: object({ zh: string, en: string }), warnings: array(string),
    counters: object({ before: classCounts, after: classCounts }),
    masking: nullable(object({ redact: array(string), drop: array(string), dropMinorRecords: boolean })),
    policyVersion: string, bytes: number, tally: string, error: nullable(string),
    purposeCheck: nullable(object({ purpose: string, accepted: boolean, note: string })),
  },
  outcome: {
    kind: string, decisionId: string, at: string, status: nullable(number), error: nullable(string),
    latencyMs: number, bytesReturned: number, enterprise: string, zone: string, destination: string,
  },
  'counter-import': {
    kind: string, decisionId: string, at: string, enterprise: string, zone: nullable(string), year: number,
    counts: classCounts, reason: nullable(string),
  },
};

/** The fields the store adds, in canonical (sorted) order. */
export interface StoredFields {
  id: string;
  leafIndex: number;
  node: string;
  seq: number;
}
const storedKeys = ['id', 'leafIndex', 'node', 'seq'] as const;

/**
 * A record's canonical members in five runs, split where the stored fields sort in, so the
 * writer can add them without encoding the record again: the record is encoded where it is
 * validated, and the writer only joins strings and hashes.
 */
export type RecordSegments = [string, string, string, string, string];

/** Which run a member key falls in: the number of stored keys sorting before it. */
const segmentOf = (key: string): number => storedKeys.filter((stored) => stored < key).length;

const compiled = Object.fromEntries(
  Object.entries(byKind).map(([kind, fields]) => {
    const keys = Object.keys(fields).sort();
    return [kind, { keys, prefixes: keys.map((key) => `${JSON.stringify(key)}:`), encoders: keys.map((key) => fields[key]!), segments: keys.map(segmentOf) }];
  }),
);

/** Any plain-data record, any kind: its own keys sorted, each member by the general encoder. */
function generalSegments(record: Record<string, unknown>): RecordSegments {
  const runs: string[][] = [[], [], [], [], []];
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined && !(storedKeys as readonly string[]).includes(key))
    .sort();
  for (const key of keys) runs[segmentOf(key)]!.push(`${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return runs.map((run) => run.join(',')) as RecordSegments;
}

export function recordSegments(record: Record<string, unknown>): RecordSegments {
  const shape = typeof record.kind === 'string' && Object.hasOwn(compiled, record.kind) ? compiled[record.kind]! : null;
  if (!shape || Object.getPrototypeOf(record) !== Object.prototype) return generalSegments(record);
  const runs: RecordSegments = ['', '', '', '', ''];
  let emitted = 0;
  for (let i = 0; i < shape.keys.length; i++) {
    const member = record[shape.keys[i]!];
    if (member === undefined) continue;
    const run = shape.segments[i]!;
    runs[run] += (runs[run] === '' ? '' : ',') + shape.prefixes[i]! + shape.encoders[i]!(member);
    emitted += 1;
  }
  // Unknown keys (or stored fields, or undefined members) make the counts differ: the general
  // path then decides, so an unexpected field is hashed, never silently dropped.
  return emitted === Object.keys(record).length ? runs : generalSegments(record);
}

/** `canonicalJson({ ...record, ...stored })` from the record's segments. */
export function storedRecordJson(segments: RecordSegments, stored: StoredFields): string {
  let out = '{';
  const add = (member: string) => {
    if (member === '') return;
    out += out === '{' ? member : `,${member}`;
  };
  add(segments[0]);
  add(`"id":${JSON.stringify(stored.id)}`);
  add(segments[1]);
  add(`"leafIndex":${stored.leafIndex}`);
  add(segments[2]);
  add(`"node":${JSON.stringify(stored.node)}`);
  add(segments[3]);
  add(`"seq":${stored.seq}`);
  add(segments[4]);
  return `${out}}`;
}

const topLevel = Object.fromEntries(
  Object.entries(byKind).map(([kind, fields]) => [kind, object({ ...fields, id: string, node: string, leafIndex: number, seq: number })]),
);

/** `canonicalJson(record)`, fast for the three record kinds (stored fields included or not). */
export function canonicalRecord(record: unknown): string {
  const kind = record !== null && typeof record === 'object' ? (record as { kind?: unknown }).kind : undefined;
  const encode = typeof kind === 'string' && Object.hasOwn(topLevel, kind) ? topLevel[kind]! : canonicalJson;
  return encode(record);
}

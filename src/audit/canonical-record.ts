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
const stored = { id: string, node: string, leafIndex: number, seq: number };
const ruleRefObject = object({ id: string, legalBasis: string });

const byKind: Record<string, Encoder> = {
  decision: object({
    ...stored,
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
  }),
  outcome: object({
    ...stored,
    kind: string, decisionId: string, at: string, status: nullable(number), error: nullable(string),
    latencyMs: number, bytesReturned: number, enterprise: string, zone: string, destination: string,
  }),
  'counter-import': object({
    ...stored,
    kind: string, decisionId: string, at: string, enterprise: string, zone: nullable(string), year: number,
    counts: classCounts, reason: nullable(string),
  }),
};

/** `canonicalJson(record)`, fast for the three record kinds (stored fields included or not). */
export function canonicalRecord(record: unknown): string {
  const kind = record !== null && typeof record === 'object' ? (record as { kind?: unknown }).kind : undefined;
  const encode = typeof kind === 'string' && Object.hasOwn(byKind, kind) ? byKind[kind]! : canonicalJson;
  return encode(record);
}

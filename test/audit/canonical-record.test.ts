/**
 * The record-shaped encoder must give the general RFC 8785 encoder's bytes for every value: leaf
 * hashes written by the store are checked by `audit verify` and by regulators with the general one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditRecordSchema, newDecisionId } from '../../src/audit/index.ts';
import { canonicalRecord, recordSegments, storedRecordJson } from '../../src/audit/canonical-record.ts';
import { decisionKinds, filingKinds, grades, mechanisms, purposes, zones } from '../../src/domain.ts';
import { canonicalJson } from '../../src/shared/canonical-json.ts';

const text = fc.string({ unit: 'binary', maxLength: 24 });
const count = fc.nat();
const counts = fc.record({ nonSensitive: count, sensitive: count });
const instant = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
const uuid = fc.uuid({ version: 7 });
const stored = { id: text, node: text, leafIndex: count, seq: fc.integer({ min: 1 }) };
const optional = { requiredKeys: [] as never[] };

const decision = fc.record(
  {
    kind: fc.constant('decision' as const), decisionId: uuid, at: instant, enterprise: text, zone: fc.constantFrom(...zones),
    destination: text, region: text, method: text, path: text, purpose: fc.option(fc.constantFrom(...purposes)), dataset: fc.option(text),
    findings: fc.array(fc.record({ type: text, count, grade: fc.constantFrom(...grades), sensitive: fc.boolean(), paths: fc.array(text, { maxLength: 3 }) }), { maxLength: 4 }),
    records: count, subjects: count, sensitiveSubjects: count, decision: fc.constantFrom(...decisionKinds), enforced: fc.boolean(),
    mechanism: fc.constantFrom(...mechanisms), filing: fc.option(fc.record({ kind: fc.constantFrom(...filingKinds), ref: text })),
    rules: fc.array(fc.oneof(text, fc.record({ id: text, legalBasis: text })), { maxLength: 4 }),
    reasons: fc.record({ zh: text, en: text }), warnings: fc.array(text, { maxLength: 3 }),
    counters: fc.record({ before: counts, after: counts }),
    masking: fc.option(fc.record({ redact: fc.array(text, { maxLength: 3 }), drop: fc.array(text, { maxLength: 3 }), dropMinorRecords: fc.boolean() })),
    policyVersion: text, bytes: count,
  },
).chain((required) =>
  fc.record(
    {
      tally: fc.constantFrom('regulated', 'exempt'), error: fc.option(text),
      purposeCheck: fc.option(fc.record({ purpose: fc.constantFrom(...purposes), accepted: fc.boolean(), note: text })),
      ...stored,
    },
    optional,
  ).map((extra) => ({ ...required, ...extra })),
);

const outcome = fc.record(
  {
    kind: fc.constant('outcome' as const), decisionId: uuid, at: instant, status: fc.option(fc.integer({ min: 100, max: 599 })), error: fc.option(text),
    latencyMs: fc.double({ min: 0, max: 1e6, noNaN: true }), bytesReturned: count, enterprise: text, zone: fc.constantFrom(...zones), destination: text, ...stored,
  },
  { requiredKeys: ['kind', 'decisionId', 'at', 'status', 'error', 'latencyMs', 'bytesReturned'] },
);

const counterImport = fc.record(
  {
    kind: fc.constant('counter-import' as const), decisionId: uuid, at: instant, enterprise: text, zone: fc.option(fc.constantFrom(...zones)),
    year: fc.integer({ min: 2000, max: 9999 }), counts, reason: fc.option(text), ...stored,
  },
  { requiredKeys: ['kind', 'decisionId', 'at', 'enterprise', 'year', 'counts', 'reason'] },
);

const record = fc.oneof(decision, outcome, counterImport);

const storedFields = fc.record({ id: text, leafIndex: count, node: text, seq: fc.integer({ min: 1 }) });

/** `encode(value)` gives the general encoder's text for `general`, or refuses alike. */
function agrees(encode: () => string, general: () => string): void {
  let expected: string | Error;
  try {
    expected = general();
  } catch (error) {
    expected = error as Error;
  }
  if (!(expected instanceof Error)) {
    expect(encode()).toBe(expected);
    return;
  }
  let refused: unknown = null;
  try {
    encode();
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(expected.constructor);
  expect((refused as Error).message).toBe(expected.message);
}

/** Both the whole-record encoder and the segments the writer completes give the general bytes. */
function sameAsGeneral(value: unknown, stored: { id: string; leafIndex: number; node: string; seq: number } = { id: 'n:0', leafIndex: 0, node: 'n', seq: 1 }): void {
  agrees(() => canonicalRecord(value), () => canonicalJson(value));
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    agrees(() => storedRecordJson(recordSegments(record), stored), () => canonicalJson({ ...record, ...stored }));
  }
}

/** Sets `path` (a list of keys into nested objects) of a deep copy to `replacement`, or deletes it. */
function mutate(value: Record<string, unknown>, path: string[], replacement: unknown, remove: boolean): Record<string, unknown> {
  const copy = structuredClone(value);
  let target: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (next === null || typeof next !== 'object') return copy;
    target = next as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (remove) delete target[last];
  else target[last] = replacement;
  return copy;
}

describe('canonical encoding of audit records', () => {
  it('matches the general RFC 8785 encoder on every record shape, stored fields or not, whole or completed by the writer', () => {
    fc.assert(fc.property(record, storedFields, (value, stored) => sameAsGeneral(value, stored)), { numRuns: 2000 });
  });

  it('matches it on the records zod hands the store', () => {
    fc.assert(
      fc.property(record, (value) => {
        const parsed = auditRecordSchema.safeParse(value);
        if (parsed.success) sameAsGeneral(parsed.data);
      }),
      { numRuns: 500 },
    );
  });

  it('matches it, or refuses alike, when a field is off the shape: unknown, undefined, another type, removed', () => {
    const key = fc.constantFrom('kind', 'at', 'findings', 'counters', 'rules', 'masking', 'status', 'counts', 'extra', 'leafIndex', '__proto__x', 'é', '\ud800');
    const path = fc.oneof(fc.tuple(key).map((k) => [...k]), fc.tuple(key, fc.constantFrom('0', 'before', 'type', 'nonSensitive', 'new', 'zh')).map((k) => [...k]));
    const replacement = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom(undefined, new Date('2026-03-01T08:00:00Z'), Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 5e-7, [undefined, 1], Object.create(null) as unknown, 10n),
    );
    fc.assert(
      fc.property(record, path, replacement, fc.boolean(), storedFields, (value, at, other, remove, stored) => sameAsGeneral(mutate(value, at, other, remove), stored)),
      { numRuns: 3000 },
    );
  });

  it('matches it on arbitrary values, records or not', () => {
    fc.assert(fc.property(fc.anything({ withDate: true, withNullPrototype: true, withBigInt: true }), (value) => sameAsGeneral(value)), { numRuns: 1000 });
    fc.assert(
      fc.property(fc.constantFrom('decision', 'outcome', 'counter-import'), fc.dictionary(fc.string(), fc.jsonValue()), storedFields, (kind, rest, stored) => sameAsGeneral({ ...rest, kind }, stored)),
      { numRuns: 1000 },
    );
  });
});

describe('decision ids', () => {
  it('are UUIDv7 carrying the decision time in their first 48 bits, and never repeat', () => {
    const ids = new Set<string>();
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date(2 ** 48 - 1), noInvalidDate: true }), (at) => {
        const id = newDecisionId(at);
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at.getTime());
        ids.add(id);
      }),
      { numRuns: 3000 },
    );
    expect(ids.size).toBe(3000);
  });
});

describe('the general encoder against RFC 8785', () => {
  it('gives the RFC’s own example output (§3.2.4): numbers, string escapes and literals', () => {
    const input = JSON.parse('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}') as unknown;
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts members by UTF-16 code units as the RFC’s example does (§3.2.3)', () => {
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    // Read from the text: JSON.parse would put the integer-like key "1" first whatever the order.
    const textOrder = [...canonicalJson(input).matchAll(/"([^"]*)":"[^"]*"/g)].map((match) => JSON.parse(`"${match[1]}"`) as string);
    expect(textOrder).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });
});

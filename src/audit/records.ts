/**
 * What the audit log holds. Records carry counts, types, grades and field paths — never raw
 * values and never subject hashes (CLARIFICATIONS 8) — so the log can be handed to a regulator whole.
 */
import { randomFillSync } from 'node:crypto';
import { z } from 'zod';
import { decisionKinds, filingKinds, grades, mechanisms, purposes, zones } from '../domain.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// randomBytes costs ~7 µs a call whatever the size: ids draw from a pool refilled 256 at a time.
const idPool = Buffer.alloc(16 * 256);
let idPoolOffset = idPool.length;

/** A UUIDv7 (RFC 9562 §5.7): time-ordered, so decision ids sort like the log. */
export function newDecisionId(at: Date = new Date()): string {
  if (idPoolOffset === idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const bytes = idPool.subarray(idPoolOffset, idPoolOffset + 16);
  idPoolOffset += 16;
  const ms = at.getTime();
  // 48-bit milliseconds, big-endian: the high 16 bits and the low 32 bits.
  bytes.writeUInt16BE(Math.floor(ms / 2 ** 32) & 0xffff, 0);
  bytes.writeUInt32BE(ms >>> 0, 2);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Dates become ISO strings so the canonical encoding (and thus the leaf hash) is stable. */
const instant = z.preprocess(
  (value) => (value instanceof Date ? value.toISOString() : value),
  // Normalised to UTC `…Z` so times sort as text in both stores and hash the same everywhere.
  z.iso.datetime({ offset: true }).transform((text) => new Date(text).toISOString()),
);
const count = z.number().int().nonnegative();
const classCounts = z.object({ nonSensitive: count, sensitive: count });

export const findingSummarySchema = z.object({
  type: z.string().min(1).max(64),
  count,
  grade: z.enum(grades),
  sensitive: z.boolean(),
  // Field paths only (`$.orders[*].idNo`); capped so a hostile body cannot bloat the log.
  paths: z.array(z.string().max(256)).max(20),
});

const ruleRef = z.union([z.string().max(128), z.object({ id: z.string().max(128), legalBasis: z.string().max(512) })]);

export const decisionRecordSchema = z.object({
  kind: z.literal('decision'),
  decisionId: z.string().regex(uuidPattern),
  at: instant,
  enterprise: z.string().min(1).max(64),
  zone: z.enum(zones),
  destination: z.string().max(128),
  region: z.string().max(16),
  method: z.string().max(16),
  /** The URL path without query values (they may carry personal information). */
  path: z.string().max(2048),
  purpose: z.enum(purposes).nullable(),
  dataset: z.string().max(256).nullable(),
  findings: z.array(findingSummarySchema),
  records: count,
  subjects: count,
  sensitiveSubjects: count,
  decision: z.enum(decisionKinds),
  enforced: z.boolean(),
  mechanism: z.enum(mechanisms),
  filing: z.object({ kind: z.enum(filingKinds), ref: z.string().max(256) }).nullable(),
  rules: z.array(ruleRef),
  reasons: z.object({ zh: z.string(), en: z.string() }),
  warnings: z.array(z.string()),
  counters: z.object({ before: classCounts, after: classCounts }),
  masking: z
    .object({ redact: z.array(z.string()), drop: z.array(z.string()), dropMinorRecords: z.boolean() })
    .nullable(),
  policyVersion: z.string().max(128),
  bytes: count,
  /** Which tally the transfer's subjects went to (CLARIFICATIONS 5). */
  tally: z.enum(['regulated', 'exempt']).optional(),
  /** The refusal code when the gateway refused before deciding (`XB_ERR_BODY_TOO_LARGE`, …). */
  error: z.string().max(64).nullable().optional(),
  purposeCheck: z.object({ purpose: z.enum(purposes), accepted: z.boolean(), note: z.string() }).nullable().optional(),
});

export const outcomeRecordSchema = z.object({
  kind: z.literal('outcome'),
  decisionId: z.string().regex(uuidPattern),
  at: instant,
  /** Upstream HTTP status, or null when the upstream failed (then `error` says how). */
  status: z.number().int().min(100).max(599).nullable(),
  error: z.string().max(256).nullable(),
  latencyMs: z.number().nonnegative(),
  bytesReturned: count,
  // Filled by the store from the decision record when the caller leaves them out.
  enterprise: z.string().min(1).max(64).optional(),
  zone: z.enum(zones).optional(),
  destination: z.string().max(128).optional(),
});

/** Seeding this year's totals from before the gateway (CLARIFICATIONS 6) is itself audited. */
export const counterImportRecordSchema = z.object({
  kind: z.literal('counter-import'),
  decisionId: z.string().regex(uuidPattern),
  at: instant,
  enterprise: z.string().min(1).max(64),
  zone: z.enum(zones).nullable().optional(),
  year: z.number().int().min(2000).max(9999),
  counts: classCounts,
  reason: z.string().max(1024).nullable(),
});

export const auditRecordSchema = z.discriminatedUnion('kind', [
  decisionRecordSchema,
  outcomeRecordSchema,
  counterImportRecordSchema,
]);

export type DecisionRecord = z.output<typeof decisionRecordSchema>;
export type OutcomeRecord = z.output<typeof outcomeRecordSchema>;
export type CounterImportRecord = z.output<typeof counterImportRecordSchema>;
export type AuditRecord = z.output<typeof auditRecordSchema>;
/** What callers pass to `append()`: dates may be `Date`s. */
export type AuditRecordInput = z.input<typeof auditRecordSchema>;
export type FindingSummary = z.output<typeof findingSummarySchema>;

/** Fields the store assigns. They are part of the hashed leaf, so moving a record is tampering. */
export interface StoredFields {
  /** `${node}:${leafIndex}` */
  id: string;
  node: string;
  leafIndex: number;
  /** Per-(node, zone) sequence from 1, so a zone's export shows gaps. */
  seq: number;
}
export type StoredRecord = AuditRecord & StoredFields;

const storedFields = { id: z.string(), node: z.string(), leafIndex: count, seq: z.number().int().positive() };

// Each kind extended, not an intersection with the stored fields: an intersection parses the
// record twice and merges the results, which made it the largest cost of `audit verify`.
export const storedRecordSchema = z.discriminatedUnion('kind', [
  decisionRecordSchema.extend(storedFields),
  outcomeRecordSchema.extend(storedFields),
  counterImportRecordSchema.extend(storedFields),
]);

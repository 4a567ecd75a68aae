/**
 * The two audit records of a transfer (CLARIFICATIONS 16): the decision record, committed
 * before anything is forwarded, and the outcome record, linked by decision id. Both carry
 * counts, types, grades and field paths only — never a value and never a subject hash.
 */
import type { AuditRecordInput, FindingSummary } from '../audit/index.ts';
import type { Decision, Destination, Enterprise } from '../policy/index.ts';
import type { ScanResult } from '../detect/index.ts';
import type { Purpose } from '../domain.ts';
import type { ErrorCode } from '../errors.ts';

export interface DecisionRecordInput {
  decisionId: string;
  at: Date;
  enterprise: Enterprise;
  destination: Destination;
  method: string;
  /** Route with found values masked and query values removed. */
  path: string;
  purpose: Purpose | null;
  dataset: string | null;
  scan: ScanResult;
  decision: Decision;
  /** The masking plan actually applied to the forwarded body (null when none). */
  maskingApplied: Decision['masking'];
  /** Set when the gateway refused before or instead of the policy decision. */
  error?: ErrorCode | null;
}

export function findingSummaries(scan: ScanResult): FindingSummary[] {
  return scan.findings.map((finding) => ({
    type: finding.type,
    count: finding.count,
    grade: finding.grade,
    sensitive: finding.sensitive,
    paths: finding.paths.slice(0, 20).map((path) => path.slice(0, 256)),
  }));
}

export function decisionRecord(input: DecisionRecordInput): AuditRecordInput {
  const { decision, scan } = input;
  return {
    kind: 'decision',
    decisionId: input.decisionId,
    at: input.at,
    enterprise: input.enterprise.id,
    zone: input.enterprise.zone,
    destination: input.destination.id,
    region: input.destination.region,
    method: input.method,
    path: input.path.slice(0, 2048),
    purpose: input.purpose,
    dataset: input.dataset,
    findings: findingSummaries(scan),
    records: scan.records,
    subjects: scan.subjects,
    sensitiveSubjects: scan.sensitiveSubjects,
    decision: decision.decision,
    enforced: decision.enforced,
    mechanism: decision.mechanism,
    filing: decision.filing,
    rules: decision.rules,
    reasons: decision.reasons,
    warnings: decision.warnings,
    counters: decision.counters,
    masking: input.maskingApplied,
    policyVersion: decision.policyVersion,
    bytes: scan.bytes,
    tally: decision.tally,
    error: input.error ?? null,
    purposeCheck: decision.purposeCheck,
  };
}

export interface OutcomeInput {
  decisionId: string;
  at: Date;
  status: number | null;
  error: string | null;
  latencyMs: number;
  bytesReturned: number;
  enterprise: Enterprise;
  destination: Destination;
}

export function outcomeRecord(input: OutcomeInput): AuditRecordInput {
  return {
    kind: 'outcome',
    decisionId: input.decisionId,
    at: input.at,
    status: input.status,
    error: input.error === null ? null : input.error.slice(0, 256),
    latencyMs: Math.max(0, Math.round(input.latencyMs * 1000) / 1000),
    bytesReturned: input.bytesReturned,
    enterprise: input.enterprise.id,
    zone: input.enterprise.zone,
    destination: input.destination.id,
  };
}

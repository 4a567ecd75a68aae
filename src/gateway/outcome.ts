/**
 * After the decision: the policy outcome applied to the body (mask, re-scan), and what the
 * caller sees when a transfer is refused (451 problem+json with the legal reasons).
 */
import { scanWithEvidence, type ScanResult } from '../detect/index.ts';
import type { Decision } from '../policy/index.ts';
import { XborderError } from '../errors.ts';
import { applyMaskingPlan } from './mask.ts';
import type { Inspection } from './inspect.ts';
import { toProblem } from './problem.ts';

const personalGrades = new Set(['pi', 'sensitive-pi']);

export function carriesPersonalInformation(scan: ScanResult): boolean {
  return scan.subjects > 0 || scan.findings.some((finding) => personalGrades.has(finding.grade));
}

export type MaskResult = { ok: true; body: Buffer; redacted: number; dropped: number; droppedRecords: number } | { ok: false; why: string };

/**
 * Applies the decision's plan to the decoded body, then scans the result again: masking lowers
 * the route only when the masked body carries no personal information (CLARIFICATIONS 12).
 */
export async function maskTransfer(
  inspection: Inspection,
  plan: NonNullable<Decision['masking']>,
  options: { contentType: string | undefined; at: Date; bareResidentIdSensitive: boolean },
): Promise<MaskResult> {
  if (inspection.outsideBody) return { ok: false, why: 'personal information in the URL or a scanned header cannot be masked' };
  const text = inspection.body.text;
  if (text === null) return { ok: false, why: 'the body is not text and cannot be masked' };
  const json = /json/i.test(options.contentType ?? '');
  const masked = applyMaskingPlan(text, inspection.body.spans, plan, { json });
  const contentType = withUtf8Charset(options.contentType);
  const rescan = await scanWithEvidence(masked.text, { contentType, at: options.at, bareResidentIdSensitive: options.bareResidentIdSensitive });
  if (carriesPersonalInformation(rescan.result)) {
    const left = rescan.result.findings.filter((finding) => personalGrades.has(finding.grade)).map((finding) => finding.type);
    return { ok: false, why: `the masked body still carries personal information (${[...new Set(left)].join(', ') || 'subjects'})` };
  }
  return { ok: true, body: Buffer.from(masked.text, 'utf8'), redacted: masked.redacted, dropped: masked.dropped, droppedRecords: masked.droppedRecords };
}

/** The masked body is re-encoded as UTF-8 whatever the original charset was. */
export function withUtf8Charset(contentType: string | undefined): string {
  if (!contentType) return 'text/plain; charset=utf-8';
  return /;\s*charset=/i.test(contentType) ? contentType.replace(/charset=[^;]*/i, 'charset=utf-8') : contentType;
}

/** A mask that could not be made safe is a deny, with the reason added (the mechanism stays the policy's). */
export function maskRefused(decision: Decision, why: string): Decision {
  return {
    ...decision,
    decision: 'deny',
    masking: null,
    reasons: {
      zh: `${decision.reasons.zh}；脱敏后仍含个人信息，拒绝出境（${why}）`,
      en: `${decision.reasons.en}; masking did not remove the personal information, so the transfer is refused (${why})`,
    },
    warnings: [...decision.warnings, `masking refused: ${why}`],
  };
}

/** 451 Unavailable For Legal Reasons (RFC 7725), problem+json with what the law requires. */
export function denialProblem(decision: Decision, decisionId: string): Response {
  const error = new XborderError('XB_ERR_TRANSFER_DENIED', decision.reasons.en);
  const problem = toProblem(error, {
    decisionId,
    mechanism: decision.mechanism,
    filing: decision.filing,
    rules: decision.rules,
    reasons: decision.reasons,
    warnings: decision.warnings,
    policyVersion: decision.policyVersion,
  });
  return new Response(JSON.stringify(problem), {
    status: 451,
    headers: { 'content-type': 'application/problem+json', 'x-xborder-decision': decision.decision, 'x-xborder-decision-id': decisionId },
  });
}

/**
 * A body that could not be read or decoded whole (over the cap, a decompression bomb, nested too
 * deep, an encoding Node cannot decode) is refused and recorded (CLARIFICATIONS 14, errorCodes
 * `audited`): nothing is forwarded, and the decision record says why.
 */
import { shanghaiYear } from '../domain.ts';
import type { ErrorCode, XborderError } from '../errors.ts';
import { decide, type Decision } from '../policy/index.ts';
import type { ScanResult } from '../detect/index.ts';
import type { GatewayContext } from './context.ts';
import type { Exchange } from './exchange.ts';
import { problemResponse } from './problem.ts';
import { decisionRecord } from './records.ts';
import type { TransferLog } from './transfer.ts';
import { audited, headerValue, recordPath, type Admitted } from './transfer-support.ts';

export const uninspectableCodes = new Set<ErrorCode>(['XB_ERR_BODY_TOO_LARGE', 'XB_ERR_DECODE_LIMIT', 'XB_ERR_NESTING_TOO_DEEP', 'XB_ERR_UNSUPPORTED_ENCODING']);

/** The policy decides on an "unscanned" result; the refusal code says why. */
export async function refuseUninspectable(ctx: GatewayContext, admitted: Admitted, exchange: Exchange, error: XborderError, log: TransferLog): Promise<Response> {
  const { policy, enterprise, destination, at, decisionId, route } = admitted;
  const totals = await audited(() => ctx.store.counters(enterprise.id, shanghaiYear(at)));
  const scan: ScanResult = {
    bytes: Number(headerValue(exchange.headers['content-length']) ?? 0) || 0,
    records: 0,
    subjects: 0,
    sensitiveSubjects: 0,
    identifiable: 0,
    parseError: null,
    unscanned: { reason: error.code === 'XB_ERR_BODY_TOO_LARGE' || error.code === 'XB_ERR_DECODE_LIMIT' ? 'too-large' : 'binary', bytes: 0 },
    contentType: headerValue(exchange.headers['content-type']) ?? 'application/octet-stream',
    findings: [],
  };
  const zero = { before: 0, new: 0 };
  const counts = { nonSensitive: { ...zero, before: totals.total.nonSensitive }, sensitive: { ...zero, before: totals.total.sensitive } };
  const policyDecision = decide({ policy, scan, enterprise, destination, purpose: admitted.purpose, dataset: admitted.dataset, counts, at });
  // Whatever the policy would say, a body the gateway did not read whole cannot be forwarded.
  const decision: Decision = { ...policyDecision, decision: 'deny', enforced: true, masking: null };
  await audited(() =>
    ctx.store.append(
      decisionRecord({
        decisionId,
        at,
        enterprise,
        destination,
        method: exchange.method,
        path: recordPath(`/${route.destinationId}/…`, route),
        purpose: admitted.purpose,
        dataset: admitted.dataset,
        scan,
        decision,
        maskingApplied: null,
        error: error.code,
      }),
    ),
  );
  ctx.metrics.decisions.inc({ decision: 'deny', zone: enterprise.zone, mechanism: decision.mechanism, enforced: 'true' });
  ctx.metrics.refusals.inc({ code: error.code });
  log.decision = 'deny';
  log.code = error.code;
  const headers: Record<string, string> = { 'x-xborder-decision': 'deny', 'x-xborder-decision-id': decisionId };
  // The rest of an oversized body is not read: close the connection rather than drain it.
  if (error.code === 'XB_ERR_BODY_TOO_LARGE') headers.connection = 'close';
  return problemResponse(error, { headers, extensions: { decisionId } });
}


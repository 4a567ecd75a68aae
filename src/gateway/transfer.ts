/**
 * One transfer through the gateway (DESIGN.md §2): auth → route → body → inspect → count →
 * decide → mask → audit (committed, fail closed) → forward → outcome. Every refusal after the
 * route is known and the body is read is recorded (errorCodes[…].audited).
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { hashSubjects, newDecisionId } from '../audit/index.ts';
import { purposes, shanghaiYear, type Purpose } from '../domain.ts';
import { isXborderError, XborderError, type ErrorCode } from '../errors.ts';
import { decide, findDestination, findEnterprise, type Decision, type Destination, type Enterprise, type LoadedPolicy } from '../policy/index.ts';
import type { ScanResult } from '../detect/index.ts';
import { requireRole } from './auth.ts';
import { readBody } from './body.ts';
import type { GatewayContext } from './context.ts';
import type { Exchange } from './exchange.ts';
import { inspectTransfer, type Inspection } from './inspect.ts';
import { denialProblem, maskRefused, maskTransfer, withUtf8Charset } from './outcome.ts';
import { asXborderError, problemResponse } from './problem.ts';
import { decisionRecord } from './records.ts';
import { parseTransferTarget, upstreamTarget, type TransferRoute } from './route.ts';
import { forwardTransfer } from './forward.ts';

export const transferMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The gateway's own request headers, validated like any outside input (and documented in OpenAPI). */
export const transferHeadersSchema = z.object({
  'x-xborder-purpose': z.enum(purposes).optional().describe('Declared exemption scenario (Arts. 3, 4, 5(1)–(3))'),
  'x-xborder-dataset': z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'a dataset name of letters, digits, . _ : -')
    .optional()
    .describe('Dataset the body belongs to (CLARIFICATIONS 13)'),
});

/** What the per-request log line says (never payload values). */
export interface TransferLog {
  decisionId: string;
  enterprise?: string;
  destination?: string;
  decision?: string;
  status?: number;
  code?: string;
}

interface Admitted {
  decisionId: string;
  at: Date;
  policy: LoadedPolicy;
  enterprise: Enterprise;
  destination: Destination;
  route: TransferRoute;
  purpose: Purpose | null;
  dataset: string | null;
}

export async function handleTransfer(ctx: GatewayContext, exchange: Exchange, log: TransferLog): Promise<Response> {
  const started = performance.now();
  const at = ctx.clock();
  const decisionId = newDecisionId(at);
  log.decisionId = decisionId;
  const ids = { 'x-xborder-decision-id': decisionId };
  let admitted: Admitted | null = null;
  try {
    admitted = await admit(ctx, exchange, decisionId, at);
    log.enterprise = admitted.enterprise.id;
    log.destination = admitted.destination.id;
    const response = await decideAndForward(ctx, exchange, admitted, started, log);
    return response;
  } catch (thrown) {
    const error = asXborderError(thrown);
    if (error.code === 'XB_ERR_INTERNAL') ctx.logger.error({ err: thrown, decisionId }, 'transfer failed');
    log.code = error.code;
    ctx.metrics.refusals.inc({ code: error.code });
    log.decision = 'refused';
    return problemResponse(error, { headers: { ...ids, 'x-xborder-decision': 'refused' } });
  }
}

/** Who, where, and with which declared purpose: nothing here is recorded yet. */
async function admit(ctx: GatewayContext, exchange: Exchange, decisionId: string, at: Date): Promise<Admitted> {
  if (ctx.state.shuttingDown) throw new XborderError('XB_ERR_SHUTTING_DOWN', 'the gateway is shutting down; retry on another node');
  const principal = await ctx.authenticate(headerValue(exchange.headers.authorization));
  requireRole(principal, 'enterprise');
  const policy = ctx.policies.current();
  const enterprise = findEnterprise(policy, principal.sub);
  if (!enterprise) throw new XborderError('XB_ERR_UNKNOWN_ENTERPRISE', `enterprise ${principal.sub} is not registered in the policy`);
  if (!(transferMethods as readonly string[]).includes(exchange.method)) {
    throw new XborderError('XB_ERR_METHOD_NOT_ALLOWED', `method ${exchange.method} cannot pass through /x/ (GET, POST, PUT, PATCH, DELETE)`);
  }
  const route = parseTransferTarget(exchange.rawTarget);
  const destination = findDestination(policy, route.destinationId);
  // Only registered outbound destinations: the gateway is never an open proxy.
  if (!destination || destination.direction !== 'outbound') {
    throw new XborderError('XB_ERR_UNKNOWN_DESTINATION', `destination ${route.destinationId} is not registered for outbound transfers`);
  }
  const declared = {
    'x-xborder-purpose': headerValue(exchange.headers['x-xborder-purpose']),
    'x-xborder-dataset': headerValue(exchange.headers['x-xborder-dataset']),
  };
  const headers =
    declared['x-xborder-purpose'] === undefined && declared['x-xborder-dataset'] === undefined
      ? { success: true as const, data: {} as z.output<typeof transferHeadersSchema> }
      : transferHeadersSchema.safeParse(declared);
  if (!headers.success) {
    const problems = headers.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new XborderError('XB_ERR_BAD_INPUT', problems.join('; '), { details: { problems } });
  }
  return {
    decisionId,
    at,
    policy,
    enterprise,
    destination,
    route,
    purpose: headers.data['x-xborder-purpose'] ?? null,
    dataset: headers.data['x-xborder-dataset'] ?? null,
  };
}

async function decideAndForward(ctx: GatewayContext, exchange: Exchange, admitted: Admitted, started: number, log: TransferLog): Promise<Response> {
  const { policy, enterprise, destination, route, at, decisionId } = admitted;
  const contentType = headerValue(exchange.headers['content-type']);
  const contentEncoding = headerValue(exchange.headers['content-encoding']);
  let body: Buffer;
  let inspection: Inspection;
  const scanStarted = performance.now();
  try {
    body = await readBody(exchange.body, ctx.settings.maxInspectBytes, headerValue(exchange.headers['content-length']));
    ctx.metrics.bytesInspected.inc({}, body.length);
    inspection = await inspectTransfer({
      body,
      contentType,
      contentEncoding,
      route,
      headers: scannedHeaders(ctx, policy, exchange),
      options: { at, bareResidentIdSensitive: policy.settings.bareResidentIdSensitive, maxDecodedBytes: ctx.settings.maxDecodedBytes },
    });
  } catch (thrown) {
    if (isXborderError(thrown) && uninspectableCodes.has(thrown.code)) return refuseUninspectable(ctx, admitted, exchange, thrown, log);
    throw thrown;
  }
  ctx.metrics.scanSeconds.observe({}, (performance.now() - scanStarted) / 1000);

  // Counters: every person of the transfer, hashed once, reserved under this decision id.
  const hashed = hashSubjects(ctx.subjectKey, inspection.subjects);
  const year = shanghaiYear(at);
  const reservation = await audited(() =>
    ctx.store.reserveSubjects({ enterprise: enterprise.id, year, decisionId, subjects: hashed.subjects, unkeyed: hashed.unkeyed }),
  );
  let settled = false;
  const release = async () => {
    if (settled) return;
    settled = true;
    await ctx.store.releaseSubjects(decisionId).catch((error: unknown) => ctx.logger.error({ err: error, decisionId }, 'releasing a reservation failed'));
  };
  try {
    const counts = structuredClone(reservation.counts);
    if (!policy.settings.countExemptSubjects) {
      // CLARIFICATIONS 5: the policy switch leaves exempt transfers' subjects out of the thresholds.
      counts.nonSensitive.before -= reservation.exemptBefore.nonSensitive;
      counts.sensitive.before -= reservation.exemptBefore.sensitive;
    }
    let decision: Decision = decide({ policy, scan: inspection.result, enterprise, destination, purpose: admitted.purpose, dataset: admitted.dataset, counts, at });
    let forwardBody = body;
    let masked = false;
    if (decision.decision === 'mask' && decision.masking && decision.enforced) {
      const result = await maskTransfer(inspection, decision.masking, {
        contentType,
        at,
        bareResidentIdSensitive: policy.settings.bareResidentIdSensitive,
      });
      if (result.ok) {
        forwardBody = result.body;
        masked = true;
      } else decision = maskRefused(decision, result.why);
    }
    countThresholdWarnings(ctx, enterprise, decision);

    // Fail closed: no committed record, no transfer (DESIGN.md §6).
    const commitStarted = performance.now();
    await audited(() =>
      ctx.store.append(
        decisionRecord({
          decisionId,
          at,
          enterprise,
          destination,
          method: exchange.method,
          path: recordPath(inspection.maskedPath, route),
          purpose: admitted.purpose,
          dataset: admitted.dataset,
          scan: inspection.result,
          decision,
          maskingApplied: masked ? decision.masking : null,
        }),
      ),
    );
    ctx.metrics.auditCommitSeconds.observe({}, (performance.now() - commitStarted) / 1000);
    ctx.metrics.decisions.inc({ decision: decision.decision, zone: enterprise.zone, mechanism: decision.mechanism, enforced: String(decision.enforced) });
    log.decision = decision.decision;

    if (decision.decision === 'deny' && decision.enforced) {
      await release();
      return denialProblem(decision, decisionId);
    }
    const target = upstreamTarget(destination.upstream, route);
    return await forwardTransfer(ctx, exchange, {
      decisionId,
      decision,
      enterprise,
      destination,
      target,
      body: forwardBody,
      masked,
      contentType: masked ? withUtf8Charset(contentType) : contentType,
      started,
      log,
      settle: async (sent: boolean) => {
        if (!sent) return release();
        settled = true;
        await ctx.store.settleSubjects(decisionId, decision.tally).catch((error: unknown) => ctx.logger.error({ err: error, decisionId }, 'settling a reservation failed'));
      },
    });
  } catch (thrown) {
    await release();
    throw thrown;
  }
}

const uninspectableCodes = new Set<ErrorCode>(['XB_ERR_BODY_TOO_LARGE', 'XB_ERR_DECODE_LIMIT', 'XB_ERR_NESTING_TOO_DEEP', 'XB_ERR_UNSUPPORTED_ENCODING']);

/**
 * A body that could not be read or decoded is refused and recorded (CLARIFICATIONS 14): the
 * policy decides on an "unscanned" result, the refusal code says why; nothing is forwarded.
 */
async function refuseUninspectable(ctx: GatewayContext, admitted: Admitted, exchange: Exchange, error: XborderError, log: TransferLog): Promise<Response> {
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

/** Store failures become 503 XB_ERR_AUDIT_UNAVAILABLE: the caller learns nothing was forwarded. */
async function audited<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isXborderError(error) && error.code !== 'XB_ERR_AUDIT_UNAVAILABLE') throw error;
    throw new XborderError('XB_ERR_AUDIT_UNAVAILABLE', 'the audit log cannot commit the decision; nothing was forwarded', { cause: error });
  }
}

function scannedHeaders(ctx: GatewayContext, policy: LoadedPolicy, exchange: Exchange): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of new Set([...ctx.settings.scanHeaders, ...policy.settings.scanHeaders.map((n) => n.toLowerCase())])) {
    const value = exchange.headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The recorded path: found values masked, query values left out (they may be personal data). */
function recordPath(maskedPath: string, route: TransferRoute): string {
  if (route.query === '') return maskedPath;
  const names = [...new Set(new URLSearchParams(route.query).keys())].map((name) => (/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(name) ? name : '***'));
  return `${maskedPath}?${names.map((name) => `${name}=`).join('&')}`;
}

function countThresholdWarnings(ctx: GatewayContext, enterprise: Enterprise, decision: Decision): void {
  // CLARIFICATIONS 6: a metric fires at 90% of each threshold (100,000 / 1,000,000 non-sensitive, 10,000 sensitive; Arts. 7, 8).
  const crossed = (before: number, after: number, limit: number) => before < 0.9 * limit && after >= 0.9 * limit;
  const { before, after } = decision.counters;
  if (crossed(before.nonSensitive, after.nonSensitive, 100_000) || crossed(before.nonSensitive, after.nonSensitive, 1_000_000)) {
    ctx.metrics.thresholdWarnings.inc({ zone: enterprise.zone, class: 'nonSensitive' });
  }
  if (crossed(before.sensitive, after.sensitive, 10_000)) ctx.metrics.thresholdWarnings.inc({ zone: enterprise.zone, class: 'sensitive' });
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

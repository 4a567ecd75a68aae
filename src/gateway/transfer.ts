/**
 * One transfer through the gateway (DESIGN.md §2): auth → route → body → inspect → count →
 * decide → mask → audit (committed, fail closed) → forward → outcome. Every refusal after the
 * route is known and the body is read is recorded (errorCodes[…].audited).
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { newDecisionId } from '../audit/index.ts';
import { datasetName, isForwarded, purposes, shanghaiYear } from '../domain.ts';
import { isXborderError, XborderError } from '../errors.ts';
import { decide, findDestination, findEnterprise, type Decision, type LoadedPolicy } from '../policy/index.ts';
import { requireRole } from './auth.ts';
import { readBody } from './body.ts';
import type { GatewayContext } from './context.ts';
import type { Exchange } from './exchange.ts';
import { inspectTransfer, type Inspection } from './inspect.ts';
import { denialProblem, maskRefused, maskTransfer, withUtf8Charset } from './outcome.ts';
import { asXborderError, problemResponse } from './problem.ts';
import { decisionRecord } from './records.ts';
import { parseTransferTarget, upstreamTarget } from './route.ts';
import { refuseUninspectable, uninspectableCodes } from './refusal.ts';
import { audited, countThresholdWarnings, headerValue, recordPath, type Admitted } from './transfer-support.ts';
import { forwardTransfer } from './forward.ts';

export const transferMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The gateway's own request headers, validated like any outside input (and documented in OpenAPI). */
export const transferHeadersSchema = z.object({
  'x-xborder-purpose': z.enum(purposes).optional().describe('Declared exemption scenario (Arts. 3, 4, 5(1)–(3))'),
  'x-xborder-dataset': z
    .string()
    .regex(datasetName.pattern, datasetName.message)
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

  // Counters: every person of the transfer, reserved under this decision id. The store hashes
  // the identifiers where its writer runs (the SQLite writer thread), not on this event loop.
  const year = shanghaiYear(at);
  const reservation = await audited(() => ctx.store.reservePeople({ enterprise: enterprise.id, year, decisionId, people: inspection.subjects }));
  let settled = false;
  const release = async () => {
    if (settled) return;
    settled = true;
    await ctx.store.releaseSubjects(decisionId).catch((error: unknown) => ctx.logger.error({ err: error, decisionId }, 'releasing a reservation failed'));
  };
  try {
    const { nonSensitive, sensitive } = reservation.counts;
    const counts = { nonSensitive: { ...nonSensitive }, sensitive: { ...sensitive } };
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

    if (!isForwarded(decision.decision, decision.enforced, masked)) {
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
      finish: async (sent, outcome) => {
        settled = true;
        await ctx.store.finishTransfer(decisionId, sent ? decision.tally : 'release', outcome).catch((error: unknown) => {
          // The transfer happened (or not) and its decision record is committed. Say so loudly.
          ctx.logger.error({ err: error, decisionId }, 'the outcome record and the settlement could not be committed');
        });
      },
    });
  } catch (thrown) {
    await release();
    throw thrown;
  }
}

// The header names to scan, per policy version (the settings' part is fixed for the process).
const scannedHeaderNames = new WeakMap<LoadedPolicy, string[]>();

function scannedHeaders(ctx: GatewayContext, policy: LoadedPolicy, exchange: Exchange): Record<string, string> {
  let names = scannedHeaderNames.get(policy);
  if (!names) {
    names = [...new Set([...ctx.settings.scanHeaders, ...policy.settings.scanHeaders.map((n) => n.toLowerCase())])];
    scannedHeaderNames.set(policy, names);
  }
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = exchange.headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

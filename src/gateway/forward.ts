/**
 * Forwarding a decided transfer and recording its outcome: the response is streamed back to the
 * caller as it arrives; the outcome record (status, latency, bytes returned) follows it, or a
 * 502 with the failure when the upstream fails after the decision.
 */
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { AuditRecordInput } from '../audit/index.ts';
import { XborderError } from '../errors.ts';
import type { Decision, Destination, Enterprise } from '../policy/index.ts';
import type { GatewayContext } from './context.ts';
import type { Exchange } from './exchange.ts';
import { problemResponse } from './problem.ts';
import { outcomeRecord } from './records.ts';
import type { UpstreamTarget } from './route.ts';
import type { TransferLog } from './transfer.ts';
import { callerResponseHeaders, forwardedHeader, upstreamRequestHeaders } from './upstream.ts';

export interface ForwardInput {
  decisionId: string;
  decision: Decision;
  enterprise: Enterprise;
  destination: Destination;
  target: UpstreamTarget;
  body: Buffer;
  masked: boolean;
  contentType: string | undefined;
  started: number;
  log: TransferLog;
  /**
   * Ends the transfer in one transaction: the reservation settled if the first byte left
   * (sent = true), else released (CLARIFICATIONS 7), and the outcome record appended.
   */
  finish: (sent: boolean, outcome: AuditRecordInput) => Promise<void>;
}

// Failures that happen before a connection exists: nothing of the body can have left.
const beforeSending = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);

export async function forwardTransfer(ctx: GatewayContext, exchange: Exchange, input: ForwardInput): Promise<Response> {
  const { decisionId, decision, target } = input;
  const headers = upstreamRequestHeaders(exchange.headers, {
    forwarded: forwardedHeader(exchange.remoteAddress, headerOf(exchange.headers.host), ctx.settings.nodeId),
    credentials: input.destination.upstreamHeaders ?? {},
    contentLength: input.body.length,
    dropContentEncoding: input.masked,
  });
  if (input.masked && input.contentType) headers['content-type'] = input.contentType;
  const decisionHeaders: Record<string, string> = {
    'x-xborder-decision': decision.decision,
    'x-xborder-decision-id': decisionId,
  };
  if (!decision.enforced) decisionHeaders['x-xborder-enforced'] = 'false';

  let upstream;
  try {
    upstream = await ctx.upstreams.request(target.origin, {
      path: target.path,
      method: exchange.method as 'GET',
      headers,
      body: exchange.method === 'GET' && input.body.length === 0 ? null : input.body,
    });
  } catch (error) {
    const code = errorCode(error);
    return upstreamFailed(ctx, input, code, !beforeSending.has(code), decisionHeaders);
  }
  // The first byte left: the subjects count as sent (CLARIFICATIONS 7), settled with the outcome
  // once the answer has streamed back, so the caller never waits for either.
  const responseHeaders = { ...callerResponseHeaders(upstream.headers), ...decisionHeaders };
  let bytes = 0;
  let failure: string | null = null;
  let response: Response;
  try {
    const sent = await exchange.stream(upstream.statusCode, responseHeaders, upstream.body as unknown as Readable);
    bytes = sent.bytes;
    response = sent.response;
  } catch (error) {
    failure = errorCode(error);
    bytes = (error as { bytesWritten?: number }).bytesWritten ?? 0;
    upstream.body.destroy();
    // Headers already went out and the connection was cut: nothing more can be said to the caller.
    response = exchange.afterStream;
  }
  await finish(ctx, input, true, upstream.statusCode, failure, bytes);
  input.log.status = upstream.statusCode;
  return response;
}

async function upstreamFailed(ctx: GatewayContext, input: ForwardInput, code: string, sent: boolean, headers: Record<string, string>): Promise<Response> {
  ctx.metrics.upstreamErrors.inc({ destination: input.destination.id });
  await finish(ctx, input, sent, null, code, 0);
  input.log.status = 502;
  input.log.code = 'XB_ERR_UPSTREAM';
  const error = new XborderError('XB_ERR_UPSTREAM', `the upstream of ${input.destination.id} failed (${code}) after the decision was recorded`);
  return problemResponse(error, { headers, extensions: { decisionId: input.decisionId } });
}

function finish(ctx: GatewayContext, input: ForwardInput, sent: boolean, status: number | null, error: string | null, bytes: number): Promise<void> {
  return input.finish(
    sent,
    outcomeRecord({
      decisionId: input.decisionId,
      at: ctx.clock(),
      status,
      error,
      latencyMs: performance.now() - input.started,
      bytesReturned: bytes,
      enterprise: input.enterprise,
      destination: input.destination,
    }),
  );
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'UNKNOWN';
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * One table (src/errors.ts `errorCodes`) → HTTP status and RFC 9457 problem+json, so every
 * refusal the gateway gives has the same shape and a stable `code` callers can branch on.
 */
import { errorCodes, isXborderError, XborderError, type ErrorCode } from '../errors.ts';

export const problemContentType = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  decisionId?: string;
  [extension: string]: unknown;
}

/** Stable documentation anchor per code (README error table). */
export function problemType(code: ErrorCode): string {
  return `https://xborder.dev/errors#${code.toLowerCase().replaceAll('_', '-')}`;
}

export function toProblem(error: XborderError, extensions: Record<string, unknown> = {}): Problem {
  const entry = errorCodes[error.code];
  return {
    type: problemType(error.code),
    title: entry.title,
    status: entry.status,
    detail: error.message,
    code: error.code,
    ...(error.details ?? {}),
    ...extensions,
  };
}

/** Anything thrown that is not an XborderError is an internal fault: its message is not shown. */
export function asXborderError(error: unknown): XborderError {
  if (isXborderError(error)) return error;
  return new XborderError('XB_ERR_INTERNAL', 'internal error', { cause: error });
}

export function problemResponse(
  error: XborderError,
  { headers = {}, extensions = {} }: { headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
): Response {
  const problem = toProblem(error, extensions);
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': problemContentType, ...headers },
  });
}

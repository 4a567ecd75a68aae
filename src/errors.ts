/**
 * One error hierarchy for the whole gateway. Callers branch on `code`, never on the message.
 * Every code has one HTTP status and one line in the README's error table; `audited` says
 * whether the refusal leaves a decision record in the audit log.
 */
export const errorCodes = {
  XB_ERR_BAD_INPUT: { status: 400, audited: false, title: 'Bad input' },
  XB_ERR_UNAUTHENTICATED: { status: 401, audited: false, title: 'Missing or invalid token' },
  XB_ERR_FORBIDDEN: { status: 403, audited: false, title: 'Not allowed for this token' },
  XB_ERR_UNKNOWN_ENTERPRISE: { status: 403, audited: false, title: 'Enterprise not registered' },
  XB_ERR_UNKNOWN_DESTINATION: { status: 404, audited: false, title: 'Destination not registered' },
  XB_ERR_NOT_FOUND: { status: 404, audited: false, title: 'Not found' },
  XB_ERR_BODY_TOO_LARGE: { status: 413, audited: true, title: 'Body larger than the inspection limit' },
  XB_ERR_UNSUPPORTED_ENCODING: { status: 415, audited: true, title: 'Body encoding or charset cannot be inspected' },
  XB_ERR_NESTING_TOO_DEEP: { status: 400, audited: true, title: 'Body nested too deeply to inspect' },
  XB_ERR_DECODE_LIMIT: { status: 413, audited: true, title: 'Decoded body exceeds the decompression limit' },
  XB_ERR_TRANSFER_DENIED: { status: 451, audited: true, title: 'Transfer refused under the cross-border data rules' },
  XB_ERR_POLICY_INVALID: { status: 422, audited: false, title: 'Policy files are invalid' },
  XB_ERR_POLICY_UNAVAILABLE: { status: 503, audited: false, title: 'No policy loaded' },
  XB_ERR_AUDIT_UNAVAILABLE: { status: 503, audited: false, title: 'Audit log unavailable; nothing was forwarded' },
  XB_ERR_AUDIT_TAMPERED: { status: 500, audited: false, title: 'Audit log verification failed' },
  XB_ERR_SUBJECT_KEY_MISMATCH: { status: 500, audited: false, title: 'Subject key does not match the store' },
  XB_ERR_UPSTREAM: { status: 502, audited: true, title: 'Upstream failed after the decision' },
  XB_ERR_CONFIG_INVALID: { status: 500, audited: false, title: 'Gateway settings are invalid' },
  XB_ERR_SHUTTING_DOWN: { status: 503, audited: false, title: 'Gateway is shutting down' },
  XB_ERR_PATH_REJECTED: { status: 400, audited: false, title: 'Path cannot be forwarded safely' },
  XB_ERR_METHOD_NOT_ALLOWED: { status: 405, audited: false, title: 'Method not allowed' },
  XB_ERR_INTERNAL: { status: 500, audited: false, title: 'Internal gateway error' },
} as const satisfies Record<string, { status: number; audited: boolean; title: string }>;

export type ErrorCode = keyof typeof errorCodes;

export class XborderError extends Error {
  override name = 'XborderError';
  readonly code: ErrorCode;
  /** Machine-readable details safe to show the caller (never raw personal data). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }
}

export function isXborderError(error: unknown, code?: ErrorCode): error is XborderError {
  return error instanceof XborderError && (code === undefined || error.code === code);
}

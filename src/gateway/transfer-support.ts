/** Small pieces the transfer pipeline and its refusals share. */
import type { Purpose } from '../domain.ts';
import { isXborderError, XborderError } from '../errors.ts';
import type { Decision, Destination, Enterprise, LoadedPolicy } from '../policy/index.ts';
import type { GatewayContext } from './context.ts';
import type { TransferRoute } from './route.ts';

/** A transfer whose caller, destination and declared purpose are known; nothing is recorded yet. */
export interface Admitted {
  decisionId: string;
  at: Date;
  policy: LoadedPolicy;
  enterprise: Enterprise;
  destination: Destination;
  route: TransferRoute;
  purpose: Purpose | null;
  dataset: string | null;
}

/** Store failures become 503 XB_ERR_AUDIT_UNAVAILABLE: the caller learns nothing was forwarded. */
export async function audited<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isXborderError(error) && error.code !== 'XB_ERR_AUDIT_UNAVAILABLE') throw error;
    throw new XborderError('XB_ERR_AUDIT_UNAVAILABLE', 'the audit log cannot commit the decision; nothing was forwarded', { cause: error });
  }
}

/** The recorded path: found values masked, query values left out (they may be personal data). */
export function recordPath(maskedPath: string, route: TransferRoute): string {
  if (route.query === '') return maskedPath;
  const names = [...new Set(new URLSearchParams(route.query).keys())].map((name) => (/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(name) ? name : '***'));
  return `${maskedPath}?${names.map((name) => `${name}=`).join('&')}`;
}

export function countThresholdWarnings(ctx: GatewayContext, enterprise: Enterprise, decision: Decision): void {
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

/**
 * One what-if evaluation: scan a payload and decide it, without touching any store. Shared by
 * `xborder check` and the policy test cases, so both see exactly what the gateway would decide.
 * `prior` replaces this year's totals and every payload subject is new (CLARIFICATIONS 6).
 */
import { isCalendarDay, type Purpose } from '../domain.ts';
import { scan } from '../detect/index.ts';
import type { ScanResult } from '../detect/types.ts';
import { XborderError } from '../errors.ts';
import { decide } from './decide.ts';
import type { Decision, LoadedPolicy } from './types.ts';

export interface Evaluation {
  enterprise: string;
  destination: string;
  purpose: Purpose | null;
  dataset: string | null;
  prior: { general: number; sensitive: number };
  at: Date;
  body: string | Uint8Array;
  contentType: string | undefined;
}

/** A calendar date given on the command line or in a case, read as noon in Asia/Shanghai. */
export function dateInShanghai(date: string): Date {
  if (!isCalendarDay(date)) throw new XborderError('XB_ERR_BAD_INPUT', `expected a date YYYY-MM-DD, got "${date}"`);
  return new Date(`${date}T12:00:00+08:00`);
}

/** `general=N,sensitive=M` (either part optional) → this year's totals before the transfer. */
export function parsePrior(text: string): { general: number; sensitive: number } {
  const prior = { general: 0, sensitive: 0 };
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const match = /^\s*(general|sensitive)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match) throw new XborderError('XB_ERR_BAD_INPUT', `expected --prior general=N,sensitive=M, got "${text}"`);
    const count = Number(match[2]);
    // Past 2^53 the digits are rounded: the decision would compare a number nobody wrote.
    if (!Number.isSafeInteger(count)) throw new XborderError('XB_ERR_BAD_INPUT', `--prior ${part.trim()}: a count of at most ${Number.MAX_SAFE_INTEGER}`);
    prior[match[1] as 'general' | 'sensitive'] = count;
  }
  return prior;
}

export async function evaluateTransfer(policy: LoadedPolicy, request: Evaluation): Promise<{ decision: Decision; scan: ScanResult }> {
  const enterprise = policy.enterprises.get(request.enterprise);
  if (!enterprise) throw new XborderError('XB_ERR_UNKNOWN_ENTERPRISE', `unknown enterprise "${request.enterprise}" (not in policies/enterprises.yaml)`);
  const destination = policy.destinations.get(request.destination);
  if (!destination) throw new XborderError('XB_ERR_UNKNOWN_DESTINATION', `unknown destination "${request.destination}" (not in policies/destinations.yaml)`);
  const result = await scan(request.body, {
    ...(request.contentType === undefined ? {} : { contentType: request.contentType }),
    at: request.at,
    bareResidentIdSensitive: policy.settings.bareResidentIdSensitive,
  });
  const decision = decide({
    policy,
    scan: result,
    enterprise,
    destination,
    purpose: request.purpose,
    dataset: request.dataset,
    counts: {
      nonSensitive: { before: request.prior.general, new: result.subjects },
      sensitive: { before: request.prior.sensitive, new: result.sensitiveSubjects },
    },
    at: request.at,
  });
  return { decision, scan: result };
}

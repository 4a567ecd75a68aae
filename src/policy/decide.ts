import type { Decision, DecisionInput } from './types.ts';

/** Provisional: replaced by the full precedence of DESIGN.md §5 in the next commit. */
export function decide(input: DecisionInput): Decision {
  const before = { nonSensitive: input.counts.nonSensitive.before, sensitive: input.counts.sensitive.before };
  const after = { nonSensitive: before.nonSensitive + input.counts.nonSensitive.new, sensitive: before.sensitive + input.counts.sensitive.new };
  return {
    decision: 'deny',
    mechanism: 'security-assessment',
    filing: null,
    rules: [],
    reasons: { zh: '策略引擎尚未完成', en: 'policy engine not complete yet' },
    counters: { before, after },
    warnings: [],
    masking: null,
    enforced: input.enterprise.mode === 'enforce',
    tally: 'regulated',
    purposeCheck: null,
    policyVersion: input.policy.version,
  };
}

/**
 * The policy concern's whole public face: load the policy files, decide a transfer, hold the
 * active policy for atomic reloads.
 */
export { loadPolicy, type LoadOptions } from './load.ts';
export { decide } from './decide.ts';
export { createPolicyHolder, type PolicyHolder } from './holder.ts';
export { defaultPolicyDir, packageRoot } from './files.ts';
export { formatIssue } from './yaml-source.ts';
export type {
  CompiledRuleSet,
  Decision,
  DecisionInput,
  Destination,
  Enterprise,
  Filing,
  LoadedPolicy,
  MaskingPlan,
  MaskingSettings,
  PolicyIssue,
  PolicySettings,
  Rule,
  RuleConditions,
  RuleEffect,
  ZonePolicy,
} from './types.ts';

import type { Destination, Enterprise, LoadedPolicy } from './types.ts';

/** The registered enterprise with this USCC, or null. */
export function findEnterprise(policy: LoadedPolicy, id: string): Enterprise | null {
  return policy.enterprises.get(id) ?? null;
}

/** The registered destination with this id, or null (the gateway is never an open proxy). */
export function findDestination(policy: LoadedPolicy, id: string): Destination | null {
  return policy.destinations.get(id) ?? null;
}

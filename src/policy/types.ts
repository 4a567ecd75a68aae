/**
 * The public contract of the policy concern (BRIEF: cross-module contracts). The gateway, the
 * audit log and the CLI build against these names.
 */
import type {
  DataType,
  FilingKind,
  Mechanism,
  Purpose,
  SubjectClass,
  SubjectCounts,
} from '../domain.ts';
import type { ScanResult } from '../detect/types.ts';
import type { Enterprise, MaskingSettings, Rule, RuleSetFile } from './schema.ts';
import type { RuleIndex } from './rule-index.ts';
import type { WorkingDayCalendar } from './calendar.ts';

export type { Enterprise, Filing, MaskingSettings, Rule, RuleConditions, RuleEffect } from './schema.ts';

/** One problem in the policy files, located in its file (paths relative to the policy folder). */
export interface PolicyIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the field (`enterprises[2].filings[0].destinations[1]`). */
  field: string;
  message: string;
}

export interface Destination {
  id: string;
  upstream: string;
  /** ISO 3166 alpha-2, HK, MO or TW: all outside the mainland (境外). */
  region: string;
  recipient: string;
  purposes?: Purpose[];
  direction: 'outbound' | 'inbound-pull';
  /** Resolved from `env:NAME` references at load; never hashed into the version. */
  upstreamHeaders?: Record<string, string>;
}

export interface PolicySettings {
  /** Whether a bare resident ID number makes its holder a sensitive subject (default false: TC260-PG-20244A, GB/T 45574-2025). */
  bareResidentIdSensitive: boolean;
  /** Whether subjects of exempt transfers count toward the thresholds (CLARIFICATIONS 5; default true). */
  countExemptSubjects: boolean;
  /** Deny bodies that cannot be inspected (CLARIFICATIONS 14; default true). */
  denyUninspectable: boolean;
  /** Request header names whose values are scanned as well. */
  scanHeaders: string[];
}

/** A rule set with its status, compiled for matching. */
export interface CompiledRuleSet {
  meta: RuleSetFile['ruleSet'];
  rules: Rule[];
  index: RuleIndex;
}

export interface ZonePolicy {
  ruleSets: CompiledRuleSet[];
  masking: MaskingSettings | null;
}

export interface LoadedPolicy {
  /** SHA-256 hex of the canonical parsed content of every file, tests excluded (CLARIFICATIONS 22). */
  version: string;
  enterprises: ReadonlyMap<string, Enterprise>;
  destinations: ReadonlyMap<string, Destination>;
  settings: PolicySettings;
  /** Non-fatal remarks of the loader (USCC check character, unset environment references). */
  warnings: string[];
  /** Folder holding policies/ and negative-list/. */
  root: string;
  /** Compiled rule sets by id, and the rule sets each zone applies. */
  ruleSets: ReadonlyMap<string, CompiledRuleSet>;
  zones: ReadonlyMap<string, ZonePolicy>;
  calendar: WorkingDayCalendar;
}

export interface DecisionInput {
  policy: LoadedPolicy;
  scan: ScanResult;
  enterprise: Enterprise;
  destination: Destination;
  purpose: Purpose | null;
  dataset: string | null;
  counts: SubjectCounts;
  at: Date;
}

export interface MaskingPlan {
  redact: DataType[];
  drop: DataType[];
  dropMinorRecords: boolean;
}

export interface Decision {
  decision: 'allow' | 'mask' | 'deny';
  mechanism: Mechanism;
  filing: { kind: FilingKind; ref: string } | null;
  rules: { id: string; legalBasis: string }[];
  reasons: { zh: string; en: string };
  counters: { before: Record<SubjectClass, number>; after: Record<SubjectClass, number> };
  warnings: string[];
  masking: MaskingPlan | null;
  enforced: boolean;
  tally: 'regulated' | 'exempt';
  purposeCheck: { purpose: Purpose; accepted: boolean; note: string } | null;
  policyVersion: string;
}

/**
 * The facts of one transfer that rules test, computed once from the scan and the request, and
 * the rule sets that bind the enterprise on the transfer date.
 */
import { type DataType, type Grade, type SubjectClass } from '../domain.ts';
import type { ScanResult } from '../detect/types.ts';
import type { Trigger } from './filings.ts';
import { datasetKey, fieldOfPath, type MatchContext } from './rule-index.ts';
import type { Rule } from './schema.ts';
import type { CompiledRuleSet, DecisionInput } from './types.ts';

const personalGrades: ReadonlySet<Grade> = new Set(['sensitive-pi', 'pi']);

export function carriesPersonalInformation(scan: ScanResult): boolean {
  return scan.subjects > 0 || scan.findings.some((f) => personalGrades.has(f.grade));
}

export function transferFacts(input: DecisionInput, after: Record<SubjectClass, number>): MatchContext {
  const { scan, enterprise, destination } = input;
  const types = new Set<DataType>();
  const grades = new Set<Grade>();
  const fields = new Set<string>();
  for (const finding of scan.findings) {
    types.add(finding.type);
    grades.add(finding.grade);
    for (const path of finding.paths) fields.add(fieldOfPath(path));
  }
  const personalInformation = carriesPersonalInformation(scan);
  const sensitive = scan.sensitiveSubjects > 0 || scan.findings.some((f) => f.sensitive);
  return {
    types,
    grades,
    fields,
    industry: enterprise.industry,
    ciio: enterprise.ciio,
    region: destination.region,
    purpose: input.purpose,
    // The gateway takes X-Xborder-Dataset in any letter case: "Core-Data" is the core-data dataset,
    // not an unknown one that lets core or important data leave as unregulated.
    dataset: input.dataset === null ? null : datasetKey(input.dataset),
    personalInformation,
    carries: { nonSensitive: personalInformation, sensitive },
    cumulative: includingThisTransfer(scan, sensitive, after),
    records: scan.records,
  };
}

/**
 * The year's totals "this transfer included" (Arts. 5(4), 7(2), 8) are never below this
 * transfer's own people, whatever the totals handed in say: with countExemptSubjects off, people
 * first sent under an exemption are neither `new` nor in `before`, and a transfer carrying sensitive
 * PI would otherwise compare 0 with Art. 8, which has no floor (one sensitive subject needs a
 * contract or certification).
 */
export function includingThisTransfer(scan: ScanResult, carriesSensitive: boolean, after: Record<SubjectClass, number>): Record<SubjectClass, number> {
  return {
    nonSensitive: Math.max(after.nonSensitive, scan.subjects),
    sensitive: Math.max(after.sensitive, carriesSensitive ? Math.max(1, scan.sensitiveSubjects) : 0),
  };
}

/** Art. 6 relief and rows only count once a list is approved, filed and effective (CLARIFICATIONS 9). */
export function inForce(set: CompiledRuleSet, today: string): boolean {
  return set.meta.status === 'in-force' && set.meta.effectiveFrom !== null && set.meta.effectiveFrom <= today;
}

/** What a matched rule was about in this transfer, for filing coverage (CLARIFICATIONS 11). */
export function triggerOf(rule: Rule, scan: ScanResult, ctx: MatchContext): Trigger {
  const c = rule.conditions;
  const named = [...(c.typesAny ?? []), ...(c.typesAll ?? []), ...(c.categories ?? [])];
  let scope: DataType[];
  if (named.length > 0) scope = named.filter((t) => ctx.types.has(t));
  else if (c.subjects?.sensitive) scope = scan.findings.filter((f) => f.sensitive).map((f) => f.type);
  else scope = scan.findings.filter((f) => f.grade !== 'general').map((f) => f.type);
  const dataset = c.datasets && ctx.dataset !== null && c.datasets.some((d) => datasetKey(d) === ctx.dataset) ? ctx.dataset : null;
  return { rule: { id: rule.id, legalBasis: rule.legalBasis }, scope: [...new Set(scope)], dataset };
}

/**
 * Rules indexed by what they can match. A rule holds only if every condition holds, so it is
 * enough to file it under ONE of its conditions (its anchor): the most selective one it has.
 * A transfer then looks up only the buckets of the datasets, fields, types and grades it
 * actually carries, so a catalogue of 10,000 rows costs about what 10 cost.
 */
import type { DataType, Grade, Purpose } from '../domain.ts';
import type { Rule } from './schema.ts';

export interface RuleIndex {
  buckets: ReadonlyMap<string, readonly number[]>;
  /** Rules with no anchor (national thresholds, CIIO, purposes): always evaluated. */
  always: readonly number[];
  rules: readonly Rule[];
}

/** The facts of one transfer that rule conditions test. */
export interface MatchContext {
  types: ReadonlySet<DataType>;
  grades: ReadonlySet<Grade>;
  /** Last segments of the finding paths, lower-cased (`idno`, `身份证号`). */
  fields: ReadonlySet<string>;
  industry: string;
  ciio: boolean;
  region: string;
  purpose: Purpose | null;
  /** The declared dataset, as datasetKey gives it (the gateway takes it in any letter case). */
  dataset: string | null;
  personalInformation: boolean;
  /** Whether this transfer carries subjects of the class (CLARIFICATIONS 4: each class on its own). */
  carries: { nonSensitive: boolean; sensitive: boolean };
  /** Cumulative subjects this year, this transfer included. */
  cumulative: { nonSensitive: number; sensitive: number };
  records: number;
}

/** Dataset names compare without letter case, like field names: callers and policy files spell them differently. */
export function datasetKey(dataset: string): string {
  return dataset.toLowerCase();
}

function anchorKeys(rule: Rule): string[] | null {
  const c = rule.conditions;
  if (c.datasets) return c.datasets.map((d) => `dataset:${datasetKey(d)}`);
  if (c.fields) return c.fields.map((f) => `field:${f.toLowerCase()}`);
  // An enterprise has one industry, so an industry row is only a candidate for that industry's transfers.
  if (c.industries) return c.industries.map((i) => `industry:${i}`);
  if (c.typesAll?.[0]) return [`type:${c.typesAll[0]}`];
  if (c.typesAny) return c.typesAny.map((t) => `type:${t}`);
  if (c.categories) return c.categories.map((t) => `type:${t}`);
  if (c.grades) return c.grades.map((g) => `grade:${g}`);
  return null;
}

export function buildRuleIndex(rules: readonly Rule[]): RuleIndex {
  const buckets = new Map<string, number[]>();
  const always: number[] = [];
  rules.forEach((rule, ordinal) => {
    const keys = anchorKeys(rule);
    if (keys === null) {
      always.push(ordinal);
      return;
    }
    for (const key of new Set(keys)) {
      const bucket = buckets.get(key);
      if (bucket) bucket.push(ordinal);
      else buckets.set(key, [ordinal]);
    }
  });
  return { buckets, always, rules };
}

/** Field name of a finding path: `$.orders[*].buyer.idNo` → `idno`, `csv:身份证号` → `身份证号`. */
export function fieldOfPath(path: string): string {
  const bare = path.replace(/\[[^\]]*\]/g, '');
  const cut = Math.max(bare.lastIndexOf('.'), bare.lastIndexOf(':'));
  return bare.slice(cut + 1).toLowerCase();
}

function inRange(value: number, range: { atLeast?: number | undefined; below?: number | undefined }): boolean {
  return (range.atLeast === undefined || value >= range.atLeast) && (range.below === undefined || value < range.below);
}

export function ruleHolds(rule: Rule, ctx: MatchContext): boolean {
  const c = rule.conditions;
  if (c.typesAny && !c.typesAny.some((t) => ctx.types.has(t))) return false;
  if (c.typesAll && !c.typesAll.every((t) => ctx.types.has(t))) return false;
  if (c.categories && !c.categories.some((t) => ctx.types.has(t))) return false;
  if (c.fields && !c.fields.some((f) => ctx.fields.has(f.toLowerCase()))) return false;
  if (c.grades && !c.grades.some((g) => ctx.grades.has(g))) return false;
  if (c.industries && !c.industries.includes(ctx.industry)) return false;
  if (c.ciio !== undefined && c.ciio !== ctx.ciio) return false;
  if (c.regions && !c.regions.includes(ctx.region)) return false;
  if (c.purposes && (ctx.purpose === null || !c.purposes.includes(ctx.purpose))) return false;
  if (c.datasets && (ctx.dataset === null || !c.datasets.some((d) => datasetKey(d) === ctx.dataset))) return false;
  if (c.personalInformation !== undefined && c.personalInformation !== ctx.personalInformation) return false;
  if (c.subjects?.nonSensitive && !(ctx.carries.nonSensitive && inRange(ctx.cumulative.nonSensitive, c.subjects.nonSensitive))) return false;
  if (c.subjects?.sensitive && !(ctx.carries.sensitive && inRange(ctx.cumulative.sensitive, c.subjects.sensitive))) return false;
  if (c.records && !inRange(ctx.records, c.records)) return false;
  return true;
}

/** The rules of an index that hold for the transfer, in file order. */
export function matchRules(index: RuleIndex, ctx: MatchContext): Rule[] {
  const candidates = new Set<number>(index.always);
  const visit = (key: string) => {
    const bucket = index.buckets.get(key);
    if (bucket) for (const ordinal of bucket) candidates.add(ordinal);
  };
  if (ctx.dataset !== null) visit(`dataset:${ctx.dataset}`);
  for (const field of ctx.fields) visit(`field:${field}`);
  visit(`industry:${ctx.industry}`);
  for (const type of ctx.types) visit(`type:${type}`);
  for (const grade of ctx.grades) visit(`grade:${grade}`);
  const matched: Rule[] = [];
  for (const ordinal of [...candidates].sort((a, b) => a - b)) {
    const rule = index.rules[ordinal];
    if (rule && ruleHolds(rule, ctx)) matched.push(rule);
  }
  return matched;
}

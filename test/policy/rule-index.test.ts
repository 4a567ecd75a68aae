import { describe, expect, it } from 'vitest';
import { buildRuleIndex, fieldOfPath, matchRules, ruleHolds, type MatchContext } from '../../src/policy/rule-index.ts';
import type { Rule, RuleConditions } from '../../src/policy/index.ts';

const rule = (id: string, conditions: RuleConditions): Rule => ({
  id,
  effect: 'row',
  mechanism: 'contract-or-certification',
  conditions,
  legalBasis: '第六条',
  source: 'https://www.cac.gov.cn/2024-03/22/c_1712776611775634.htm',
  example: false,
});

const ctx: MatchContext = {
  types: new Set(['person_name', 'cn_mobile', 'health']),
  grades: new Set(['pi', 'sensitive-pi']),
  fields: new Set(['diagnosis', '手机号']),
  industry: 'pharma',
  ciio: false,
  region: 'TW',
  purpose: 'contract-necessity',
  dataset: 'clinical-trial',
  personalInformation: true,
  carries: { nonSensitive: true, sensitive: true },
  cumulative: { nonSensitive: 150_000, sensitive: 20 },
  records: 40,
};

describe('rule conditions (every stated condition must hold)', () => {
  it.each<[string, RuleConditions, boolean]>([
    ['typesAny', { typesAny: ['email', 'cn_mobile'] }, true],
    ['typesAny missing', { typesAny: ['email'] }, false],
    ['typesAll', { typesAll: ['person_name', 'health'] }, true],
    ['typesAll partial', { typesAll: ['person_name', 'email'] }, false],
    ['categories', { categories: ['health'] }, true],
    ['fields (case-insensitive)', { fields: ['Diagnosis'] }, true],
    ['grades', { grades: ['important'] }, false],
    ['industries', { industries: ['pharma'] }, true],
    ['ciio', { ciio: true }, false],
    ['regions', { regions: ['HK', 'TW'] }, true],
    ['purposes', { purposes: ['emergency'] }, false],
    ['datasets', { datasets: ['clinical-trial'] }, true],
    ['personalInformation', { personalInformation: false }, false],
    ['cumulative non-sensitive range', { subjects: { nonSensitive: { atLeast: 100_000, below: 1_000_000 } } }, true],
    ['cumulative sensitive threshold', { subjects: { sensitive: { atLeast: 10_000 } } }, false],
    ['records', { records: { atLeast: 41 } }, false],
    ['all together', { industries: ['pharma'], categories: ['health'], regions: ['TW'], records: { below: 100 } }, true],
  ])('%s', (_name, conditions, holds) => {
    expect(ruleHolds(rule('r', conditions), ctx)).toBe(holds);
  });

  it('applies a class threshold only when the transfer carries that class (CLARIFICATIONS 4)', () => {
    const nonSensitiveOnly = { ...ctx, carries: { nonSensitive: true, sensitive: false }, cumulative: { nonSensitive: 10, sensitive: 50_000 } };
    expect(ruleHolds(rule('r', { subjects: { sensitive: { atLeast: 10_000 } } }), nonSensitiveOnly)).toBe(false);
  });
});

describe('rule index', () => {
  it('files a rule under one anchor and finds only the rules a transfer can match, in file order', () => {
    const rules = [
      rule('by-dataset', { datasets: ['clinical-trial'], categories: ['health'] }),
      rule('other-dataset', { datasets: ['vehicle-ota'] }),
      rule('by-field', { fields: ['手机号'] }),
      rule('by-industry', { industries: ['pharma'], typesAny: ['email'] }),
      rule('by-type', { typesAny: ['health'] }),
      rule('always', { ciio: false }),
    ];
    const index = buildRuleIndex(rules);
    expect(index.always).toEqual([5]);
    expect(index.buckets.get('dataset:clinical-trial')).toEqual([0]);
    expect(index.buckets.get('industry:pharma')).toEqual([3]);
    expect(matchRules(index, ctx).map((r) => r.id)).toEqual(['by-dataset', 'by-field', 'by-type', 'always']);
  });

  it('reads the field name of a finding path', () => {
    expect(fieldOfPath('$.orders[*].buyer.idNo')).toBe('idno');
    expect(fieldOfPath('csv:身份证号')).toBe('身份证号');
    expect(fieldOfPath('form:mobile')).toBe('mobile');
  });
});

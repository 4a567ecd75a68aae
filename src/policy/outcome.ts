/**
 * From a required mechanism to allow / mask / deny: a valid covering filing allows; otherwise a
 * masking policy that removes every identifier and sensitive category masks (CLARIFICATIONS 12);
 * otherwise deny. Reasons name the article, in Chinese and English.
 */
import { mechanisms, type DataType, type Mechanism } from '../domain.ts';
import { chooseFiling, expiryWarnings, type Trigger } from './filings.ts';
import type { MatchContext } from './rule-index.ts';
import type { Decision, DecisionInput, MaskingPlan } from './types.ts';

export type Step = 'uninspectable' | 'core' | 'important' | 'purpose' | 'no-pi' | 'art6' | 'zone-list' | 'ciio' | 'threshold';

export interface Requirement {
  mechanism: Mechanism;
  step: Step;
  triggers: Trigger[];
  /** Why this mechanism is required. */
  zh: string;
  en: string;
  tally: Decision['tally'];
}

export function strictest(list: readonly Mechanism[]): Mechanism {
  let best: Mechanism = 'exempt';
  for (const m of list) if (mechanisms.indexOf(m) > mechanisms.indexOf(best)) best = m;
  return best;
}

const mechanismText: Record<Mechanism, { zh: string; en: string }> = {
  exempt: { zh: '免予申报', en: 'exempt' },
  'contract-or-certification': { zh: '订立个人信息出境标准合同并备案或通过个人信息保护认证', en: 'a filed standard contract or a PI protection certification' },
  'security-assessment': { zh: '通过数据出境安全评估', en: 'a passed security assessment' },
  prohibited: { zh: '禁止出境', en: 'prohibited' },
};

/** Steps where the requirement comes from personal information, so removing it can lower the route. */
const maskableSteps: ReadonlySet<Step> = new Set(['zone-list', 'ciio', 'threshold']);

function maskingPlan(input: DecisionInput, ctx: MatchContext): MaskingPlan | null {
  const settings = input.enterprise.masking ?? input.policy.zones.get(input.enterprise.zone)?.masking ?? null;
  if (!settings) return null;
  const removed = new Set<DataType>([...settings.redact, ...settings.drop]);
  const personal = input.scan.findings.filter((f) => f.grade === 'pi' || f.grade === 'sensitive-pi' || f.sensitive).map((f) => f.type);
  // Minors' records are dropped whole, or the transfer needs a filing (CLARIFICATIONS 12): a child's
  // information is sensitive in itself (PIPL Art. 28) and needs a guardian's consent (Art. 31), so
  // redacting or dropping only the fields that mark the record as a minor's does not take it out.
  if (ctx.types.has('minor') && !settings.dropMinorRecords) return null;
  const left = personal.filter((t) => !removed.has(t) && !(t === 'minor' && settings.dropMinorRecords));
  if (left.length > 0) return null;
  return {
    redact: settings.redact.filter((t) => ctx.types.has(t)),
    drop: settings.drop.filter((t) => ctx.types.has(t)),
    dropMinorRecords: settings.dropMinorRecords && ctx.types.has('minor'),
  };
}

type Outcome = Pick<Decision, 'decision' | 'mechanism' | 'filing' | 'rules' | 'reasons' | 'masking' | 'tally'>;

export function resolveRequirement(input: DecisionInput, requirement: Requirement, ctx: MatchContext, warnings: string[]): Outcome {
  const rules = requirement.triggers.map((t) => ({ id: t.rule.id, legalBasis: t.rule.legalBasis }));
  const basis = rules.map((r) => r.legalBasis).filter((b, i, all) => all.indexOf(b) === i);
  const zhBasis = basis.length > 0 ? `（依据：${basis.join('；')}）` : '';
  const enBasis = basis.length > 0 ? ` (basis: ${basis.join('; ')})` : '';
  const required = mechanismText[requirement.mechanism];
  const common = { mechanism: requirement.mechanism, rules, tally: requirement.tally };

  if (requirement.mechanism === 'exempt') {
    return { ...common, decision: 'allow', filing: null, masking: null, reasons: { zh: `${requirement.zh}${zhBasis}。准予出境并记录。`, en: `${requirement.en}${enBasis}. Allowed and recorded.` } };
  }
  if (requirement.mechanism === 'prohibited') {
    return { ...common, decision: 'deny', filing: null, masking: null, reasons: { zh: `${requirement.zh}${zhBasis}。拒绝出境。`, en: `${requirement.en}${enBasis}. Denied.` } };
  }
  const choice = chooseFiling(input.enterprise.filings, requirement.mechanism, input.destination.id, requirement.triggers, input.at);
  if (choice.filing) {
    warnings.push(...expiryWarnings(choice.filing, input.at, input.policy.calendar));
    const filing = { kind: choice.filing.kind, ref: choice.filing.ref };
    return {
      ...common,
      decision: 'allow',
      filing,
      masking: null,
      reasons: {
        zh: `${requirement.zh}，须${required.zh}${zhBasis}；备案 ${filing.ref}（${filing.kind}）有效并覆盖本次出境。准予出境。`,
        en: `${requirement.en}: requires ${required.en}${enBasis}; filing ${filing.ref} (${filing.kind}) is valid and covers this transfer. Allowed.`,
      },
    };
  }
  const plan = maskableSteps.has(requirement.step) ? maskingPlan(input, ctx) : null;
  if (plan) {
    return {
      ...common,
      mechanism: 'exempt',
      decision: 'mask',
      filing: null,
      masking: plan,
      reasons: {
        zh: `${requirement.zh}，须${required.zh}${zhBasis}，但无有效备案；按脱敏策略去除全部标识符和敏感个人信息后出境（去标识化的主体仍计入累计人数）。`,
        en: `${requirement.en}: requires ${required.en}${enBasis}, and no valid filing covers it; the masking policy removes every identifier and sensitive category, so the masked body leaves without personal information (its subjects still count).`,
      },
    };
  }
  const zhWhy = choice.rejected.length > 0 ? `备案不适用：${choice.rejected.map((r) => r.zh).join('；')}` : '企业无相应备案';
  const enWhy = choice.rejected.length > 0 ? `no filing serves: ${choice.rejected.map((r) => r.en).join('; ')}` : 'the enterprise holds no such filing';
  return {
    ...common,
    decision: 'deny',
    filing: null,
    masking: null,
    reasons: {
      zh: `${requirement.zh}，须${required.zh}${zhBasis}；${zhWhy}。拒绝出境。`,
      en: `${requirement.en}: requires ${required.en}${enBasis}; ${enWhy}. Denied.`,
    },
  };
}

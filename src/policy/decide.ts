/**
 * decide(): the order of precedence of DESIGN.md §5 (steps 1–6) with CLARIFICATIONS 3, 4, 9, 10.
 * Pure: the same input gives the same decision, no I/O, no clock.
 *
 *   0. uninspectable body → deny (CLARIFICATIONS 14)
 *   1. core data → prohibited
 *   2. important data (catalogues in force + data notified to the enterprise, Art. 2) → security assessment
 *   3. declared exemption consistent with the findings (Arts. 3, 4, 5(1)–(3)) → exempt
 *      — and a transfer with neither PI nor important data is exempt (CLARIFICATIONS 4)
 *   5. in-force zone list (Art. 6): a matched row requires its mechanism, no row → exempt;
 *      before step 4 unless the list excludes CIIOs (CLARIFICATIONS 9)
 *   4. CIIO exporting PI → security assessment (Art. 7(1))
 *   6. cumulative subjects per class against the thresholds (Arts. 5(4), 7(2), 8)
 */
import { shanghaiDate, type Mechanism, type SubjectClass } from '../domain.ts';
import { carriesPersonalInformation, inForce, transferFacts, triggerOf } from './facts.ts';
import { checkPurpose, purposeArticles } from './purpose.ts';
import { resolveRequirement, strictest, type Requirement } from './outcome.ts';
import { datasetKey, matchRules } from './rule-index.ts';
import type { Rule } from './schema.ts';
import type { Decision, DecisionInput } from './types.ts';

const provisions = '《促进和规范数据跨境流动规定》';

export function decide(input: DecisionInput): Decision {
  const { policy, scan, enterprise, at } = input;
  const before: Record<SubjectClass, number> = { nonSensitive: input.counts.nonSensitive.before, sensitive: input.counts.sensitive.before };
  const after: Record<SubjectClass, number> = {
    nonSensitive: before.nonSensitive + input.counts.nonSensitive.new,
    sensitive: before.sensitive + input.counts.sensitive.new,
  };
  const warnings: string[] = [];
  const base = { purposeCheck: null as Decision['purposeCheck'] };
  const finish = (requirement: Requirement): Decision => {
    const outcome = resolveRequirement(input, requirement, ctx, warnings);
    return {
      decision: outcome.decision,
      mechanism: outcome.mechanism,
      filing: outcome.filing,
      rules: outcome.rules,
      reasons: outcome.reasons,
      counters: { before, after },
      warnings,
      masking: outcome.masking,
      // Report-only enterprises are decided as usual; the gateway records enforced: false and forwards (CLARIFICATIONS 13).
      enforced: enterprise.mode === 'enforce',
      tally: outcome.tally,
      purposeCheck: base.purposeCheck,
      policyVersion: policy.version,
    };
  };

  const ctx = transferFacts(input, after);
  if (ctx.cumulative.nonSensitive !== after.nonSensitive || ctx.cumulative.sensitive !== after.sensitive) {
    warnings.push(
      `this year's totals (${after.nonSensitive}, sensitive ${after.sensitive}) are below this transfer's own subjects; the thresholds use ${ctx.cumulative.nonSensitive} (sensitive ${ctx.cumulative.sensitive})`,
    );
  }
  const uninspectable = scan.unscanned !== null || scan.parseError !== null || ctx.types.has('unscanned_binary');
  if (uninspectable && policy.settings.denyUninspectable) {
    const why = scan.unscanned ? `unscanned (${scan.unscanned.reason})` : `unparseable as ${scan.contentType}`;
    return finish({
      mechanism: 'prohibited',
      step: 'uninspectable',
      triggers: [{ rule: { id: 'gateway.deny-uninspectable', legalBasis: 'gateway.yaml settings.denyUninspectable（检查不可绕过）' }, scope: [], dataset: null }],
      zh: `请求体无法检查（${why}），依策略 denyUninspectable 拒绝出境：无法确定所需的出境路径`,
      en: `The body cannot be inspected (${why}); denied by the denyUninspectable policy setting: the required export route cannot be determined`,
      tally: 'regulated',
    });
  }
  if (uninspectable) warnings.push('the body could not be fully inspected; decided on what was found (denyUninspectable is off)');

  const zone = policy.zones.get(enterprise.zone);
  if (!zone) warnings.push(`zone ${enterprise.zone} has no rule sets in gateway.yaml`);
  const sets = zone?.ruleSets ?? [];
  const today = shanghaiDate(at);
  const binding = sets.filter((set) => inForce(set, today));
  for (const draft of sets.filter((set) => !inForce(set, today))) {
    const would = matchRules(draft.index, ctx).filter((r) => r.effect === 'row');
    if (would.length > 0) warnings.push(`${draft.meta.id} list is ${draft.meta.status} (not in force): rows ${would.map((r) => r.id).join(', ')} would match; they have no effect and Art. 6 grants nothing`);
  }
  const matched: Rule[] = binding.flatMap((set) => matchRules(set.index, ctx));
  const triggers = (rules: Rule[]) => rules.map((r) => triggerOf(r, scan, ctx));

  // Steps 1–2 come before any exemption: record that a declared purpose was not applied.
  const purposeOverridden = (why: string) => {
    if (input.purpose !== null) base.purposeCheck = { purpose: input.purpose, accepted: false, note: why };
  };

  // Step 1: core data (Data Security Law Art. 21) never leaves.
  const core = matched.filter((r) => r.effect === 'prohibit' || r.mechanism === 'prohibited' || r.grade === 'core');
  if (core.length > 0) {
    purposeOverridden('core data is prohibited from leaving; no exemption applies');
    return finish({ mechanism: 'prohibited', step: 'core', triggers: triggers(core), zh: '涉及核心数据，禁止出境', en: 'Core data is prohibited from leaving the country', tally: 'regulated' });
  }

  // Step 2: important data — catalogues in force, rows graded important, data notified to this enterprise (Art. 2).
  const important = matched.filter((r) => r.effect === 'important' || (r.effect === 'row' && r.grade === 'important'));
  const importantTriggers = triggers(important);
  const notified = enterprise.notifiedImportant.filter((item) => datasetKey(item) === ctx.dataset || ctx.types.has(item as never));
  if (notified.length > 0) {
    importantTriggers.push({
      rule: { id: 'enterprise.notified-important', legalBasis: `${provisions}第二条；第七条第（一）、（二）项（已告知的重要数据）` },
      scope: [],
      dataset: notified[0] ?? null,
    });
  }
  if (importantTriggers.length > 0) {
    purposeOverridden('the transfer carries important data, which no Art. 3–5 exemption covers (Art. 5, last paragraph)');
    return finish({
      mechanism: 'security-assessment',
      step: 'important',
      triggers: importantTriggers,
      zh: `涉及重要数据，应当申报数据出境安全评估（${provisions}第七条；第五条各项豁免不含重要数据）`,
      en: 'Important data requires a security assessment (Art. 7; no Art. 5 exemption covers important data)',
      tally: 'regulated',
    });
  }

  // Step 3: a declared exemption scenario, when the findings are consistent with it.
  if (input.purpose !== null) {
    const check = checkPurpose(input.purpose, scan.findings, ctx.types, ctx.personalInformation, input.destination);
    base.purposeCheck = { purpose: check.purpose, accepted: check.accepted, note: check.note };
    const article = purposeArticles[input.purpose];
    const rule = matched.find((r) => r.effect === 'exemption' && r.conditions.purposes?.includes(input.purpose!));
    if (check.accepted && rule) {
      return finish({
        mechanism: 'exempt',
        step: 'purpose',
        triggers: triggers([rule]),
        zh: `声明的出境场景（${input.purpose}）符合${provisions}${article.zh}，免予申报安全评估、订立标准合同或认证；${check.zh}`,
        en: `The declared scenario (${input.purpose}) is exempt under ${article.en} of the 2024 Provisions; ${check.note}`,
        tally: 'exempt',
      });
    }
    const note = check.accepted ? 'no rule set in force grants this exemption' : check.note;
    if (!check.accepted || !rule) base.purposeCheck = { purpose: check.purpose, accepted: false, note };
    warnings.push(`declared purpose ${input.purpose} (${article.en}) not applied: ${note}; the thresholds decide`);
  }

  // No personal information and no important data: nothing the Provisions regulate (CLARIFICATIONS 4), CIIO included.
  if (!carriesPersonalInformation(scan)) {
    const rule = matched.filter((r) => r.effect === 'exemption' && r.conditions.personalInformation === false && !r.conditions.purposes);
    return finish({
      mechanism: 'exempt',
      step: 'no-pi',
      triggers: triggers(rule),
      zh: '未发现个人信息、重要数据或核心数据，无需申报安全评估、订立标准合同或认证',
      en: 'No personal information, important data or core data found: no export mechanism is required',
      tally: 'exempt',
    });
  }

  // Step 5 (before step 4 unless the list excludes CIIOs): an in-force zone negative list, Art. 6.
  const list = binding.find((set) => set.meta.kind === 'zone-list' && !(enterprise.ciio && set.meta.excludesCiio));
  if (list) {
    const rows = matched.filter((r) => r.effect === 'row' && list.rules.includes(r));
    if (rows.length === 0) {
      return finish({
        mechanism: 'exempt',
        step: 'art6',
        triggers: [{ rule: { id: `${list.meta.id}.art6-off-list`, legalBasis: `${provisions}第六条（负面清单外的数据）` }, scope: [], dataset: null }],
        zh: `数据不在生效的${list.meta.title}内，依${provisions}第六条免予申报`,
        en: `The data matches no row of the in-force ${list.meta.id} negative list: exempt under Art. 6`,
        tally: 'exempt',
      });
    }
    const mechanism = strictest(rows.map((r) => r.mechanism));
    const deciding = rows.filter((r) => r.mechanism === mechanism);
    return finish({
      mechanism,
      step: 'zone-list',
      triggers: triggers(deciding),
      zh: `数据属于生效的负面清单（${list.meta.id}）所列数据，须按清单要求的路径出境（${provisions}第六条）`,
      en: `The data is on the in-force ${list.meta.id} negative list, which requires ${mechanism} (Art. 6)`,
      tally: 'regulated',
    });
  }

  // Step 4: a CIIO exporting any personal information, Art. 7(1).
  if (enterprise.ciio) {
    const rule = matched.filter((r) => r.effect === 'ciio');
    return finish({
      mechanism: 'security-assessment',
      step: 'ciio',
      triggers: rule.length > 0 ? triggers(rule) : [{ rule: { id: 'national.art7-1.ciio', legalBasis: `${provisions}第七条第（一）项` }, scope: [], dataset: null }],
      zh: `关键信息基础设施运营者向境外提供个人信息，应当申报数据出境安全评估（${provisions}第七条第（一）项）`,
      en: 'A critical information infrastructure operator exporting personal information requires a security assessment (Art. 7(1))',
      tally: 'regulated',
    });
  }

  // Step 6: cumulative subjects this calendar year, each class against its own thresholds.
  const thresholds = matched.filter((r) => r.effect === 'threshold');
  if (thresholds.length === 0) {
    warnings.push('no threshold rule of the national rule set matched; the strictest route is required');
  }
  const mechanism: Mechanism = thresholds.length > 0 ? strictest(thresholds.map((r) => r.mechanism)) : 'security-assessment';
  // Every threshold that requires a mechanism is a trigger the filing must cover (CLARIFICATIONS 11),
  // not only the strictest: 10,000 sensitive subjects need an assessment (Art. 7(2)), and the
  // non-sensitive PI of 100,000 still needs a contract or certification (Art. 8) that an assessment
  // filed for the sensitive categories alone does not give. An assessment satisfies the lower route
  // for what it covers (DESIGN.md §3), so one filing covering both still allows.
  const deciding = thresholds.filter((r) => (mechanism === 'exempt' ? r.mechanism === 'exempt' : r.mechanism !== 'exempt'));
  return finish({
    mechanism,
    step: 'threshold',
    triggers: triggers(deciding),
    zh: `本年度累计出境个人信息 ${ctx.cumulative.nonSensitive} 人（含敏感个人信息 ${ctx.cumulative.sensitive} 人，含本次）`,
    en: `Cumulative subjects this year, this transfer included: ${ctx.cumulative.nonSensitive} (sensitive: ${ctx.cumulative.sensitive})`,
    tally: 'regulated',
  });
}

import { beforeAll, describe, expect, it } from 'vitest';
import { decide, type LoadedPolicy } from '../../src/policy/index.ts';
import { finding, ids, inputOf, repoPolicy, scanOf, withListInForce, type Case } from './helpers.ts';

let policy: LoadedPolicy;
beforeAll(async () => {
  policy = await repoPolicy();
});
const run = (c: Case, p: LoadedPolicy = policy) => decide(inputOf(p, c));
const ruleIds = (d: ReturnType<typeof decide>) => d.rules.map((r) => r.id);

const person = [finding('person_name'), finding('cn_resident_id')];
const patient = [finding('person_name'), finding('health')];

describe('decide: order of precedence (DESIGN.md §5)', () => {
  it('denies core data whatever the purpose or filing (step 1)', () => {
    const d = run({ enterprise: ids.travel, destination: 'tw-travel-agency', scan: scanOf(person), purpose: 'contract-necessity', dataset: 'core-data' });
    expect(d).toMatchObject({ decision: 'deny', mechanism: 'prohibited' });
    expect(ruleIds(d)).toContain('national.core-data.dataset');
  });

  it('requires a security assessment for important data even with a declared exemption (step 2 before 3)', () => {
    const d = run({ enterprise: ids.iov, destination: 'test-recipient-a', scan: scanOf([]), purpose: 'no-pi-trade', dataset: 'vehicle-exterior-imagery' });
    expect(d).toMatchObject({ decision: 'deny', mechanism: 'security-assessment' });
    expect(ruleIds(d)).toContain('national.auto-art3-4.exterior-imagery');
    expect(d.reasons.zh).toContain('第七条');
  });

  it('treats data notified to the enterprise as important (Art. 2)', () => {
    const d = run({ enterprise: ids.shipping, destination: 'sg-marketplace', scan: scanOf([]), dataset: 'port-operations' });
    expect(d).toMatchObject({ decision: 'deny', mechanism: 'security-assessment' });
    expect(ruleIds(d)).toContain('enterprise.notified-important');
  });

  it('matches a declared dataset whatever its letter case: a differently spelt name does not let core or important data out', () => {
    // The gateway accepts X-Xborder-Dataset in any case; policy files spell datasets in lower case.
    const core = run({ enterprise: ids.travel, destination: 'tw-travel-agency', scan: scanOf([]), dataset: 'Core-Data' });
    expect(core).toMatchObject({ decision: 'deny', mechanism: 'prohibited' });
    const notified = run({ enterprise: ids.shipping, destination: 'sg-marketplace', scan: scanOf([]), dataset: 'PORT-OPERATIONS' });
    expect(notified).toMatchObject({ decision: 'deny', mechanism: 'security-assessment' });
    expect(ruleIds(notified)).toContain('enterprise.notified-important');
    const published = run({ enterprise: ids.iov, destination: 'test-recipient-a', scan: scanOf([]), dataset: 'Vehicle-Exterior-Imagery' });
    expect(published).toMatchObject({ decision: 'deny', mechanism: 'security-assessment' });
  });

  it('exempts a declared contract-necessity transfer and puts it in the exempt tally (step 3)', () => {
    const d = run({ enterprise: ids.travel, destination: 'tw-travel-agency', scan: scanOf(person), purpose: 'contract-necessity', prior: { general: 5_000_000 } });
    expect(d).toMatchObject({ decision: 'allow', mechanism: 'exempt', tally: 'exempt', purposeCheck: { purpose: 'contract-necessity', accepted: true } });
    expect(ruleIds(d)).toEqual(['national.art5-1.contract-necessity']);
    expect(d.reasons.zh).toContain('第五条第（一）项');
  });

  it('refuses a purpose the destination is not registered for, and lets the thresholds decide', () => {
    const d = run({ enterprise: ids.travel, destination: 'tw-travel-agency', scan: scanOf(person), purpose: 'emergency' });
    expect(d.purposeCheck).toMatchObject({ purpose: 'emergency', accepted: false });
    expect(d).toMatchObject({ decision: 'allow', mechanism: 'exempt', tally: 'regulated' });
    expect(ruleIds(d)).toContain('national.art5-4.under-100k');
  });

  it('lets Art. 4 fall away with a warning when a mainland resident ID appears (CLARIFICATIONS 10)', () => {
    const hk = [finding('person_name'), finding('hkid'), finding('hk_mo_phone')];
    const clean = run({ enterprise: ids.hkProcessor, destination: 'hk-bank', scan: scanOf(hk), purpose: 'foreign-collected-reexport' });
    expect(clean).toMatchObject({ decision: 'allow', mechanism: 'exempt', tally: 'exempt' });
    const mixed = run({ enterprise: ids.hkProcessor, destination: 'hk-bank', scan: scanOf([...hk, finding('cn_resident_id')]), purpose: 'foreign-collected-reexport', prior: { general: 150_000 } });
    expect(mixed.purposeCheck).toMatchObject({ accepted: false });
    expect(mixed.warnings.join(' ')).toContain('Art. 4');
    expect(mixed).toMatchObject({ decision: 'deny', mechanism: 'contract-or-certification', tally: 'regulated' });
  });

  it('refuses no-pi-trade when personal information is found', () => {
    const d = run({ enterprise: ids.plain, destination: 'test-recipient-a', scan: scanOf(person), purpose: 'no-pi-trade' });
    expect(d.purposeCheck?.accepted).toBe(false);
    expect(d.mechanism).toBe('exempt');
    expect(ruleIds(d)).toContain('national.art5-4.under-100k');
  });

  it('refuses hr-management for records of children under 14', () => {
    const d = run({ enterprise: ids.plain, destination: 'test-recipient-a', scan: scanOf([...person, finding('minor')]), purpose: 'hr-management' });
    expect(d.purposeCheck?.accepted).toBe(false);
    expect(d).toMatchObject({ decision: 'deny', mechanism: 'contract-or-certification' });
  });

  it('exempts a transfer with no personal information, for a CIIO too (CLARIFICATIONS 4)', () => {
    const d = run({ enterprise: ids.ciio, destination: 'test-recipient-a', scan: scanOf([finding('cn_uscc')]) });
    expect(d).toMatchObject({ decision: 'allow', mechanism: 'exempt' });
  });

  it('requires a security assessment for a CIIO exporting any personal information (step 4)', () => {
    const d = run({ enterprise: ids.ciio, destination: 'test-recipient-a', scan: scanOf(person) });
    expect(d).toMatchObject({ decision: 'deny', mechanism: 'security-assessment' });
    expect(ruleIds(d)).toContain('national.art7-1.ciio');
  });
});

describe('decide: thresholds per class (Arts. 5(4), 7(2), 8; CLARIFICATIONS 4)', () => {
  const general = (prior: number) => run({ enterprise: ids.plain, destination: 'test-recipient-a', scan: scanOf(person), prior: { general: prior } });
  it.each([
    [99_998, 'exempt'],
    [99_999, 'contract-or-certification'],
    [999_998, 'contract-or-certification'],
    [999_999, 'security-assessment'],
  ])('non-sensitive: %i before plus one new', (prior, mechanism) => {
    expect(general(prior).mechanism).toBe(mechanism);
  });

  const sensitive = (prior: number, scan = scanOf(patient)) => run({ enterprise: ids.plain, destination: 'test-recipient-a', scan, prior: { general: prior, sensitive: prior } });
  it('needs a contract for the first sensitive subject and an assessment at 10,000', () => {
    expect(sensitive(0).mechanism).toBe('contract-or-certification');
    expect(sensitive(9_998).mechanism).toBe('contract-or-certification');
    expect(sensitive(9_999).mechanism).toBe('security-assessment');
  });

  it('compares each class with its own thresholds: a non-sensitive transfer ignores the sensitive count', () => {
    const d = run({ enterprise: ids.plain, destination: 'test-recipient-a', scan: scanOf(person), prior: { general: 10, sensitive: 50_000 } });
    expect(d.mechanism).toBe('exempt');
  });

  it('counts this transfer’s own people even when the totals it is given do not (Art. 8: sensitive PI has no floor)', () => {
    // With countExemptSubjects off the gateway takes exempt transfers' people out of `before`, and a
    // person already claimed by one is not `new`: the same patients sent again under no exemption
    // arrive with 0 + 0 although this transfer provides their sensitive PI abroad.
    const scan = scanOf(patient, { subjects: 150_000, sensitive: 150_000 });
    const input = inputOf(policy, { enterprise: ids.plain, destination: 'test-recipient-a', scan });
    const zero = { before: 0, new: 0 };
    const d = decide({ ...input, counts: { nonSensitive: zero, sensitive: zero } });
    expect(d).toMatchObject({ decision: 'deny', mechanism: 'security-assessment', tally: 'regulated' });
    expect(ruleIds(d)).toContain('national.art7-2.sensitive-10k');
    const one = decide({ ...inputOf(policy, { enterprise: ids.plain, destination: 'test-recipient-a', scan: scanOf(patient) }), counts: { nonSensitive: zero, sensitive: zero } });
    expect(one).toMatchObject({ decision: 'deny', mechanism: 'contract-or-certification' });
    expect(ruleIds(one)).toContain('national.art8.sensitive-under-10k');
  });

  it('reports counters before and after (after = before + new)', () => {
    const scan = scanOf(patient, { subjects: 3, sensitive: 2 });
    const d = run({ enterprise: ids.plain, destination: 'test-recipient-a', scan, prior: { general: 10, sensitive: 4 } });
    expect(d.counters).toEqual({ before: { nonSensitive: 10, sensitive: 4 }, after: { nonSensitive: 13, sensitive: 6 } });
  });
});

describe('decide: filings (CLARIFICATIONS 11)', () => {
  const base: Case = { enterprise: ids.contractFiled, destination: 'test-recipient-a', scan: scanOf(person), prior: { general: 200_000 } };
  it('allows with a valid standard contract and names it', () => {
    const d = run(base);
    expect(d).toMatchObject({ decision: 'allow', mechanism: 'contract-or-certification', filing: { kind: 'standard-contract', ref: '京网信备〔2026〕T002号' } });
    expect(d.warnings).toEqual([]);
  });
  it.each([
    ['another destination', { destination: 'test-recipient-b' }, 'not test-recipient-b'],
    ['expired', { at: '2027-01-04' }, 'expired on 2026-12-31'],
    ['not yet valid', { at: '2025-12-31' }, 'not valid until 2026-01-01'],
    ['the wrong kind', { prior: { general: 2_000_000 } }, 'does not satisfy security-assessment'],
  ])('denies with a filing for %s', (_name, patch, why) => {
    const d = run({ ...base, ...patch });
    expect(d.decision).toBe('deny');
    expect(d.reasons.en).toContain(why);
  });
  it('denies when the filing does not cover a triggering category', () => {
    const d = run({ enterprise: ids.pharmaFiled, destination: 'tw-clinical-partner', scan: scanOf([...patient, finding('biometric')]) });
    expect(d.decision).toBe('deny');
    expect(d.reasons.en).toContain('does not cover');
  });
  it('requires the filing to cover what the lower thresholds require too, not only the strictest (Arts. 7(2), 8)', () => {
    // 20,000 sensitive subjects need an assessment (Art. 7(2)); the 500,000 subjects' non-sensitive PI
    // needs at least a contract or certification (Art. 8). An assessment filed for health data only
    // does not cover the names and mobile numbers.
    const withAssessment = (covers: string[]): LoadedPolicy => {
      const enterprises = new Map(policy.enterprises);
      const plain = enterprises.get(ids.plain);
      if (!plain) throw new Error('no plain enterprise');
      const filing = { kind: 'security-assessment' as const, ref: 'T-SA', destinations: ['test-recipient-a'], covers, validFrom: '2026-01-01', validUntil: '2028-12-31' };
      enterprises.set(ids.plain, { ...plain, filings: [filing] });
      return { ...policy, enterprises };
    };
    const c: Case = { enterprise: ids.plain, destination: 'test-recipient-a', scan: scanOf([...patient, finding('cn_mobile')]), prior: { general: 500_000, sensitive: 20_000 } };
    const partial = run(c, withAssessment(['health']));
    expect(partial).toMatchObject({ decision: 'deny', mechanism: 'security-assessment' });
    expect(partial.reasons.en).toContain('does not cover');
    expect(ruleIds(partial)).toEqual(expect.arrayContaining(['national.art7-2.sensitive-10k', 'national.art8.non-sensitive-100k']));
    const whole = run(c, withAssessment(['health', 'person_name', 'cn_mobile']));
    expect(whole).toMatchObject({ decision: 'allow', mechanism: 'security-assessment', filing: { ref: 'T-SA' } });
  });
  it('lets a security assessment satisfy contract-or-certification, with the Art. 9 expiry warning', () => {
    // 2026-03-02 → 2026-05-29 is 61 working days (清明 and 劳动节 off, 5月9日 worked); a day later, 60.
    const early = run({ enterprise: ids.assessed, destination: 'test-recipient-a', scan: scanOf(patient), at: '2026-03-02' });
    expect(early).toMatchObject({ decision: 'allow', mechanism: 'contract-or-certification', filing: { kind: 'security-assessment' } });
    expect(early.warnings).toEqual([]);
    const d = run({ enterprise: ids.assessed, destination: 'test-recipient-a', scan: scanOf(patient), at: '2026-03-03' });
    expect(d.warnings.join(' ')).toMatch(/60 working day\(s\) left.*第九条/);
  });
});

describe('decide: masking, report-only, uninspectable', () => {
  const players = [finding('person_name'), finding('cn_resident_id'), finding('minor')];
  it('masks a game studio’s player data with minors when the zone policy removes all PI', () => {
    const d = run({ enterprise: ids.games, destination: 'jp-game-publisher', scan: scanOf(players) });
    expect(d).toMatchObject({ decision: 'mask', mechanism: 'exempt', masking: { dropMinorRecords: true } });
    expect(d.masking?.redact).toEqual(expect.arrayContaining(['person_name', 'cn_resident_id']));
  });
  it('does not mask a minor’s record by redacting or dropping its fields: it is dropped whole or needs a filing (CLARIFICATIONS 12, PIPL Arts. 28, 31)', () => {
    const zone = policy.zones.get('xiamen')?.masking;
    if (!zone) throw new Error('xiamen has no masking default');
    for (const masking of [
      { redact: zone.redact, drop: [...zone.drop, 'minor' as const], dropMinorRecords: false },
      { redact: [...zone.redact, 'minor' as const], drop: zone.drop, dropMinorRecords: false },
    ]) {
      const enterprises = new Map(policy.enterprises);
      const games = enterprises.get(ids.games);
      if (!games) throw new Error('no games enterprise');
      enterprises.set(ids.games, { ...games, masking });
      const d = run({ enterprise: ids.games, destination: 'jp-game-publisher', scan: scanOf(players) }, { ...policy, enterprises });
      expect(d).toMatchObject({ decision: 'deny', mechanism: 'contract-or-certification', masking: null });
    }
  });
  it('does not mask when the enterprise overrides masking off', () => {
    const d = run({ enterprise: ids.dataCentre, destination: 'jp-game-publisher', scan: scanOf(players) });
    expect(d.decision).toBe('deny');
  });
  it('decides as usual for a report-only enterprise but marks it not enforced', () => {
    const d = run({ enterprise: ids.reportOnly, destination: 'test-recipient-a', scan: scanOf(patient) });
    expect(d).toMatchObject({ decision: 'deny', enforced: false });
  });
  it('denies a body that cannot be inspected (CLARIFICATIONS 14)', () => {
    const scan = { ...scanOf([]), unscanned: { reason: 'binary' as const, bytes: 10 } };
    const d = run({ enterprise: ids.plain, destination: 'test-recipient-a', scan });
    expect(d).toMatchObject({ decision: 'deny' });
    expect(d.reasons.en).toContain('cannot be inspected');
  });
});

describe('decide: zone negative lists (Art. 6, CLARIFICATIONS 9)', () => {
  it('grants nothing while the Pingtan list is a draft', () => {
    const d = run({ enterprise: ids.pharmaUnfiled, destination: 'tw-clinical-partner', scan: scanOf(person) });
    expect(ruleIds(d)).toContain('national.art5-4.under-100k');
  });
  it('exempts data outside an in-force list, and requires a matched row’s mechanism', () => {
    const inForce = withListInForce(policy, 'pingtan', '2026-01-01');
    const off = run({ enterprise: ids.travel, destination: 'test-recipient-a', scan: scanOf(person), prior: { general: 500_000 } }, inForce);
    expect(off).toMatchObject({ decision: 'allow', mechanism: 'exempt', tally: 'exempt' });
    expect(ruleIds(off)).toContain('pingtan.art6-off-list');
    const on = run({ enterprise: ids.pharmaUnfiled, destination: 'tw-clinical-partner', scan: scanOf(patient) }, inForce);
    expect(on).toMatchObject({ decision: 'deny', mechanism: 'contract-or-certification' });
    expect(ruleIds(on)).toContain('pingtan.pharma.trial-subject-pi');
  });
  it('waits for the effective date', () => {
    const later = withListInForce(policy, 'pingtan', '2026-07-01');
    const d = run({ enterprise: ids.travel, destination: 'test-recipient-a', scan: scanOf(person), prior: { general: 500_000 } }, later);
    expect(d.mechanism).toBe('contract-or-certification');
  });
  it('relieves a CIIO before step 4 only when the list does not exclude CIIOs', () => {
    const excluding = withListInForce(policy, 'pingtan', '2026-01-01');
    expect(run({ enterprise: ids.ciio, destination: 'test-recipient-a', scan: scanOf(person) }, excluding).mechanism).toBe('security-assessment');
    const including = withListInForce(policy, 'pingtan', '2026-01-01', { excludesCiio: false });
    expect(run({ enterprise: ids.ciio, destination: 'test-recipient-a', scan: scanOf(person) }, including).mechanism).toBe('exempt');
  });
});

describe('decide: Art. 4 and residents outside the mainland', () => {
  it('does not count Hong Kong, Macao and Taiwan resident IDs reported by detect as mainland PI', () => {
    const hkResident = { ...finding('cn_resident_id'), nonMainland: 1 };
    const d = run({ enterprise: ids.hkProcessor, destination: 'hk-bank', scan: scanOf([finding('person_name'), hkResident]), purpose: 'foreign-collected-reexport' });
    expect(d).toMatchObject({ mechanism: 'exempt', purposeCheck: { accepted: true } });
  });
  it('records a declared purpose as not applied when important data decides', () => {
    const d = run({ enterprise: ids.iov, destination: 'test-recipient-a', scan: scanOf([]), purpose: 'contract-necessity', dataset: 'vehicle-exterior-imagery' });
    expect(d.purposeCheck).toMatchObject({ purpose: 'contract-necessity', accepted: false });
  });
});

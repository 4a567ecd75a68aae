import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { mechanisms } from '../../src/domain.ts';
import { decide, type LoadedPolicy } from '../../src/policy/index.ts';
import { finding, ids, inputOf, repoPolicy, scanOf } from './helpers.ts';

let policy: LoadedPolicy;
beforeAll(async () => {
  policy = await repoPolicy();
});

const rank = (m: string) => mechanisms.indexOf(m as (typeof mechanisms)[number]);

describe('decide() properties', () => {
  it('never lowers the required mechanism as this year’s totals grow', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.boolean(),
        (a, b, sensitivePrior, sensitive) => {
          const scan = scanOf(sensitive ? [finding('person_name'), finding('health')] : [finding('person_name'), finding('cn_mobile')]);
          const at = (general: number) =>
            decide(inputOf(policy, { enterprise: ids.plain, destination: 'test-recipient-a', scan, prior: { general, sensitive: sensitivePrior } })).mechanism;
          const [low, high] = a <= b ? [a, b] : [b, a];
          expect(rank(at(high))).toBeGreaterThanOrEqual(rank(at(low)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is pure: the same input gives the same decision, and the input is not changed', () => {
    const input = inputOf(policy, { enterprise: ids.pharmaFiled, destination: 'tw-clinical-partner', scan: scanOf([finding('person_name'), finding('health')]), prior: { general: 10, sensitive: 2 } });
    const snapshot = JSON.stringify({ scan: input.scan, counts: input.counts });
    const first = decide(input);
    expect(decide(input)).toEqual(first);
    expect(JSON.stringify({ scan: input.scan, counts: input.counts })).toBe(snapshot);
  });

  it('an allow always names its filing unless the mechanism is exempt', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000 }), fc.constantFrom(...Object.values(ids)), (prior, enterprise) => {
        const d = decide(inputOf(policy, { enterprise, destination: 'test-recipient-a', scan: scanOf([finding('person_name'), finding('health')]), prior: { general: prior, sensitive: prior % 20_000 } }));
        if (d.decision === 'allow' && d.mechanism !== 'exempt') expect(d.filing).not.toBeNull();
        if (d.decision === 'mask') expect(d.masking).not.toBeNull();
        expect(d.rules.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});

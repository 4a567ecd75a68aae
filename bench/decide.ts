/**
 * decide() against zone lists of 10, 1,000 and 10,000 generated rows. Rows are indexed by what
 * they can match (dataset, field, industry, type, grade), so a transfer only evaluates the rows
 * of the buckets it touches: the 10,000 : 10 ratio should stay near 1 (target ≤ 2).
 * Run alone: npx tsx bench/decide.ts
 */
import type { DataType } from '../src/domain.ts';
import type { Finding, ScanResult } from '../src/detect/types.ts';
import { decide, loadPolicy, packageRoot, type DecisionInput, type LoadedPolicy, type Rule } from '../src/policy/index.ts';
import { buildRuleIndex } from '../src/policy/rule-index.ts';

const types: DataType[] = ['cn_resident_id', 'cn_mobile', 'email', 'person_name', 'address', 'health', 'bank_card', 'hkid'];

/** Rows shaped like the published lists: field-level, per scenario dataset, per industry. */
function generatedRows(n: number): Rule[] {
  const rows: Rule[] = [];
  for (let i = 0; i < n; i++) {
    const conditions =
      i % 3 === 0
        ? { datasets: [`bench-dataset-${i}`] }
        : i % 3 === 1
          ? { fields: [`benchfield${i}`] }
          : { industries: [`bench-industry-${i}`], typesAny: [types[i % types.length]!] };
    rows.push({
      id: `bench.row-${i}`,
      effect: 'row',
      mechanism: i % 2 === 0 ? 'contract-or-certification' : 'security-assessment',
      grade: 'pi',
      conditions,
      legalBasis: '《促进和规范数据跨境流动规定》第六条（基准测试生成的行）',
      source: 'https://www.cac.gov.cn/2024-03/22/c_1712776611775634.htm',
      example: true,
    });
  }
  return rows;
}

function withRows(policy: LoadedPolicy, n: number): LoadedPolicy {
  const rules = generatedRows(n);
  const set = { meta: { id: 'bench', kind: 'zone-list' as const, title: 'bench', status: 'in-force' as const, jurisdiction: 'bench', effectiveFrom: '2026-01-01', excludesCiio: false, source: 'https://example.org' }, rules, index: buildRuleIndex(rules) };
  const national = policy.ruleSets.get('national')!;
  const zones = new Map(policy.zones);
  zones.set('pingtan', { ruleSets: [national, set], masking: null });
  return { ...policy, zones };
}

const finding = (type: DataType, path: string): Finding => ({ type, count: 40, sensitive: type === 'health', grade: type === 'health' ? 'sensitive-pi' : 'pi', paths: [path], why: ['bench'] });
const scan: ScanResult = {
  bytes: 20_000,
  records: 40,
  subjects: 40,
  sensitiveSubjects: 40,
  identifiable: 40,
  parseError: null,
  unscanned: null,
  contentType: 'application/json',
  findings: [
    finding('person_name', '$.orders[*].buyer.name'),
    finding('cn_mobile', '$.orders[*].buyer.mobile'),
    finding('cn_resident_id', '$.orders[*].buyer.idNo'),
    finding('address', '$.orders[*].buyer.address'),
    finding('health', '$.orders[*].buyer.diagnosis'),
    finding('email', '$.orders[*].buyer.email'),
  ],
};

const base = await loadPolicy(packageRoot, { env: {} });
const enterprise = base.enterprises.get('91350128MA8TP0202F')!;
const destination = base.destinations.get('tw-clinical-partner')!;

function timePerDecision(policy: LoadedPolicy, iterations: number, warmUp = 2_000): number {
  const input: DecisionInput = {
    policy,
    scan,
    enterprise,
    destination,
    purpose: null,
    dataset: 'bench-dataset-3',
    counts: { nonSensitive: { before: 5_000, new: 40 }, sensitive: { before: 100, new: 40 } },
    at: new Date('2026-06-01T04:00:00Z'),
  };
  for (let i = 0; i < warmUp; i++) decide(input);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) decide(input);
  return Number(process.hrtime.bigint() - start) / iterations / 1_000; // µs
}

const iterations = Number(process.env["BENCH_ITERATIONS"] ?? 5_000);
const sizes = [10, 1_000, 10_000];
const results = new Map<number, number>();
// Two rounds, keeping the best, so a neighbour's burst on the shared machine does not decide the ratio.
for (let round = 0; round < 2; round++) {
  for (const n of sizes) {
    const micros = timePerDecision(withRows(base, n), iterations);
    results.set(n, Math.min(results.get(n) ?? Infinity, micros));
  }
}
// Baseline in the same run: the 10,000 rows with no index (every row evaluated for every transfer).
const unindexed = withRows(base, 10_000);
const benchSet = unindexed.zones.get('pingtan')!.ruleSets[1]!;
const linearZones = new Map(unindexed.zones);
linearZones.set('pingtan', { ruleSets: [unindexed.ruleSets.get('national')!, { ...benchSet, index: { buckets: new Map(), always: benchSet.rules.map((_, i) => i), rules: benchSet.rules } }], masking: null });
const linear = timePerDecision({ ...unindexed, zones: linearZones }, 200, 50);
for (const n of sizes) console.log(`decide() with ${String(n).padStart(6)} zone-list rows: ${results.get(n)!.toFixed(2)} µs/decision`);
const ratio = results.get(10_000)! / results.get(10)!;
console.log(`decide() with  10000 rows, no index (baseline): ${linear.toFixed(2)} µs/decision (${(linear / results.get(10_000)!).toFixed(1)}× the indexed time)`);
console.log(`ratio 10,000 : 10 rows = ${ratio.toFixed(2)} (target ≤ 2)`);
if (ratio > 2) process.exitCode = 1;

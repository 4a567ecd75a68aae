/**
 * Draft against in-force zone lists (Art. 6, CLARIFICATIONS 9): the shipped Pingtan list is a draft and
 * grants nothing; ops put it in force by editing its status and date, and data outside it leaves exempt.
 */
import { copyFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, loadCaseFiles, runCase } from '../../src/policy/cases.ts';
import { decide, loadPolicy, packageRoot, type LoadedPolicy } from '../../src/policy/index.ts';
import { finding, ids, inputOf, scanOf, withListInForce } from './helpers.ts';

let dir: string;
let policy: LoadedPolicy;
let draft: LoadedPolicy;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xborder-in-force-'));
  await cp(join(packageRoot, 'policies'), join(dir, 'policies'), { recursive: true });
  await cp(join(packageRoot, 'negative-list'), join(dir, 'negative-list'), { recursive: true });
  for (const name of await readdir(join(dir, 'policies/tests'))) if (name.endsWith('.yaml')) await rm(join(dir, 'policies/tests', name));
  await copyFile(join(packageRoot, 'test/fixtures/policy/pingtan-in-force.yaml'), join(dir, 'policies/tests/pingtan-in-force.yaml'));
  const list = await readFile(join(dir, 'negative-list/pingtan.yaml'), 'utf8');
  await writeFile(join(dir, 'negative-list/pingtan.yaml'), list.replace(/^  status: draft$/m, '  status: in-force').replace(/^  effectiveFrom: null$/m, '  effectiveFrom: 2026-01-01'));
  policy = await loadPolicy(dir, { env: {} });
  draft = await loadPolicy(packageRoot, { env: {} });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('an in-force copy of the Pingtan list', () => {
  it('is a different policy version', () => {
    expect(policy.ruleSets.get('pingtan')?.meta.status).toBe('in-force');
    expect(policy.version).not.toBe(draft.version);
  });

  it('passes every case of test/fixtures/policy/pingtan-in-force.yaml', async () => {
    const { files, issues } = await loadCaseFiles(dir);
    expect(issues).toEqual([]);
    const cases = files.flatMap((file) => file.cases.map((c) => ({ file, c })));
    expect(cases.length).toBe(5);
    const failures: string[] = [];
    for (const { file, c } of cases) {
      const result = await runCase(policy, file, c);
      if (!result.passed) failures.push(describeFailure(result));
    }
    expect(failures).toEqual([]);
  });

  it('the same bookings against the draft fall to the thresholds instead', async () => {
    const { files } = await loadCaseFiles(dir);
    const file = files[0]!;
    const result = await runCase(draft, file, file.cases[0]!);
    expect(result.got).toMatchObject({ decision: 'deny', mechanism: 'contract-or-certification' });
  });
});

describe('the Fuzhou example rows, were the list in force', () => {
  it('treat highly sensitive PI as important data only above 100,000 people (REGULATION.md §2.2, §7 row 28: >100,000)', () => {
    const fuzhou = withListInForce(draft, 'fuzhou', '2026-01-01');
    const accounts = scanOf([finding('person_name'), finding('financial_account')]);
    const at = (sensitive: number) =>
      decide(inputOf(fuzhou, { enterprise: ids.hkProcessor, destination: 'hk-bank', scan: accounts, prior: { general: sensitive, sensitive } })).rules.map((r) => r.id);
    expect(at(99_999)).not.toContain('fuzhou.example.finance-highly-sensitive'); // the 100,000th person
    expect(at(100_000)).toContain('fuzhou.example.finance-highly-sensitive'); // the 100,001st
  });
});

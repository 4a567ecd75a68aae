/**
 * `npm test` runs the policy test cases kept as data in policies/tests/*.yaml, each as its own test,
 * exactly as `xborder policy test` does.
 */
import { describe, expect, it } from 'vitest';
import { describeFailure, loadCaseFiles, runCase } from '../../src/policy/cases.ts';
import { formatIssue, packageRoot } from '../../src/policy/index.ts';
import { repoPolicy } from './helpers.ts';

const { files, issues } = await loadCaseFiles(packageRoot);

describe('policies/tests', () => {
  it('every case file is valid', () => {
    expect(issues.map(formatIssue)).toEqual([]);
    expect(files.length).toBeGreaterThan(0);
  });
});

for (const file of files) {
  describe(file.file, () => {
    for (const c of file.cases) {
      it(c.name, async () => {
        const result = await runCase(await repoPolicy(), file, c);
        if (!result.passed) expect.fail(describeFailure(result));
      });
    }
  });
}

import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { policyCommands } from '../../src/policy/cli.ts';
import { packageRoot } from '../../src/policy/index.ts';
import { UsageError, type CommandIo } from '../../src/shared/cli-support.ts';

function capture(stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), stdin: Readable.from([Buffer.from(stdin)]), env: {}, cwd: packageRoot };
  return { io, out: () => out.join(''), err: () => err.join('') };
}
const run = (name: string, argv: string[], stdin?: string) => {
  const c = capture(stdin);
  return policyCommands[name]!.run(argv, c.io).then((code) => ({ code, stdout: c.out(), stderr: c.err() }));
};

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function copyWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xborder-cli-'));
  dirs.push(dir);
  await cp(join(packageRoot, 'policies'), join(dir, 'policies'), { recursive: true });
  await cp(join(packageRoot, 'negative-list'), join(dir, 'negative-list'), { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

const payload = JSON.stringify({ customer: { name: '张伟', mobile: '13912345678' } });

describe('xborder policy check', () => {
  it('prints a summary and the version of a valid policy', async () => {
    const r = await run('policy check', []);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/version [0-9a-f]{64}/);
    expect(r.stdout).toContain('rule set pingtan: draft');
  });
  it('prints each problem as file:line:column field: message and exits 1', async () => {
    const dir = await copyWith({ 'policies/destinations.yaml': 'destinations:\n  - id: a\n    upstream: ftp://x\n    region: TW\n    recipient: r\n' });
    const r = await run('policy check', ['--policies', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('policies/destinations.yaml:3:15 destinations[0].upstream: expected an http(s) URL');
    // The test enterprises' filings now name destinations that no longer exist: reported too.
    expect(r.stderr).toMatch(/policies\/enterprises\.yaml:\d+:\d+ enterprises\[\d+\]\.filings\[0\]\.destinations\[0\]: unknown destination/);
  });
});

describe('xborder policy test', () => {
  it('runs the repository cases', async () => {
    const r = await run('policy test', []);
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed/m);
    expect(r.code).toBe(0);
  });
  it('prints a failing case with expected against got, and exits 1', async () => {
    const wrong = `cases:\n  - name: wrongly expects an allow\n    enterprise: 91110105MA8TE0101Q\n    destination: test-recipient-a\n    at: 2026-06-01\n    prior: general=999999\n    payload: ${payload}\n    expect: { decision: allow }\n`;
    const dir = await copyWith({ 'policies/tests/wrong.yaml': wrong });
    const r = await run('policy test', ['--policies', join(dir, 'policies')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL policies/tests/wrong.yaml: wrongly expects an allow');
    expect(r.stdout).toContain('expected: decision=allow');
    expect(r.stdout).toContain('got:      decision=deny mechanism=security-assessment');
    expect(r.stdout).toMatch(/ 1 failed/);
  });
});

describe('xborder policy test, dataset', () => {
  it('names a case whose dataset the gateway would refuse as X-Xborder-Dataset, and exits 1', async () => {
    const spaced = `cases:\n  - name: a dataset with a space\n    enterprise: 91110105MA8TE0101Q\n    destination: test-recipient-a\n    dataset: clinical trial\n    at: 2026-06-01\n    payload: ${payload}\n    expect: { decision: allow }\n`;
    const dir = await copyWith({ 'policies/tests/spaced.yaml': spaced });
    const r = await run('policy test', ['--policies', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policies\/tests\/spaced\.yaml:5:\d+ cases\[0\]\.dataset: a dataset name of letters, digits/);
  });
});

describe('xborder check', () => {
  const base = ['--enterprise', '91110105MA8TE0101Q', '--destination', 'test-recipient-a', '--at', '2026-06-01', '--content-type', 'application/json', '-'];
  it('prints the decision JSON for a payload on standard input', async () => {
    const r = await run('check', base, payload);
    expect(r.code).toBe(0);
    const decision = JSON.parse(r.stdout);
    expect(decision).toMatchObject({ decision: 'allow', mechanism: 'exempt', counters: { before: { nonSensitive: 0 }, after: { nonSensitive: 1 } } });
  });
  it('takes this year’s totals from --prior and exits 0 on a deny', async () => {
    const r = await run('check', ['--prior', 'general=999999,sensitive=3', ...base], payload);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'deny', mechanism: 'security-assessment', counters: { before: { nonSensitive: 999_999, sensitive: 3 } } });
  });
  it('names an unknown enterprise or destination as a usage error (exit 2)', async () => {
    await expect(run('check', ['--enterprise', 'nope', '--destination', 'test-recipient-a', '-'], payload)).rejects.toThrow(/unknown enterprise "nope"/);
    await expect(run('check', ['--enterprise', '91110105MA8TE0101Q', '--destination', 'mars', '-'], payload)).rejects.toThrow(UsageError);
  });
  it('refuses an --at that is not a day of the calendar: 2026-02-30 would be decided as 2 March', async () => {
    const at = base.indexOf('--at') + 1;
    for (const day of ['2026-02-30', '2026-06-31']) {
      await expect(run('check', base.with(at, day), payload)).rejects.toThrow(new RegExp(`check: expected a date YYYY-MM-DD, got "${day}"`));
    }
  });
  it('refuses a --dataset the gateway would refuse in X-Xborder-Dataset, rather than deciding it', async () => {
    await expect(run('check', ['--dataset', 'clinical trial', ...base], payload)).rejects.toThrow(/check: --dataset "clinical trial": a dataset name of letters, digits/);
    expect((await run('check', ['--dataset', 'clinical-trial', ...base], payload)).code).toBe(0);
  });
  it('refuses a --prior past the integers a count can hold exactly', async () => {
    await expect(run('check', ['--prior', 'general=99999999999999999999', ...base], payload)).rejects.toThrow(/check: --prior general=99999999999999999999: a count of at most 9007199254740991/);
  });
  it('refuses a bad --prior or --purpose', async () => {
    await expect(run('check', ['--prior', 'lots', ...base], payload)).rejects.toThrow(UsageError);
    await expect(run('check', ['--purpose', 'tourism', ...base], payload)).rejects.toThrow(/--purpose must be one of/);
  });
});

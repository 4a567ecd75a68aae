import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isXborderError } from '../../src/errors.ts';
import { createPolicyHolder, formatIssue, loadPolicy, packageRoot } from '../../src/policy/index.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A copy of the repository's policies with some files replaced. */
async function policyCopy(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xborder-policy-'));
  dirs.push(dir);
  await cp(join(packageRoot, 'policies'), join(dir, 'policies'), { recursive: true });
  await cp(join(packageRoot, 'negative-list'), join(dir, 'negative-list'), { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

async function problems(dir: string): Promise<string[]> {
  try {
    await loadPolicy(dir, { env: {} });
  } catch (error) {
    if (isXborderError(error, 'XB_ERR_POLICY_INVALID')) return ((error.details?.['issues'] ?? []) as Parameters<typeof formatIssue>[0][]).map(formatIssue);
    throw error;
  }
  return [];
}

const enterprise = (extra: string, id = '91110105MA8TE0101Q') => `enterprises:
  - id: ${id}
    name: 测试
    zone: outside-ftz
    industry: retail
    ciio: false
${extra}`;

describe('loadPolicy', () => {
  it('loads the repository policy, from its folder or from policies/ itself, with one version', async () => {
    const a = await loadPolicy(packageRoot, { env: {} });
    const b = await loadPolicy(join(packageRoot, 'policies'), { env: {} });
    expect(a.version).toMatch(/^[0-9a-f]{64}$/);
    expect(b.version).toBe(a.version);
    expect(a.enterprises.size).toBeGreaterThan(5);
  });

  it('hashes parsed content: comments and key order do not change the version, values do', async () => {
    const base = await loadPolicy(await policyCopy(), { env: {} });
    const original = await readFile(join(packageRoot, 'policies/gateway.yaml'), 'utf8');
    const commented = await loadPolicy(await policyCopy({ 'policies/gateway.yaml': `# another comment\n${original}` }), { env: {} });
    expect(commented.version).toBe(base.version);
    const changed = await loadPolicy(await policyCopy({ 'policies/gateway.yaml': original.replace('denyUninspectable: true', 'denyUninspectable: false') }), { env: {} });
    expect(changed.version).not.toBe(base.version);
  });

  it('ignores policy test cases in the version (CLARIFICATIONS 22)', async () => {
    const dir = await policyCopy();
    const before = (await loadPolicy(dir, { env: {} })).version;
    await writeFile(join(dir, 'policies/tests/extra.yaml'), 'cases: []\n');
    expect((await loadPolicy(dir, { env: {} })).version).toBe(before);
  });

  it('names file, line and column of broken YAML', async () => {
    const dir = await policyCopy({ 'policies/enterprises.yaml': 'enterprises:\n  - id: [unclosed\n' });
    const [first] = await problems(dir);
    expect(first).toMatch(/^policies\/enterprises\.yaml:\d+:\d+ \(yaml\): /);
  });

  it('names the field and what was expected for a wrong type', async () => {
    const dir = await policyCopy({ 'policies/enterprises.yaml': enterprise('').replace('ciio: false', 'ciio: "no"') });
    expect(await problems(dir)).toContain('policies/enterprises.yaml:6:11 enterprises[0].ciio: Invalid input: expected boolean, received string');
  });

  it('reports an unknown zone', async () => {
    const dir = await policyCopy({ 'policies/enterprises.yaml': enterprise('').replace('outside-ftz', 'mars') });
    expect((await problems(dir))[0]).toMatch(/^policies\/enterprises\.yaml:4:11 enterprises\[0\]\.zone: .*expected one of/);
  });

  it('reports a zone that gateway.yaml does not configure', async () => {
    const gateway = (await readFile(join(packageRoot, 'policies/gateway.yaml'), 'utf8')).replace(/  outside-ftz:\n    ruleSets: \[national\]\n/, '');
    const dir = await policyCopy({ 'policies/gateway.yaml': gateway, 'policies/enterprises.yaml': enterprise('') });
    expect(await problems(dir)).toEqual([expect.stringMatching(/^policies\/enterprises\.yaml:4:11 enterprises\[0\]\.zone: unknown zone "outside-ftz"/)]);
  });

  it('reports duplicate ids and a filing naming an unknown destination, all at once', async () => {
    const filing = `    filings:
      - kind: standard-contract
        ref: R-1
        destinations: [test-recipient-a, nowhere]
        validFrom: 2026-01-01
        validUntil: 2026-12-31
`;
    const text = `${enterprise(filing)}${enterprise('').replace('enterprises:\n', '')}`;
    const found = await problems(await policyCopy({ 'policies/enterprises.yaml': text }));
    expect(found).toEqual([
      'policies/enterprises.yaml:13:9 enterprises[1].id: duplicate enterprise id (first at enterprises[0])',
      'policies/enterprises.yaml:10:42 enterprises[0].filings[0].destinations[1]: unknown destination "nowhere" (not in destinations.yaml)',
    ]);
  });

  it('requires destinations for a standard contract and checks regions', async () => {
    const filing = `    filings:
      - kind: standard-contract
        ref: R-1
        validFrom: 2026-01-01
        validUntil: 2026-12-31
`;
    const dests = 'destinations:\n  - id: a\n    upstream: http://127.0.0.1:1\n    region: CN\n    recipient: x\n  - id: b\n    upstream: http://127.0.0.1:2\n    region: XX\n    recipient: y\n';
    const found = await problems(await policyCopy({ 'policies/enterprises.yaml': enterprise(filing), 'policies/destinations.yaml': dests }));
    expect(found).toContain('policies/enterprises.yaml:8:9 enterprises[0].filings[0].destinations: expected the destinations a standard-contract filing names');
    expect(found.some((l) => l.startsWith('policies/destinations.yaml:4:13 destinations[0].region: CN is the mainland'))).toBe(true);
    expect(found.some((l) => l.startsWith('policies/destinations.yaml:8:13 destinations[1].region: expected an ISO 3166'))).toBe(true);
  });

  it('refuses a filing valid longer than the law allows its kind, and counts extensions of an assessment', async () => {
    const filing = (kind: string, validFrom: string, validUntil: string, extra = '') => `      - kind: ${kind}
        ref: R-${kind}-${validUntil}
        destinations: [test-recipient-a]
        validFrom: ${validFrom}
        validUntil: ${validUntil}
${extra}`;
    const filings = [
      filing('security-assessment', '2023-06-01', '2026-06-01'), // the third anniversary: allowed
      filing('security-assessment', '2023-06-01', '2026-06-02'),
      filing('security-assessment', '2023-06-01', '2029-06-01', '        extensions: 1\n'),
      filing('security-assessment', '2023-06-01', '2029-06-02', '        extensions: 1\n'),
      filing('certification', '2024-02-29', '2027-02-28'),
      filing('certification', '2024-02-29', '2027-03-01'),
      filing('standard-contract', '2026-01-01', '2036-12-31'), // a contract runs for its agreed term
      filing('standard-contract', '2026-01-01', '2026-12-31', '        extensions: 1\n'),
    ];
    const found = await problems(await policyCopy({ 'policies/enterprises.yaml': enterprise(`    filings:\n${filings.join('')}`) }));
    expect(found).toEqual([
      expect.stringMatching(/^policies\/enterprises\.yaml:\d+:\d+ enterprises\[0\]\.filings\[1\]\.validUntil: expected 2026-06-01 at the latest: a security assessment result is valid 3 years from issue, add `extensions: N` when the CAC extended it \(《促进和规范数据跨境流动规定》第九条\)$/),
      expect.stringMatching(/filings\[3\]\.validUntil: expected 2029-06-01 at the latest: .* 1 extension\(s\) of 3 years/),
      expect.stringMatching(/filings\[5\]\.validUntil: expected 2027-02-28 at the latest: a personal information protection certificate is valid 3 years/),
      expect.stringMatching(/filings\[7\]\.extensions: only a security assessment result is extended/),
    ]);
  });

  it('reports a zone naming an unknown rule set', async () => {
    const gateway = (await readFile(join(packageRoot, 'policies/gateway.yaml'), 'utf8')).replace('ruleSets: [national, fuzhou]', 'ruleSets: [national, fuzhou-2030]');
    const found = await problems(await policyCopy({ 'policies/gateway.yaml': gateway }));
    expect(found).toEqual([expect.stringMatching(/^policies\/gateway\.yaml:\d+:\d+ zones\.fuzhou\.ruleSets\[1\]: unknown rule set "fuzhou-2030"/)]);
  });

  it('refuses a zone that does not apply the national rules (core data, important data, Arts. 5(4), 7, 8 bind everyone)', async () => {
    const gateway = (await readFile(join(packageRoot, 'policies/gateway.yaml'), 'utf8')).replace('ruleSets: [national, fuzhou]', 'ruleSets: [fuzhou]');
    const found = await problems(await policyCopy({ 'policies/gateway.yaml': gateway }));
    expect(found).toEqual([expect.stringMatching(/^policies\/gateway\.yaml:\d+:\d+ zones\.fuzhou\.ruleSets: .*national/)]);
  });

  it('refuses an FTZ negative list applied outside the FTZ (Art. 6 relieves only processors inside the zone)', async () => {
    const gateway = (await readFile(join(packageRoot, 'policies/gateway.yaml'), 'utf8')).replace(/outside-ftz:\n    ruleSets: \[national\]/, 'outside-ftz:\n    ruleSets: [national, pingtan]');
    const found = await problems(await policyCopy({ 'policies/gateway.yaml': gateway }));
    expect(found).toEqual([expect.stringMatching(/^policies\/gateway\.yaml:\d+:\d+ zones\.outside-ftz\.ruleSets\[1\]: .*Art\. 6/)]);
  });

  it('warns, without refusing, on a USCC whose check character does not match', async () => {
    const policy = await loadPolicy(await policyCopy({ 'policies/enterprises.yaml': enterprise('', '91350100M0001TGQXM') }), { env: {} });
    expect(policy.warnings.join('\n')).toContain('91350100M0001TGQXM');
  });

  it('resolves upstream header references from the environment', async () => {
    const policy = await loadPolicy(packageRoot, { env: { TW_PARTNER_TOKEN: 't0ken' } });
    expect(policy.destinations.get('tw-clinical-partner')?.upstreamHeaders).toEqual({ 'x-partner-token': 't0ken' });
  });
});

describe('createPolicyHolder', () => {
  it('keeps the old policy when a reload fails, and swaps on success', async () => {
    const dir = await policyCopy();
    const holder = await createPolicyHolder(dir, { env: {} });
    const first = holder.current();
    const gatewayPath = join(dir, 'policies/gateway.yaml');
    const good = await readFile(gatewayPath, 'utf8');
    await writeFile(gatewayPath, 'settings: [broken');
    await expect(holder.reload()).rejects.toMatchObject({ code: 'XB_ERR_POLICY_INVALID' });
    expect(holder.current()).toBe(first);
    await writeFile(gatewayPath, good.replace('denyUninspectable: true', 'denyUninspectable: false'));
    const next = await holder.reload();
    expect(holder.current()).toBe(next);
    expect(next.version).not.toBe(first.version);
  });
});

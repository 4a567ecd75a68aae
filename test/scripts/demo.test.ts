/**
 * `npm run demo` as a specification: run as its own process, it must pass every hub scenario of
 * issue 6 through a real gateway with the outcome the law gives it, verify the audit log, clean
 * up after itself and print no personal data. The expected rows are written here again, apart
 * from the demo's own expectations, so a change in either shows.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const columns = ['id', 'hub', 'scenario', 'decision', 'mechanism', 'rule', 'http', 'received', 'yearTotal', 'check'] as const;
type TableRow = Record<(typeof columns)[number], string>;

function tableRows(stdout: string): Map<string, TableRow> {
  const rows = new Map<string, TableRow>();
  for (const line of stdout.split('\n')) {
    if (!/^\| [PFX]\d /.test(line)) continue;
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    const row = Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? ''])) as TableRow;
    rows.set(row.id, row);
  }
  return rows;
}

// id, hub, decision, mechanism, rule, HTTP status, what the recipient got, distinct subjects this year after the transfer.
const expected: [string, string, string, string, string, string, RegExp, string][] = [
  ['P1', 'Pingtan', 'allow', 'exempt', 'national.art5-1.contract-necessity', '200', /^as sent/, '2'],
  ['P2', 'Pingtan', 'deny', 'contract-or-certification', 'national.art8.sensitive-under-10k', '451', /^nothing$/, '3 (3 sens.)'],
  ['P3', 'Pingtan', 'allow', 'contract-or-certification', 'national.art8.sensitive-under-10k', '200', /^as sent/, '3 (3 sens.)'],
  ['P4', 'Pingtan', 'deny', 'contract-or-certification', 'national.art8.non-sensitive-100k', '451', /^nothing$/, '150,004'],
  ['F1', 'Fuzhou', 'allow', 'exempt', 'national.art4.foreign-collected-reexport', '200', /^as sent/, '3'],
  ['F2', 'Fuzhou', 'allow', 'exempt', 'national.art5-4.under-100k', '200', /^as sent/, '6'],
  ['F3', 'Fuzhou', 'deny', 'contract-or-certification', 'national.art8.non-sensitive-100k', '451', /^nothing$/, '120,009'],
  ['X1', 'Xiamen', 'allow', 'exempt', 'national.art5-1.contract-necessity', '200', /^as sent/, '2'],
  ['X2', 'Xiamen', 'mask', 'exempt', 'national.art8.sensitive-under-10k', '200', /^masked \(2 of 3 records, no raw value: yes\)$/, '3 (1 sens.)'],
  ['X3', 'Xiamen', 'allow', 'exempt', 'national.art5-4.under-100k', '200', /^as sent/, '99,998'],
  ['X4', 'Xiamen', 'allow', 'contract-or-certification', 'national.art8.non-sensitive-100k', '200', /^as sent/, '100,000'],
  ['X5', 'Xiamen', 'deny', 'security-assessment', 'national.art7-2.non-sensitive-1m', '451', /^nothing$/, '1,000,000'],
];

describe('npm run demo', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runDemo();
  }, 90_000);

  it('exits 0: every transfer as expected, the gateway stopped cleanly, the audit log verified', () => {
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('demo OK: 12 transfers as expected, audit log verified');
    expect(run.stdout).toContain('gateway stopped (exit 0)');
    expect(run.stdout).toMatch(/^ok {3}node node-1: 20 records recomputed/m);
    expect(run.stdout).toMatch(/^ok {3}node admin-cli: 4 records recomputed/m);
    expect(run.stdout).not.toMatch(/^FAIL/m);
  });

  it('prints one row per scenario of the three hubs with its decision, mechanism, rule, status and delivery', () => {
    const rows = tableRows(run.stdout);
    expect([...rows.keys()]).toEqual(expected.map(([id]) => id));
    for (const [id, hub, decision, mechanism, rule, http, received, yearTotal] of expected) {
      const row = rows.get(id)!;
      expect({ hub: row.hub, decision: row.decision, mechanism: row.mechanism, http: row.http, yearTotal: row.yearTotal, check: row.check }, id).toEqual({
        hub, decision, mechanism, http, yearTotal, check: 'ok',
      });
      expect(row.rule.split(', '), id).toContain(rule);
      expect(row.received, id).toMatch(received);
    }
  });

  it('names the filings that allow P3 and X4 and the 451 reasons of the refusals', () => {
    expect(run.stdout).toMatch(/^P3: filing .+ \(standard-contract\) covers this transfer$/m);
    expect(run.stdout).toMatch(/^X4: filing .+ \(standard-contract\) covers this transfer$/m);
    expect(run.stdout).toMatch(/^X5: 451: .*requires a passed security assessment/m);
    expect(run.stdout).toMatch(/^F3: warning: declared purpose foreign-collected-reexport \(Art\. 4\) not applied/m);
  });

  it('prints no personal data and removes its temporary folder', () => {
    const output = run.stdout + run.stderr;
    expect(output).not.toMatch(/\b\d{17}[\dX]\b/); // resident IDs
    expect(output).not.toMatch(/\b1[3-9]\d{9}\b/); // mainland mobiles
    expect(output).not.toMatch(/\+852 \d{4} \d{4}/);
    expect(output).not.toMatch(/[A-Z]\d{6}\([\dA]\)/); // HKIDs
    expect(output).not.toContain('@example.com');
    const folder = /in (\/\S+xborder-demo-\S+)$/m.exec(run.stdout)?.[1];
    expect(folder).toBeDefined();
    expect(existsSync(folder!)).toBe(false);
  });
});

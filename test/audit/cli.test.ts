import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/audit/index.ts';
import { main } from '../../src/cli.ts';
import type { CommandIo } from '../../src/shared/cli-support.ts';
import { decisionRecord, fixedClock } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'xb-audit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const captured = { out: '', err: '' };
  const io: CommandIo = {
    stdout: (text) => void (captured.out += text),
    stderr: (text) => void (captured.err += text),
    stdin: Readable.from([]),
    env: {},
    cwd: dir,
  };
  const code = await main(argv, io);
  return { code, ...captured };
}

describe('xborder audit verify', () => {
  it.each([
    ['--trusted-checkpoints', 'missing.json', /--trusted-checkpoints missing\.json: no such file/],
    ['--trusted-checkpoints', '.', /--trusted-checkpoints \.: not a file/],
    ['--trusted-checkpoints', 'garbage.ndjson', /--trusted-checkpoints garbage\.ndjson: line 2 is not JSON/],
    ['--trusted-checkpoints', 'null.json', /--trusted-checkpoints: entry 1 is not a signed checkpoint/],
    ['--trusted-checkpoints', 'empty.json', /--trusted-checkpoints empty\.json: holds no checkpoints/],
    ['--export', 'missing.ndjson', /--export missing\.ndjson: no such file/],
    ['--export', '.', /--export \.: not a file/],
  ])('names an unreadable %s %s in one line, exit 2, not a stack trace', async (option, file, message) => {
    writeFileSync(join(dir, 'garbage.ndjson'), '{"size":1}\nnot json\n');
    writeFileSync(join(dir, 'null.json'), 'null\n');
    writeFileSync(join(dir, 'empty.json'), '');
    const result = await run(['audit', 'verify', option, file]);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toMatch(message);
    expect(result.err.split('\n')).toHaveLength(2);
  });
});

describe('xborder audit verify --node', () => {
  it('fails for a node the log does not hold rather than reporting its empty tree ok', async () => {
    const store = await openStore({ nodeId: 'node-a', dataDir: dir, checkpointIntervalMs: 0, clock: fixedClock });
    await store.append(decisionRecord());
    await store.close();
    expect((await run(['audit', 'verify', '--data-dir', dir, '--node', 'node-a'])).code).toBe(0);
    const typo = await run(['audit', 'verify', '--data-dir', dir, '--node', 'node-A']);
    expect(typo.out).toBe('FAIL node node-A: the log holds no records or checkpoints of this node (its nodes: node-a)\n');
    expect(typo.code).toBe(1);
  });
});

describe('xborder counters import', () => {
  it.each([
    [['--general', 'lots'], /--general must be a whole number/],
    [['--year', 'next'], /--year must be a whole number/],
    [['--general', '5', '--sensitive', '10'], /--sensitive 10 is more than --general 5/],
  ])('refuses %j as a usage error before it opens or creates a store', async (bad, message) => {
    const where = join(dir, 'never');
    const result = await run(['counters', 'import', '--data-dir', where, '--zone', 'pingtan', '--enterprise', 'E1', '--year', '2026', ...bad]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err).not.toMatch(/XB_ERR|UsageError/);
    expect(existsSync(where)).toBe(false);
  });

  it('says why the record names no zone: a policy it could not read is not a policy without the enterprise', async () => {
    const broken = join(dir, 'broken-policy');
    const result = await run(['counters', 'import', '--data-dir', join(dir, 'store'), '--policies', broken, '--enterprise', 'E1', '--year', '2026']);
    expect(result.code).toBe(0);
    expect(result.err).toMatch(/warning: the policy under .*broken-policy could not be read \(.+\): the audit record names no zone/);
    const missing = await run(['counters', 'import', '--data-dir', join(dir, 'store'), '--enterprise', 'E-UNKNOWN', '--year', '2026']);
    expect(missing.err).toMatch(/warning: enterprise E-UNKNOWN is not in the policy under .*: the audit record names no zone/);
  });
});

describe('xborder audit verify --export', () => {
  it('refuses the database options and --node beside it rather than ignoring them', async () => {
    writeFileSync(join(dir, 'some.ndjson'), '');
    for (const extra of [['--node', 'node-b'], ['--db', 'other.db'], ['--database-url', 'postgres://127.0.0.1/test']]) {
      const result = await run(['audit', 'verify', '--export', 'some.ndjson', ...extra]);
      expect(result.code, extra[0]).toBe(2);
      expect(result.err).toMatch(new RegExp(`${extra[0]} does not apply to --export`));
    }
  });
});

describe('xborder audit export --out', () => {
  it.each([
    ['missing-folder/out.ndjson', /--out missing-folder\/out\.ndjson: no folder .*missing-folder/],
    ['.', /--out \.: is a folder/],
  ])('refuses %s in one line, exit 2, not a stack trace', async (out, message) => {
    const store = await openStore({ nodeId: 'node-a', dataDir: dir, checkpointIntervalMs: 0, clock: fixedClock });
    await store.close();
    const result = await run(['audit', 'export', '--data-dir', dir, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err.split('\n')).toHaveLength(2);
  });
});

describe('xborder counters --year', () => {
  it.each([
    ['counters show', ['--enterprise', 'E1']],
    ['counters import', ['--enterprise', 'E1', '--zone', 'pingtan']],
  ])('%s refuses a year no audit record can hold', async (name, options) => {
    for (const year of ['0', '1999', '10000']) {
      const result = await run([...name.split(' '), '--data-dir', dir, ...options, '--year', year]);
      expect(result.code, year).toBe(2);
      expect(result.err).toMatch(new RegExp(`--year ${year}: a year from 2000 to 9999`));
    }
  });
});

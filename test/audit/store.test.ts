/**
 * The audit store's contract, run against SQLite and PostgreSQL alike: appends, checkpoints,
 * proofs, queries, offline export, and tampering found with the first bad record named.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  formatRecords,
  iterateRecords,
  newDecisionId,
  openStore,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  type AuditStore,
} from '../../src/audit/index.ts';
import { openDriver } from '../../src/audit/store.ts';
import { readKeys } from '../../src/audit/sources.ts';
import { decisionRecord, outcomeRecord, postgresAvailable, postgresBackend, sqliteBackend, storesPerTest, zoneOf, type Backend } from './helpers.ts';

const backends: Backend[] = [sqliteBackend()];
if (await postgresAvailable()) backends.push(postgresBackend('store'));

describe.each(backends)('audit store on $name', (backend) => {
  const open = storesPerTest(backend);

  it('commits concurrent appends in group transactions with contiguous leaves and per-zone sequences', async () => {
    const s = await open();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => s.append(decisionRecord({ zone: zoneOf(i) }))));
    expect(results.map((r) => r.leafIndex).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    for (const zone of ['pingtan', 'fuzhou', 'xiamen']) {
      const { records } = await s.query({ zone: zone as 'pingtan' }, { limit: 1000 });
      expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    }
    const first = results[0]!;
    expect(first.id).toBe(`node-a:${first.leafIndex}`);
    expect((await s.getRecord(first.id))?.leafIndex).toBe(first.leafIndex);
  });

  it('links the outcome to its decision and fills in its enterprise and zone', async () => {
    const s = await open();
    const decision = decisionRecord({ zone: 'xiamen' });
    await s.append(decision);
    await s.append(outcomeRecord(decision.decisionId));
    const { records } = await s.query({ decisionId: decision.decisionId }, { limit: 10 });
    expect(records.map((r) => r.kind)).toEqual(['decision', 'outcome']);
    expect(records[1]).toMatchObject({ kind: 'outcome', zone: 'xiamen', enterprise: '91350128MA0000001X', seq: 2 });
    expect((await s.getRecord(decision.decisionId))?.kind).toBe('decision');
  });

  it('refuses a malformed record and keeps unknown fields (raw values, hashes) out of the log', async () => {
    const s = await open();
    await expect(s.append({ ...decisionRecord(), decision: 'maybe' } as never)).rejects.toMatchObject({ code: 'XB_ERR_BAD_INPUT' });
    const input = { ...decisionRecord(), subjectHashes: ['ab12'], rawValue: '13812345678' } as never;
    const { id } = await s.append(input);
    const stored = JSON.stringify(await s.getRecord(id));
    expect(stored).not.toContain('13812345678');
    expect(stored).not.toContain('subjectHashes');
  });

  it('signs a checkpoint every N records and a final one on close, verifiable with the published keys', async () => {
    const s = await open({ checkpointEvery: 10 });
    for (let i = 0; i < 25; i++) await s.append(decisionRecord());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await s.checkpoints('node-a')).map((c) => c.size)).toEqual([10, 20]);
    await s.close();
    const reopened = await open({ checkpointEvery: 10 });
    const checkpoints = await reopened.checkpoints('node-a');
    expect(checkpoints.map((c) => c.size)).toEqual([10, 20, 25]);
    const { keys } = await reopened.jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: checkpoints[0]!.kid });
    expect(keys[0]).not.toHaveProperty('d');
    const driver = await openDriver(backend.options());
    try {
      for (const c of checkpoints) expect((await verifyCheckpoint(c, await readKeys(driver.reader))).ok).toBe(true);
    } finally {
      await driver.close();
    }
    expect(statSync(join(backend.options().dataDir, 'signing-key-node-a.jwk')).mode & 0o777).toBe(0o600);
  });

  it('signs on the timer when records wait, with the injected clock in the checkpoint', async () => {
    const s = await open({ checkpointIntervalMs: 30, clock: () => new Date('2026-05-05T00:00:00.000Z') });
    await s.append(decisionRecord());
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await s.checkpoints('node-a')).toMatchObject([{ size: 1, time: '2026-05-05T00:00:00.000Z' }]);
  });

  it('by default signs within 1 s of a record waiting, not sooner, with no record count reached', async () => {
    const started = Date.now();
    // The helper turns the timer off; undefined leaves openStore's default in place.
    const s = await open({ checkpointIntervalMs: undefined, clock: () => new Date() });
    // The timer starts inside openStore: between `started` and `opened`.
    const opened = Date.now();
    await s.append(decisionRecord());
    let signed = await s.checkpoints('node-a');
    while (signed.length === 0 && Date.now() - started < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      signed = await s.checkpoints('node-a');
    }
    const now = Date.now();
    expect(signed.map((c) => c.size)).toEqual([1]);
    expect(now - started).toBeGreaterThanOrEqual(950);
    expect(now - opened).toBeLessThan(2_000);
  });

  it('by default signs at every 1,000 records', async () => {
    const s = await open();
    await Promise.all(Array.from({ length: 2_500 }, (_, i) => s.append(decisionRecord({ zone: zoneOf(i) }))));
    for (let tries = 0; (await s.checkpoints('node-a')).length < 2; tries++) {
      expect(tries).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await s.checkpoints('node-a')).map((c) => c.size)).toEqual([1000, 2000]);
  });

  it('serves inclusion and consistency proofs that RFC 9162 verification accepts', async () => {
    const s = await open({ checkpointEvery: 300 });
    const appended = await Promise.all(Array.from({ length: 700 }, () => s.append(decisionRecord())));
    await s.checkpointNow();
    const [a, b, c] = await s.checkpoints('node-a');
    expect([a?.size, b?.size, c?.size]).toEqual([300, 600, 700]);
    for (const pick of [0, 255, 256, 299, 512, 699]) {
      const result = appended.find((r) => r.leafIndex === pick)!;
      const proof = await s.inclusionProof(result.id);
      expect(proof.treeSize).toBe(700);
      expect(proof.leafHash).toBe(result.leafHash);
      const ok = verifyInclusion(Buffer.from(proof.leafHash, 'hex'), proof.leafIndex, proof.treeSize, proof.auditPath.map((h) => Buffer.from(h, 'hex')), Buffer.from(proof.root, 'hex'));
      expect(ok, `leaf ${pick}`).toBe(true);
    }
    const path = await s.consistencyProof('node-a', a!.size, c!.size);
    expect(verifyConsistency(a!.size, c!.size, path.map((h) => Buffer.from(h, 'hex')), Buffer.from(a!.root, 'hex'), Buffer.from(c!.root, 'hex'))).toBe(true);
  });

  it('filters by enterprise, zone, destination, decision, data type, mechanism and time, page by page', async () => {
    const s = await open();
    const base = Date.parse('2026-03-01T00:00:00Z');
    for (let i = 0; i < 40; i++) {
      await s.append(
        decisionRecord({
          at: new Date(base + i * 60_000),
          zone: zoneOf(i),
          enterprise: i % 2 === 0 ? 'E-EVEN' : 'E-ODD',
          decision: i % 5 === 0 ? 'deny' : 'allow',
          mechanism: i % 5 === 0 ? 'security-assessment' : 'exempt',
          destination: i < 20 ? 'hk-crm' : 'sg-hr',
          findings: i % 4 === 0 ? [{ type: 'health', count: 1, grade: 'sensitive-pi', sensitive: true, paths: ['$.diagnosis'] }] : [],
        }),
      );
    }
    const count = async (filter: Parameters<AuditStore['query']>[0]) => (await s.query(filter, { limit: 1000 })).records.length;
    expect(await count({ enterprise: 'E-EVEN' })).toBe(20);
    expect(await count({ zone: ['pingtan', 'xiamen'] })).toBe(27);
    expect(await count({ zone: [] })).toBe(0);
    expect(await count({ destination: 'sg-hr', decision: 'deny' })).toBe(4);
    expect(await count({ mechanism: 'security-assessment' })).toBe(8);
    expect(await count({ dataType: 'health' })).toBe(10);
    expect(await count({ from: new Date(base + 10 * 60_000), to: new Date(base + 20 * 60_000) })).toBe(10);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<AuditStore['query']>> = await s.query({ enterprise: 'E-ODD' }, { cursor, limit: 7 });
      seen.push(...page.records.map((r) => r.leafIndex));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i * 2 + 1));
    await expect(s.query({}, { cursor: 'not-a-cursor', limit: 5 })).rejects.toMatchObject({ code: 'XB_ERR_BAD_INPUT' });
  });

  it('filters by a data type whose id holds an underscore, matching the id literally', async () => {
    const s = await open();
    const mobile = [{ type: 'cn_mobile', count: 1, grade: 'pi' as const, sensitive: false, paths: ['$.mobile'] }];
    const lookalike = [{ type: 'cnXmobile', count: 1, grade: 'pi' as const, sensitive: false, paths: ['$.x'] }];
    await s.append(decisionRecord({ findings: mobile }));
    await s.append(decisionRecord({ findings: lookalike }));
    const types = async (dataType: string) =>
      (await s.query({ dataType }, { limit: 100 })).records.map((r) => (r.kind === 'decision' ? r.findings.map((f) => f.type).join() : ''));
    expect(await types('cn_mobile')).toEqual(['cn_mobile']);
    expect(await types('cn%')).toEqual([]);
    expect(await types('cn_mobil_')).toEqual([]);
  });

  it('streams records as NDJSON and as CSV with a header', async () => {
    const s = await open();
    for (const dataset of ['=cmd()', 'crm, "vip"', '\t=1+1']) await s.append(decisionRecord({ dataset }));
    const driver = await openDriver(backend.options());
    try {
      const ndjson: string[] = [];
      for await (const line of formatRecords(iterateRecords(driver.reader, {}), 'ndjson')) ndjson.push(line);
      expect(ndjson).toHaveLength(3);
      expect(JSON.parse(ndjson[0]!).kind).toBe('decision');
      const csv: string[] = [];
      for await (const line of formatRecords(iterateRecords(driver.reader, {}), 'csv')) csv.push(line);
      expect(csv[0]).toMatch(/^id,node,leafIndex,seq,kind,decisionId,at,/);
      expect(csv[1]).toContain("'=cmd()");
      expect(csv[2]).toContain('"crm, ""vip"""');
      expect(csv[3]).toContain("'\t=1+1");
    } finally {
      await driver.close();
    }
  });

  it('answers ping and fails closed with XB_ERR_SHUTTING_DOWN after close', async () => {
    const s = await open();
    await s.ping();
    await s.close();
    await expect(s.append(decisionRecord())).rejects.toBeTruthy();
  });

  it('exports from a bare date as that day in China Standard Time, and refuses a time without its offset', async () => {
    const { runCli } = await import('./helpers.ts');
    const s = await open();
    // 01:30 on 1 March in Beijing, still 28 February in UTC.
    await s.append(decisionRecord({ at: new Date('2026-02-28T17:30:00Z') }));
    await s.close();
    const out = join(backend.options().dataDir, 'march.ndjson');
    expect((await runCli('audit export', [...backend.flags(), '--from', '2026-03-01', '--out', out])).stdout).toContain('wrote 1 records');
    expect((await runCli('audit export', [...backend.flags(), '--to', '2026-03-01', '--out', out])).stdout).toContain('wrote 0 records');
    for (const bound of ['2026-03-01T00:00', '2026-02-30', 'March 1 2026']) {
      await expect(runCli('audit export', [...backend.flags(), '--from', bound, '--out', out]), bound).rejects.toThrow(/not a time/);
    }
  });

  it('refuses an export filter value that no record can hold, instead of writing an empty file', async () => {
    const { runCli } = await import('./helpers.ts');
    await (await open()).close();
    const out = join(backend.options().dataDir, 'none.ndjson');
    await expect(runCli('audit export', [...backend.flags(), '--decision', 'denied', '--out', out])).rejects.toThrow(/unknown decision denied/);
    await expect(runCli('audit export', [...backend.flags(), '--mechanism', 'contract', '--out', out])).rejects.toThrow(/unknown mechanism contract/);
  });

  it('verifies the log with the CLI, exports it, and verifies the export offline', async () => {
    const { runCli } = await import('./helpers.ts');
    const s = await open({ checkpointEvery: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 35; i++) {
      const record = decisionRecord({ zone: zoneOf(i) });
      ids.push(record.decisionId);
      await s.append(record);
    }
    await s.close();
    const verified = await runCli('audit verify', backend.flags());
    expect(verified.stdout).toMatch(/ok {3}node node-a: 35 records recomputed .* 4 checkpoint signatures and roots, 3 consistency proofs/);
    expect(verified.code).toBe(0);
    const out = join(backend.options().dataDir, 'export.ndjson');
    expect((await runCli('audit export', [...backend.flags(), '--out', out])).code).toBe(0);
    const offline = await runCli('audit verify', ['--export', out]);
    expect(offline.stdout).toContain('35 records recomputed');
    expect(offline.code).toBe(0);
    const selection = join(backend.options().dataDir, 'pingtan.ndjson');
    expect((await runCli('audit export', [...backend.flags(), '--zone', 'pingtan', '--out', selection])).stdout).toContain('wrote 12 records');
    const checkedSelection = await runCli('audit verify', ['--export', selection]);
    expect(checkedSelection.stdout).toContain('selection, checked by inclusion proofs');
    expect(checkedSelection.code).toBe(0);
    const proof = await runCli('audit proof', [...backend.flags(), '--id', ids[7]!]);
    const parsed = JSON.parse(proof.stdout) as { leafIndex: number; treeSize: number; leafHash: string; auditPath: string[]; root: string };
    expect(parsed).toMatchObject({ leafIndex: 7, treeSize: 35 });
    expect(verifyInclusion(Buffer.from(parsed.leafHash, 'hex'), 7, 35, parsed.auditPath.map((h) => Buffer.from(h, 'hex')), Buffer.from(parsed.root, 'hex'))).toBe(true);
  });
});

beforeAll(() => {
  expect(newDecisionId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

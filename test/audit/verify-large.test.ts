/**
 * `verifyLog` on a log longer than one chunk of the verifier's packed leaf hashes (32,768):
 * checkpoints on both sides of the chunk boundary and across it must check out, and a rewritten
 * checkpoint across it must not. The records are generated, so the log is long but quick to build.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSegments, storedRecordJson } from '../../src/audit/canonical-record.ts';
import { loadSigningKey, signCheckpoint, type PublicKeyEntry, type SignedCheckpoint, type SigningKey } from '../../src/audit/checkpoint.ts';
import { Frontier, textLeafHash } from '../../src/audit/merkle.ts';
import { auditRecordSchema } from '../../src/audit/records.ts';
import { verifyExport } from '../../src/audit/export.ts';
import { verifyLog, type LeafRow } from '../../src/audit/verify.ts';
import { decisionRecord } from './helpers.ts';

const records = 40_000;
const segments = recordSegments(auditRecordSchema.parse(decisionRecord()) as Record<string, unknown>);
const body = (i: number, node = 'n') => storedRecordJson(segments, { id: `${node}:${i}`, leafIndex: i, node, seq: i + 1 });

async function* rows(): AsyncGenerator<LeafRow> {
  for (let i = 0; i < records; i++) yield { leafIndex: i, body: body(i) };
}

let dir: string;
let key: SigningKey;
let keys: PublicKeyEntry[];
/** The tree's root at each size, computed here independently of the verifier. */
const roots = new Map<number, string>();
const sizes = [1_000, 32_768, 32_769, 33_000, 40_000];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xb-verify-large-'));
  key = await loadSigningKey(dir, 'n');
  keys = [{ kid: key.kid, node: 'n', jwk: key.publicJwk, createdAt: '2026-03-01T00:00:00.000Z' }];
  const tree = new Frontier();
  for (let i = 0; i < records; i++) {
    tree.push(textLeafHash(body(i)));
    if (sizes.includes(tree.size)) roots.set(tree.size, tree.root().toString('hex'));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const signed = (size: number, root = roots.get(size)!): Promise<SignedCheckpoint> =>
  signCheckpoint(key, { origin: 'n', size, root, time: '2026-03-02T00:00:00.000Z' });

describe('verifying a log longer than a chunk of packed leaves', () => {
  it('checks every checkpoint and the consistency of each with the one before, across the boundary', { timeout: 60_000 }, async () => {
    const checkpoints = await Promise.all(sizes.map((size) => signed(size)));
    const trusted = [await signed(32_769), await signed(40_000)];
    const report = await verifyLog({ nodes: ['n'], rows, checkpoints, keys, trusted });
    expect(report.failure).toBeNull();
    expect(report.nodes).toEqual([{ node: 'n', records, checkpoints: sizes.length, consistencyProofs: sizes.length - 1, trusted: 2, unsigned: 0 }]);
  });

  it('refuses a trusted checkpoint across the boundary that the log does not extend', { timeout: 60_000 }, async () => {
    // The regulator kept the tree of 33,000 records; the log now holds another first 33,000.
    const kept = await signed(33_000, roots.get(32_769)!);
    const report = await verifyLog({ nodes: ['n'], rows, checkpoints: [await signed(40_000)], keys, trusted: [kept] });
    expect(report.failure).toMatchObject({ node: 'n', checkpointSize: 33_000 });
    expect(report.failure!.message).toContain('the log was rewritten');
  });

  it('verifies the same log from an export file, read line by line, beside a second node', { timeout: 60_000 }, async () => {
    const line = (value: unknown) => JSON.stringify(value);
    const recordLines = (node: string, count: number) =>
      Array.from({ length: count }, (_, i) => `{"type":"record","record":${body(i, node)},"leafHash":"${textLeafHash(body(i, node)).toString('hex')}"}`);
    const preamble = [
      line({ type: 'header', format: 'xborder-audit-export', version: 1, exportedAt: '2026-03-02T00:00:00.000Z', complete: true, filter: {} }),
      line({ type: 'key', ...keys[0] }),
      ...(await Promise.all(sizes.map((size) => signed(size)))).map((checkpoint) => line({ type: 'checkpoint', ...checkpoint })),
    ];
    const [m, n] = [recordLines('m', 10), recordLines('n', records)];
    const file = join(dir, 'export.ndjson');
    writeFileSync(file, `${[...preamble, ...n].join('\n')}\n`);
    const report = await verifyExport(file);
    expect(report.failure).toBeNull();
    expect(report.nodes.map((node) => [node.node, node.records, node.consistencyProofs, node.unsigned])).toEqual([['n', records, sizes.length - 1, 0]]);
    // Node m's records are under none of its checkpoints: an export never holds such records,
    // so the checkpoints were removed. Node n is still recomputed whole before that is reported.
    writeFileSync(file, `${[...preamble, ...m, ...n].join('\n')}\n`);
    const stripped = await verifyExport(file);
    expect(stripped.failure).toMatchObject({ node: 'm', leafIndex: 0, message: expect.stringContaining('no signed checkpoint covers the record') });
    expect(stripped.nodes.map((node) => [node.node, node.records, node.unsigned])).toEqual([['m', 10, 10], ['n', records, 0]]);
    // The records of a node in two places are not an export as xborder writes them.
    writeFileSync(file, `${[...preamble.slice(0, 2), ...m.slice(0, 5), ...recordLines('p', 5), ...m.slice(5)].join('\n')}\n`);
    expect((await verifyExport(file)).failure).toMatchObject({ node: 'm', message: expect.stringContaining('are not together') });
  });
});

describe('verifying an export of a node that has signed for months', () => {
  it('reads a node with more checkpoints than a call takes arguments, and reports on them', { timeout: 60_000 }, async () => {
    // A node signs each second it has new records: 86,400 checkpoints a day. Signing this many
    // would take minutes, so their signatures are left invalid: the report must say so.
    const count = 200_000;
    const lines = [
      JSON.stringify({ type: 'header', format: 'xborder-audit-export', version: 1, exportedAt: '2026-03-02T00:00:00.000Z', complete: true, filter: {} }),
      JSON.stringify({ type: 'key', ...keys[0] }),
    ];
    for (let size = 1; size <= count; size++) lines.push(JSON.stringify({ type: 'checkpoint', origin: 'n', size, root: 'ab'.repeat(32), time: '2026-03-02T00:00:00.000Z', kid: key.kid, jws: 'x.y.z' }));
    lines.push(`{"type":"record","record":${body(0)},"leafHash":"${textLeafHash(body(0)).toString('hex')}"}`);
    const file = join(dir, 'months.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const report = await verifyExport(file);
    expect(report.failure).toMatchObject({ node: 'n', checkpointSize: 1, message: expect.stringContaining('signature does not verify') });
  });
});

describe('the streamed tree behind verify', () => {
  it('checks the consistency of checkpoints at any sizes, and trusted ones anywhere below the head', { timeout: 60_000 }, async () => {
    const fc = await import('fast-check');
    const count = 150;
    const rowsOf = async function* (): AsyncGenerator<LeafRow> {
      for (let i = 0; i < count; i++) yield { leafIndex: i, body: body(i) };
    };
    const rootAt = (size: number) => {
      const tree = new Frontier();
      for (let i = 0; i < size; i++) tree.push(textLeafHash(body(i)));
      return tree.root().toString('hex');
    };
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: count }), { maxLength: 8 }), fc.uniqueArray(fc.integer({ min: 1, max: count }), { maxLength: 3 }), async (at, kept) => {
        const checkpoints = await Promise.all(at.map((size) => signed(size, rootAt(size))));
        const trusted = await Promise.all(kept.map((size) => signed(size, rootAt(size))));
        const report = await verifyLog({ nodes: ['n'], rows: rowsOf, checkpoints, keys, trusted });
        expect(report.failure).toBeNull();
        expect(report.nodes[0]).toMatchObject({ records: count, consistencyProofs: Math.max(0, at.length - 1), trusted: kept.length });
      }),
      { numRuns: 40 },
    );
  });
});

/**
 * Several gateway nodes on one PostgreSQL (DESIGN §8): each keeps its own tree, the counters are
 * shared and exact. Two store instances act as two nodes writing at once.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newDecisionId, openStore, verifyStore, type AuditStore, type OpenStoreOptions } from '../../src/audit/index.ts';
import { openDriver } from '../../src/audit/store.ts';
import { decisionRecord, dropSchema, fixedClock, outcomeRecord, pgUrl, postgresAvailable, zoneOf } from './helpers.ts';

const none = { nonSensitive: 0, sensitive: 0 };

/** A small deterministic generator, so a failure can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return state / 2 ** 32;
  };
}

/** Runs `work(i)` for i < count with `width` of them in flight at a time. */
async function concurrently(count: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

describe.runIf(await postgresAvailable())('two gateway nodes on one PostgreSQL', () => {
  const schema = `xb_audit_nodes_${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'xb-audit-nodes-'));
  const location = { databaseUrl: pgUrl, schema };
  const options = (nodeId: string): OpenStoreOptions => ({ ...location, nodeId, dataDir: join(dir, nodeId), checkpointEvery: 512, checkpointIntervalMs: 0, clock: fixedClock });
  afterAll(async () => {
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('append 10,000 records and count overlapping people at once: every record present, both trees verify, counters exact', { timeout: 120_000 }, async () => {
    const [a, b] = await Promise.all([openStore(options('node-a')), openStore(options('node-b'))]);
    const transfersPerNode = 2_500; // a decision and an outcome record each: 5,000 records a node
    const people = 1_500;
    const sensitive = (person: number) => person % 5 === 0;
    const hash = (person: number) => createHash('sha256').update(`person ${person}`).digest('hex');
    const sent = new Set<number>();
    const decisions = new Map<string, string[]>([['node-a', []], ['node-b', []]]);

    // One transfer as the gateway runs it: reserve its people, commit the decision, then keep
    // the people (sent) or give them back (refused), and commit the outcome.
    const transfer = async (store: AuditStore, random: () => number, t: number) => {
      const carried = Array.from({ length: 1 + Math.floor(random() * 4) }, () => Math.floor(random() * people));
      const isSent = random() < 0.75;
      const decisionId = newDecisionId();
      decisions.get(store.nodeId)!.push(decisionId);
      const subjects = [...new Set(carried)].map((person) => ({ hashes: [hash(person)], sensitive: sensitive(person) }));
      await store.reserveSubjects({ enterprise: 'E-nodes', year: 2026, decisionId, subjects, unkeyed: none });
      await store.append(decisionRecord({ decisionId, enterprise: 'E-nodes', zone: zoneOf(t), decision: isSent ? 'allow' : 'deny' }));
      if (isSent) {
        await store.settleSubjects(decisionId, 'regulated');
        for (const person of carried) sent.add(person);
      } else await store.releaseSubjects(decisionId);
      await store.append(outcomeRecord(decisionId));
    };
    try {
      await Promise.all(
        [a, b].map((store, n) => {
          const random = generator(n + 1);
          return concurrently(transfersPerNode, 64, (t) => transfer(store, random, t));
        }),
      );

      const expected = { nonSensitive: sent.size, sensitive: [...sent].filter(sensitive).length };
      for (const store of [a, b]) {
        const totals = await store.counters('E-nodes', 2026);
        expect(totals.total).toEqual(expected);
        expect(totals.byTally.nonSensitive.reserved).toBe(0);
        expect(totals.byTally.sensitive.reserved).toBe(0);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }

    const driver = await openDriver(location);
    try {
      for (const node of ['node-a', 'node-b']) {
        const rows = await driver.reader.all<{ leaf_index: number; decision_id: string; kind: string }>(
          'SELECT leaf_index, decision_id, kind FROM audit_records WHERE node = ? ORDER BY leaf_index',
          [node],
        );
        expect(rows.map((row) => Number(row.leaf_index))).toEqual(Array.from({ length: 2 * transfersPerNode }, (_, i) => i));
        const ids = decisions.get(node)!;
        expect(new Set(rows.filter((row) => row.kind === 'decision').map((row) => row.decision_id))).toEqual(new Set(ids));
        expect(new Set(rows.filter((row) => row.kind === 'outcome').map((row) => row.decision_id))).toEqual(new Set(ids));
      }
    } finally {
      await driver.close();
    }
    const report = await verifyStore(location);
    expect(report.failure).toBeNull();
    expect(report.nodes.map((n) => [n.node, n.records, n.unsigned])).toEqual([
      ['node-a', 2 * transfersPerNode, 0],
      ['node-b', 2 * transfersPerNode, 0],
    ]);
  });
  it("proves another node's newest record once that node signs, waiting for it rather than answering there is no proof", { timeout: 20_000 }, async () => {
    const [reader, writer] = await Promise.all([openStore(options('node-c')), openStore(options('node-d'))]);
    try {
      const { id } = await writer.append(decisionRecord({ decisionId: newDecisionId() }));
      // node-d signs its checkpoint a moment after the regulator asks node-c for the proof.
      const signing = new Promise((resolve) => setTimeout(resolve, 300)).then(() => writer.checkpointNow());
      const proof = await reader.inclusionProof(id);
      expect(proof).toMatchObject({ recordId: id, node: 'node-d', treeSize: 1, checkpoint: { origin: 'node-d', size: 1 } });
      await signing;
      // A node that does not sign (stopped, or its clock of checkpoints off) is waited for a
      // bounded time, then named.
      const unsigned = await writer.append(decisionRecord({ decisionId: newDecisionId() }));
      await expect(reader.inclusionProof(unsigned.id)).rejects.toMatchObject({
        code: 'XB_ERR_NOT_FOUND',
        message: expect.stringContaining('is not yet covered by a signed checkpoint of node node-d'),
      });
    } finally {
      await Promise.all([reader.close(), writer.close()]);
    }
  });
});

/**
 * Durable before forward, under a crash: a process appending under load is killed with SIGKILL;
 * after restart every append it had seen resolve is in the log, and the log verifies. Each restart
 * finishes the transfers the killed process left open (store.ts, recoverUnfinished).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decisionRecord } from './helpers.ts';
import { openStore, verifyStore, type OpenStoreOptions } from '../../src/audit/index.ts';
import { openDriver } from '../../src/audit/store.ts';
import { postgresAvailable, postgresBackend, sqliteBackend, type Backend } from './helpers.ts';

const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const backends: Backend[] = [sqliteBackend()];
if (await postgresAvailable()) backends.push(postgresBackend('crash'));

/** Starts the writer, lets `resolved` appends resolve, kills it with SIGKILL; returns what it reported. */
async function appendThenKill(options: OpenStoreOptions, resolved: number): Promise<Map<string, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acknowledged = new Map<string, number>();
  let pending = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the writer exited (${code}) before it was killed: ${stderr}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      // Only whole lines count: a line cut by the kill was never fully reported.
      pending = lines.pop()!;
      for (const line of lines) {
        const [word, decisionId, leafIndex] = line.split(' ');
        if (word === 'ok') acknowledged.set(decisionId!, Number(leafIndex));
      }
      if (acknowledged.size >= resolved && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  expect(await exited).toBe('SIGKILL');
  return acknowledged;
}

describe.each(backends)('a crash under load on $name', (backend) => {
  afterAll(() => backend.dispose());

  it('keeps every append that had resolved, and the log verifies after restart', { timeout: 90_000 }, async () => {
    const options = backend.options({ nodeId: 'crash-node', checkpointEvery: 256, checkpointIntervalMs: 50, clock: () => new Date() });
    const location = { dataDir: options.dataDir, databaseUrl: options.databaseUrl, schema: options.schema };
    const first = await appendThenKill(options, 1000);
    const second = await appendThenKill(options, 1000);

    const driver = await openDriver(location);
    try {
      const rows = await driver.reader.all<{ decision_id: string; leaf_index: number; kind: string }>('SELECT decision_id, leaf_index, kind FROM audit_records WHERE node = ? ORDER BY leaf_index', ['crash-node']);
      // The second start finished the first one's open transfers with outcome records: decisions only here.
      const stored = new Map(rows.filter((row) => row.kind === 'decision').map((row) => [row.decision_id, Number(row.leaf_index)]));
      for (const [decisionId, leafIndex] of [...first, ...second]) expect(stored.get(decisionId), decisionId).toBe(leafIndex);
      expect(rows.map((row) => Number(row.leaf_index))).toEqual(rows.map((_, i) => i));
      // The restarted writer went on where the first one's committed log ended.
      expect(Math.min(...second.values())).toBeGreaterThanOrEqual(Math.max(...first.values()) + 1);
    } finally {
      await driver.close();
    }
    expect((await verifyStore(location)).failure).toBeNull();

    // A third start writes on: its checkpoint covers everything, the killed ones' records included.
    const store = await openStore(options);
    // …after finishing the second one's open transfers: each decided to go, so each is counted.
    expect(store.recovered.settled).toBeGreaterThanOrEqual(second.size);
    expect((await store.counters('E-crash', 2026)).byTally.nonSensitive).toMatchObject({ reserved: 0, regulated: 500 });
    await store.append(decisionRecord({ enterprise: 'E-crash' }));
    await store.close();
    const report = await verifyStore(location);
    expect(report.failure).toBeNull();
    expect(report.nodes[0]).toMatchObject({ node: 'crash-node', unsigned: 0 });
    expect(report.nodes[0]!.records).toBeGreaterThan(first.size + second.size);
  });
});

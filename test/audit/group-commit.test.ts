/**
 * Group commit: appends from concurrent requests share one transaction and one sync, so
 * throughput does not pay one fsync per record — and each still resolves only once durable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditRecordSchema } from '../../src/audit/records.ts';
import { migrate } from '../../src/audit/schema.ts';
import { openSqlite } from '../../src/audit/sql.ts';
import { GroupCommit, loadTreeState, prepareRecord, type WriterOp } from '../../src/audit/writer.ts';
import { openDriver } from '../../src/audit/store.ts';
import { decisionRecord, postgresAvailable, postgresBackend, storesPerTest, zoneOf } from './helpers.ts';

const appendOp = (i: number): WriterOp => ({ op: 'append', record: prepareRecord(auditRecordSchema.parse(decisionRecord({ zone: zoneOf(i) }))) });

describe('group commit on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xb-group-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('commits 200 concurrent appends with a handful of WAL syncs, each answered after its sync', async () => {
    let syncs = 0;
    const driver = openSqlite(join(dir, 'x.db'), {
      syncWal: async (wal) => {
        await wal.datasync();
        syncs += 1;
      },
    });
    try {
      await migrate(driver);
      const before = syncs;
      const writer = new GroupCommit(driver, 'node-a', await loadTreeState(driver.reader, 'node-a'), 1000, () => {});
      const answered: number[] = [];
      await Promise.all(Array.from({ length: 200 }, (_, i) => writer.submit([appendOp(i)]).then(() => answered.push(syncs - before))));
      await writer.close();
      // One fsync a record would be 200: the writer takes every append waiting as one batch.
      expect(syncs - before).toBeLessThanOrEqual(3);
      expect(Math.min(...answered)).toBeGreaterThanOrEqual(1);
      const rows = await driver.reader.all<{ n: number }>('SELECT COUNT(*) AS n FROM audit_records');
      expect(Number(rows[0]!.n)).toBe(200);
    } finally {
      await driver.close();
    }
  });
});

describe.runIf(await postgresAvailable())('group commit on PostgreSQL', () => {
  const backend = postgresBackend('group');
  const open = storesPerTest(backend);

  it('commits 300 concurrent appends of one node in a handful of transactions', async () => {
    const store = await open();
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.append(decisionRecord({ zone: zoneOf(i) }))));
    const driver = await openDriver(backend.options());
    try {
      // xmin is the id of the transaction that inserted the row: one per commit.
      const rows = await driver.reader.all<{ records: number; transactions: number }>(
        "SELECT COUNT(*) AS records, COUNT(DISTINCT xmin::text) AS transactions FROM audit_records WHERE node = 'node-a'",
      );
      expect(Number(rows[0]!.records)).toBe(300);
      expect(Number(rows[0]!.transactions)).toBeLessThanOrEqual(5);
    } finally {
      await driver.close();
    }
  });
});

/**
 * A reservation is answered at COMMIT, a record only once its fsync is done: the gateway decides
 * on the counts while the WAL syncs, and still forwards nothing before its decision is on disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newDecisionId } from '../../src/audit/index.ts';
import { prepareRecord } from '../../src/audit/writer.ts';
import { auditRecordSchema } from '../../src/audit/records.ts';
import { migrate } from '../../src/audit/schema.ts';
import { openSqlite, type SqlDriver } from '../../src/audit/sql.ts';
import { GroupCommit, loadTreeState } from '../../src/audit/writer.ts';
import { decisionRecord } from './helpers.ts';

describe('group commit answers', () => {
  const dirs: string[] = [];
  const drivers: SqlDriver[] = [];
  afterEach(async () => {
    for (const driver of drivers.splice(0)) await driver.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('answers a reservation before the WAL sync and a decision record only after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xb-commit-'));
    dirs.push(dir);
    let holding = false;
    let synced = 0;
    const held: (() => void)[] = [];
    const release = () => {
      holding = false;
      while (held.length > 0) held.shift()!();
    };
    const driver = openSqlite(join(dir, 'x.db'), {
      syncWal: async (wal) => {
        if (holding) await new Promise<void>((resolve) => held.push(resolve));
        await wal.datasync();
        synced += 1;
      },
    });
    drivers.push(driver);
    await migrate(driver);
    const writer = new GroupCommit(driver, 'node-a', await loadTreeState(driver.reader, 'node-a'), 1000, () => {});
    holding = true;
    const syncedBefore = synced;
    const decisionId = newDecisionId();
    const reservation = await writer.submit([
      { op: 'reserve', input: { enterprise: 'E1', year: 2026, decisionId, subjects: [{ hashes: ['a'], sensitive: false }], unkeyed: { nonSensitive: 0, sensitive: 0 } } },
    ]);
    expect(synced).toBe(syncedBefore); // answered while no sync has finished
    expect(reservation[0]).toMatchObject({ counts: { nonSensitive: { before: 0, new: 1 } } });

    let recorded = false;
    const appending = writer.submit([{ op: 'append', record: prepareRecord(auditRecordSchema.parse(decisionRecord({ decisionId }))) }]).then(() => (recorded = true));
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(recorded).toBe(false);
    } finally {
      release();
    }
    await appending;
    expect(recorded).toBe(true);
    await writer.close();
  });
});

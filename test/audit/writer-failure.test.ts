/**
 * A writer that can never write again says so (store.failure(), ping) and refuses every write,
 * instead of looking ready while each transfer fails: a lost PostgreSQL writer connection (the
 * node's lock went with it) and a failed SQLite WAL fsync both need a new process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { newDecisionId, openStore, type AuditStore } from '../../src/audit/index.ts';
import { auditRecordSchema } from '../../src/audit/records.ts';
import { migrate } from '../../src/audit/schema.ts';
import { openSqlite, type SqlDriver } from '../../src/audit/sql.ts';
import { GroupCommit, loadTreeState, prepareRecord } from '../../src/audit/writer.ts';
import { decisionRecord, dropSchema, fixedClock, pgUrl, postgresAvailable } from './helpers.ts';

describe.runIf(await postgresAvailable())('a PostgreSQL store that loses its writer connection', () => {
  const node = `lost-writer-${process.pid}`;
  const schema = `xb_audit_lost_writer_${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'xb-lost-writer-'));
  let store: AuditStore | null = null;
  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the failure, is not ready, and refuses every write from then on', async () => {
    store = await openStore({ nodeId: node, dataDir: dir, databaseUrl: pgUrl, schema, checkpointIntervalMs: 0, clock: fixedClock });
    await store.append(decisionRecord());
    expect(store.failure()).toBeNull();

    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    try {
      const killed = await admin.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1", [`xborder-writer ${node}`]);
      expect(killed.rows).toEqual([{ ok: true }]);
    } finally {
      await admin.end();
    }
    await expect.poll(() => store!.failure()?.code ?? null).toBe('XB_ERR_AUDIT_UNAVAILABLE');
    expect(store.failure()?.message).toContain('restart');
    await expect(store.ping()).rejects.toMatchObject({ code: 'XB_ERR_AUDIT_UNAVAILABLE' });
    await expect(store.append(decisionRecord())).rejects.toMatchObject({ code: 'XB_ERR_AUDIT_UNAVAILABLE' });
    // The reader pool is unharmed: what was committed can still be read and verified.
    expect((await store.query({}, { limit: 10 })).records).toHaveLength(1);
  });
});

describe('a SQLite writer whose WAL fsync failed', () => {
  const dirs: string[] = [];
  const drivers: SqlDriver[] = [];
  afterEach(async () => {
    for (const driver of drivers.splice(0)) await driver.close().catch(() => {});
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('reports itself stopped and refuses the next submission without touching the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xb-fsync-'));
    dirs.push(dir);
    let failSync = false;
    const driver = openSqlite(join(dir, 'x.db'), {
      syncWal: async (wal) => {
        if (failSync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        await wal.datasync();
      },
    });
    drivers.push(driver);
    await migrate(driver);
    const writer = new GroupCommit(driver, 'node-a', await loadTreeState(driver.reader, 'node-a'), 1000, () => {});
    const append = () => writer.submit([{ op: 'append', record: prepareRecord(auditRecordSchema.parse(decisionRecord({ decisionId: newDecisionId() }))) }]);
    await append();
    expect(writer.stopped()).toBeNull();

    failSync = true;
    await expect(append()).rejects.toMatchObject({ code: 'XB_ERR_AUDIT_UNAVAILABLE' });
    expect(writer.stopped()).toMatchObject({ code: 'XB_ERR_AUDIT_UNAVAILABLE', message: expect.stringContaining('restart') });
    failSync = false;
    const rows = await driver.reader.all<{ n: number }>('SELECT COUNT(*) AS n FROM audit_records');
    await expect(append()).rejects.toMatchObject({ code: 'XB_ERR_AUDIT_UNAVAILABLE' });
    expect(await driver.reader.all<{ n: number }>('SELECT COUNT(*) AS n FROM audit_records')).toEqual(rows);
  });
});

/**
 * The SQLite driver commits under synchronous = NORMAL and fsyncs the WAL itself, off the event
 * loop: a transaction must not resolve before that sync, and a failed sync must stop all writing.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqlDriver } from '../../src/audit/sql.ts';

describe('SQLite driver durability', () => {
  const dirs: string[] = [];
  const drivers: SqlDriver[] = [];
  const open = (options: Parameters<typeof openSqlite>[1] = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'xborder-sql-'));
    dirs.push(dir);
    const file = join(dir, 'x.db');
    const driver = openSqlite(file, options);
    drivers.push(driver);
    return { driver, file };
  };
  afterEach(async () => {
    for (const driver of drivers.splice(0)) await driver.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const insert = (driver: SqlDriver, value: string) =>
    driver.transaction(async (tx) => {
      await tx.run('CREATE TABLE IF NOT EXISTS t (v TEXT)');
      return tx.run('INSERT INTO t (v) VALUES (?)', [value]);
    });

  it('resolves a transaction only after the WAL sync finished', async () => {
    let release: () => void = () => {};
    const pending: Promise<void>[] = [];
    const { driver } = open({
      syncWal: () => {
        const sync = new Promise<void>((resolve) => (release = resolve));
        pending.push(sync);
        return sync;
      },
    });
    let done = false;
    const committing = insert(driver, 'a').then(() => (done = true));
    while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(done).toBe(false);
    release();
    await committing;
    expect(done).toBe(true);
  });

  it('syncs the database’s own WAL file', async () => {
    const synced: number[] = [];
    const { driver, file } = open({
      syncWal: async (wal: FileHandle) => {
        synced.push(Number((await wal.stat()).ino));
        await wal.datasync();
      },
    });
    await insert(driver, 'a');
    await insert(driver, 'b');
    expect(synced).toHaveLength(2);
    expect(new Set(synced)).toEqual(new Set([statSync(`${file}-wal`).ino]));
    expect(await driver.reader.all<{ v: string }>('SELECT v FROM t ORDER BY v')).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('fails the transaction whose sync failed, and refuses every later one', async () => {
    const { driver } = open({
      syncWal: async () => {
        throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      },
    });
    await expect(insert(driver, 'a')).rejects.toThrow(/EIO/);
    let ran = false;
    await expect(
      driver.transaction(async () => {
        ran = true;
      }),
    ).rejects.toThrow(/could not be synced/);
    expect(ran).toBe(false);
  });
});

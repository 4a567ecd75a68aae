/**
 * One process per node tree on an SQLite file: a second writer of the same node (a gateway and
 * `xborder counters import`) refuses to start instead of colliding with the first one's leaves.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type AuditStore } from '../../src/audit/index.ts';
import { decisionRecord } from './helpers.ts';

const dirs: string[] = [];
const open: AuditStore[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xb-lock-'));
  dirs.push(dir);
  return dir;
}

async function store(dir: string, nodeId = 'node-a', readOnly = false): Promise<AuditStore> {
  const opened = await openStore({ nodeId, dataDir: dir, checkpointIntervalMs: 0, readOnly });
  open.push(opened);
  return opened;
}

afterEach(async () => {
  for (const opened of open.splice(0)) await opened.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the SQLite node lock', () => {
  it('refuses a second writer of the same node, naming the holder, and lets other nodes and readers in', async () => {
    const dir = dataDir();
    const first = await store(dir);
    await expect(store(dir)).rejects.toMatchObject({ code: 'XB_ERR_CONFIG_INVALID', message: expect.stringContaining(`pid ${process.pid}`) });
    await store(dir, 'node-b');
    await store(dir, 'node-a', true);
    // The refused open left the first writer working.
    await expect(first.append(decisionRecord({ enterprise: '91350128MA8TP0101N' }))).resolves.toMatchObject({ leafIndex: 0 });
  });

  it('is released on close, so a restart takes the node again', async () => {
    const dir = dataDir();
    const first = await store(dir);
    await first.close();
    expect(existsSync(join(dir, 'xborder.db.node-node-a.lock'))).toBe(false);
    await expect(store(dir)).resolves.toBeDefined();
  });

  it('takes over the lock of a process that died without releasing it', async () => {
    const dir = dataDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'xborder.db.node-node-a.lock'), `${dead.stdout}\n`);
    await expect(store(dir)).resolves.toBeDefined();
  });
});

/**
 * One writer per node tree on an SQLite file. Two processes appending as the same node (a
 * gateway and `xborder counters import`, or a second gateway started by mistake) would each hold
 * their own idea of the tree's size: the second one's appends collide with the first's leaf
 * indexes, and the running gateway then fails closed on every transfer. PostgreSQL has an
 * advisory lock for this; SQLite gets a lock file beside the database naming its holder's pid,
 * so the second process refuses to start with a message instead.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { XborderError } from '../errors.ts';

export interface NodeLock {
  release(): void;
}

export function lockSqliteNode(databaseFile: string, nodeId: string): NodeLock {
  const file = `${databaseFile}.node-${nodeId}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readHolder(file), 10);
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
      throw new XborderError(
        'XB_ERR_CONFIG_INVALID',
        `xborder: another process (pid ${holder}) is already running node "${nodeId}" on ${databaseFile}; stop it, or use another node id (XBORDER_NODE_ID). If no such process runs, delete ${file}.`,
      );
    }
    // The holder died without releasing (a crash, SIGKILL): the lock is stale.
    rmSync(file, { force: true });
  }
  throw new XborderError('XB_ERR_CONFIG_INVALID', `xborder: could not take the node lock ${file}; another process keeps taking it`);
}

function readHolder(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

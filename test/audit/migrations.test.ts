/**
 * A store written before the latest migration opens with this code: the missing migrations run
 * once, on start, and what was there stays as it was. The log verifies, the counters hold, and a
 * reservation from before migration 3 (which does not say which node made it) is left as it is,
 * not guessed to be this node's. The old store is made by this code and taken back to version 2
 * by hand: migration 3 only adds, so that is the schema an older gateway left.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src/audit/schema.ts';
import { newDecisionId, verifyStore, type AuditStore } from '../../src/audit/index.ts';
import { at, decisionRecord, outcomeRecord, pgUrl, postgresAvailable, postgresBackend, sqliteBackend, storesPerTest, type Backend } from './helpers.ts';

const backends: Backend[] = [sqliteBackend()];
if (await postgresAvailable()) backends.push(postgresBackend('migrations'));

// A new migration adds its undo here (and the test then says which version it expects).
const latest = migrations[migrations.length - 1]!.version;
const downgradeToVersion2 = [
  'DROP INDEX subject_reservations_open',
  'ALTER TABLE subject_reservations DROP COLUMN node',
  'DELETE FROM schema_migrations WHERE version >= 3',
];

/** Runs SQL on the backend's database as it is, without opening a store (which would migrate it). */
async function rawSql(backend: Backend, statements: string[]): Promise<unknown[][]> {
  const options = backend.options();
  if (backend.name === 'sqlite') {
    const db = new Database(join(options.dataDir, 'xborder.db'));
    try {
      return statements.map((sql) => {
        const statement = db.prepare(sql);
        return statement.reader ? statement.raw().all() : (statement.run(), []);
      });
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${options.schema}"`);
    const results: unknown[][] = [];
    for (const sql of statements) results.push((await client.query({ text: sql, rowMode: 'array' })).rows);
    return results;
  } finally {
    await client.end();
  }
}

const people = (...hashes: string[]) => hashes.map((hash) => ({ hashes: [hash], sensitive: false }));
const none = { nonSensitive: 0, sensitive: 0 };

describe.each(backends)('upgrading a version-2 store on $name', (backend) => {
  const open = storesPerTest(backend);

  it('applies the later migrations once and keeps the log, the counters and the open reservations', async () => {
    const reserve = (s: AuditStore, decisionId: string, ...hashes: string[]) =>
      s.reserveSubjects({ enterprise: 'E1', year: 2026, decisionId, subjects: people(...hashes), unkeyed: none });
    const old = await open();
    const sent = newDecisionId(at);
    await reserve(old, sent, 'a', 'b');
    await old.append(decisionRecord({ decisionId: sent, enterprise: 'E1' }));
    await old.finishTransfer(sent, 'regulated', outcomeRecord(sent));
    // Reserved and never finished: the older gateway stopped in the middle of this transfer.
    const unfinished = newDecisionId(at);
    await reserve(old, unfinished, 'c');
    await old.close();
    await rawSql(backend, downgradeToVersion2);

    const upgraded = await open();
    const [versions, openReservations] = await rawSql(backend, [
      'SELECT version FROM schema_migrations ORDER BY version',
      "SELECT decision_id, node FROM subject_reservations WHERE tally = 'reserved'",
    ]);
    expect(versions!.map((row) => Number((row as unknown[])[0]))).toEqual(migrations.map((m) => m.version));
    expect(latest).toBe(3);
    // Without a node it is not known to be this node's: recovery leaves it, its person stays counted.
    expect(upgraded.recovered).toEqual({ settled: 0, released: 0 });
    expect(openReservations).toEqual([[unfinished, null]]);
    expect((await upgraded.counters('E1', 2026)).byTally.nonSensitive).toMatchObject({ regulated: 2, reserved: 1 });
    const next = await reserve(upgraded, newDecisionId(at), 'a', 'c', 'd');
    expect(next.counts.nonSensitive).toEqual({ before: 3, new: 1 });

    // New work after the upgrade: the tree goes on from the old leaves, and all of it verifies.
    const after = newDecisionId(at);
    await upgraded.append(decisionRecord({ decisionId: after, enterprise: 'E1' }));
    await upgraded.checkpointNow();
    await upgraded.close();
    const report = await verifyStore(backend.options());
    expect(report.ok).toBe(true);
    expect(report.nodes.map((node) => [node.node, node.records])).toEqual([['node-a', 3]]);

    // Opening again changes nothing: every migration ran once.
    await open();
    const [again] = await rawSql(backend, ['SELECT COUNT(*) FROM schema_migrations']);
    expect(Number((again![0] as unknown[])[0])).toBe(migrations.length);
  });
});

/** Reading a whole log back out of a store, for `audit verify` and `audit export`. */
import type { JWK } from 'jose';
import type { PublicKeyEntry, SignedCheckpoint } from './checkpoint.ts';
import type { SqlConn } from './sql.ts';
import { openDriver } from './store.ts';
import type { OpenStoreOptions } from './types.ts';
import { verifyLog, type LeafRow, type VerifyReport, type VerifySource } from './verify.ts';

export async function readKeys(reader: SqlConn): Promise<PublicKeyEntry[]> {
  const rows = await reader.all<{ kid: string; node: string; jwk: string; created_at: string }>('SELECT kid, node, jwk, created_at FROM audit_keys ORDER BY node, created_at');
  return rows.map((row) => ({ kid: row.kid, node: row.node, jwk: JSON.parse(row.jwk) as JWK, createdAt: row.created_at }));
}

export async function readCheckpoints(reader: SqlConn, node?: string): Promise<SignedCheckpoint[]> {
  const rows = await reader.all<{ node: string; size: number; root: string; time: string; kid: string; jws: string }>(
    node ? 'SELECT * FROM audit_checkpoints WHERE node = ? ORDER BY size' : 'SELECT * FROM audit_checkpoints ORDER BY node, size',
    node ? [node] : [],
  );
  return rows.map((row) => ({ origin: row.node, size: Number(row.size), root: row.root, time: row.time, kid: row.kid, jws: row.jws }));
}

export async function readNodes(reader: SqlConn): Promise<string[]> {
  const rows = await reader.all<{ node: string }>('SELECT DISTINCT node FROM audit_records UNION SELECT DISTINCT node FROM audit_checkpoints');
  return rows.map((row) => row.node).sort();
}

/** A node's rows in leaf order, in pages, with the copy columns for the consistency check. */
export async function* readLeafRows(reader: SqlConn, node: string, pageSize = 5000): AsyncGenerator<LeafRow> {
  let after = -1;
  for (;;) {
    const rows = await reader.all<{ leaf_index: number; body: string; leaf_hash: string; kind: string; decision_id: string; zone: string; enterprise: string | null }>(
      'SELECT leaf_index, body, leaf_hash, kind, decision_id, zone, enterprise FROM audit_records WHERE node = ? AND leaf_index > ? ORDER BY leaf_index LIMIT ?',
      [node, after, pageSize],
    );
    for (const row of rows) {
      yield {
        leafIndex: Number(row.leaf_index),
        body: row.body,
        leafHash: row.leaf_hash,
        columns: { kind: row.kind, decisionId: row.decision_id, zone: row.zone, enterprise: row.enterprise },
      };
    }
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1]!.leaf_index);
  }
}

export interface VerifyOptions {
  /** Only this node's tree. */
  node?: string;
  /** Checkpoints kept elsewhere: the log must extend each of them. */
  trusted?: SignedCheckpoint[];
  /**
   * Keys kept elsewhere (a JWKS from `/audit/keys`): checkpoints are checked against these only,
   * not the keys the log holds, which whoever can write the log can add to.
   */
  trustedKeys?: PublicKeyEntry[];
}

export async function storeSource(reader: SqlConn, options: VerifyOptions = {}): Promise<VerifySource> {
  const nodes = options.node ? [options.node] : await readNodes(reader);
  return {
    nodes,
    rows: (node) => readLeafRows(reader, node),
    checkpoints: (await readCheckpoints(reader, options.node)).filter((c) => nodes.includes(c.origin)),
    keys: options.trustedKeys ?? (await readKeys(reader)),
    // Kept checkpoints of a node the log no longer names at all must still be checked (verifyLog
    // adds their nodes): filtering them by the log's nodes passed a log whose node was deleted whole.
    trusted: (options.trusted ?? []).filter((c) => options.node === undefined || c.origin === options.node),
  };
}

/**
 * `xborder audit verify` as a function: recomputes every node's tree (or one node's) from the
 * stored records, checks every checkpoint's signature and root and the consistency between them.
 */
export async function verifyStore(location: Pick<OpenStoreOptions, 'databaseUrl' | 'schema' | 'dataDir' | 'sqliteFile'>, options: VerifyOptions = {}): Promise<VerifyReport> {
  const driver = await openDriver(location);
  try {
    // A misspelt --node would otherwise verify an empty tree and report it ok.
    const held = await readNodes(driver.reader);
    if (options.node !== undefined && !held.includes(options.node) && !options.trusted?.some((c) => c.origin === options.node)) {
      return { ok: false, nodes: [], failure: { node: options.node, message: `the log holds no records or checkpoints of this node (its nodes: ${held.join(', ') || 'none'})` } };
    }
    return await verifyLog(await storeSource(driver.reader, options));
  } finally {
    await driver.close();
  }
}

/**
 * Subtree hashes read from a store for proofs. Leaves never change once committed, so the hash
 * of every aligned complete subtree of ≥ 256 leaves is cached: a proof then costs O(log n)
 * hashes plus at most two reads of ≤ 256 leaf hashes, instead of reading the whole tree.
 */
import { XborderError } from '../errors.ts';
import { consistencyRanges, fromHex, inclusionRanges, nodeHash, rootOf, splitPoint, toHex, type Hash } from './merkle.ts';
import type { SqlConn } from './sql.ts';

const chunk = 256;

export class SubtreeHashes {
  private readonly cache = new Map<string, Hash>();

  constructor(private readonly reader: SqlConn) {}

  private async leaves(node: string, start: number, end: number): Promise<Hash[]> {
    const rows = await this.reader.all<{ leaf_index: number; leaf_hash: string }>(
      'SELECT leaf_index, leaf_hash FROM audit_records WHERE node = ? AND leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index',
      [node, start, end],
    );
    if (rows.length !== end - start || rows.some((row, i) => Number(row.leaf_index) !== start + i)) {
      throw new XborderError('XB_ERR_AUDIT_TAMPERED', `xborder: node ${node} is missing leaves between ${start} and ${end - 1}`);
    }
    return rows.map((row) => fromHex(row.leaf_hash));
  }

  async leaf(node: string, index: number): Promise<Hash> {
    return (await this.leaves(node, index, index + 1))[0]!;
  }

  /** MTH(D[start:end]) of `node`'s log. */
  async range(node: string, start: number, end: number): Promise<Hash> {
    const n = end - start;
    const aligned = (n & (n - 1)) === 0 && start % n === 0 && n >= chunk;
    const key = `${node}\u0000${start}\u0000${n}`;
    if (aligned) {
      const cached = this.cache.get(key);
      if (cached) return cached;
    }
    let hash: Hash;
    if (n <= chunk) hash = rootOf(await this.leaves(node, start, end));
    else {
      const k = splitPoint(n);
      hash = nodeHash(await this.range(node, start, start + k), await this.range(node, start + k, end));
    }
    if (aligned) this.cache.set(key, hash);
    return hash;
  }

  async inclusionPath(node: string, index: number, size: number): Promise<string[]> {
    const path: string[] = [];
    for (const [start, end] of inclusionRanges(index, size)) path.push(toHex(await this.range(node, start, end)));
    return path;
  }

  async consistencyPath(node: string, first: number, second: number): Promise<string[]> {
    const path: string[] = [];
    for (const [start, end] of consistencyRanges(first, second)) path.push(toHex(await this.range(node, start, end)));
    return path;
  }
}

/**
 * Recomputes a node's tree from its records and checks it against every signed checkpoint,
 * the consistency of consecutive checkpoints, and checkpoints a regulator kept. Fed by the
 * database (`audit verify`) or by an export file (`audit verify --export`), same checks.
 */
import { verifyCheckpoint, type PublicKeyEntry, type SignedCheckpoint } from './checkpoint.ts';
import { consistencyRanges, emptyTreeHash, fromHex, nodeHash, recordLeafHash, toHex, verifyConsistency, type Hash } from './merkle.ts';
import { storedRecordSchema, type StoredRecord } from './records.ts';
import { zoneKey } from './writer.ts';

/** One stored row as read back: the position and hash the store claims, and the record text. */
export interface LeafRow {
  leafIndex: number;
  body: string;
  leafHash?: string;
  /** Copies kept for filtering; checked against the record so a query cannot be misled. */
  columns?: { kind: string; decisionId: string; zone: string; enterprise: string | null };
}

export interface VerifyFailure {
  node: string;
  message: string;
  leafIndex?: number;
  /** The record's per-(node, zone) sequence, when the record is known. */
  zone?: string;
  seq?: number;
  checkpointSize?: number;
}

export interface NodeReport {
  node: string;
  records: number;
  checkpoints: number;
  consistencyProofs: number;
  trusted: number;
  unsigned: number;
}

export interface VerifyReport {
  ok: boolean;
  failure: VerifyFailure | null;
  nodes: NodeReport[];
}

class Failed extends Error {
  constructor(readonly failure: VerifyFailure) {
    super(failure.message);
  }
}

/**
 * The recomputed tree, keeping only the subtree hashes the checks after the stream ask for: the
 * consistency proofs between consecutive checkpoints and the roots of trusted checkpoints. Every
 * range such a proof from size m to size n names is a node of the tree of size n (RFC 9162
 * §2.1.4): a complete subtree, caught when the tree forms it, or a right-edge node [s, n), folded
 * from the right edge when the tree reaches size n. So the verifier holds O(checkpoints × log n)
 * hashes, not one a record (it held every leaf hash: 32 bytes a record, 970 MB a million before
 * they were packed).
 */
class StreamedTree {
  /** The right edge: complete subtrees of strictly decreasing width. */
  private readonly edge: { start: number; width: number; hash: Hash }[] = [];
  /** Complete subtrees wanted, by `start:width`; null until formed. */
  private readonly complete = new Map<string, Hash | null>();
  /** Right-edge nodes wanted, by end, then start; null until the tree reaches the end. */
  private readonly rightEdges = new Map<number, Map<number, Hash | null>>();
  size = 0;

  want(start: number, end: number): void {
    const width = end - start;
    if ((width & (width - 1)) === 0 && start % width === 0) this.complete.set(`${start}:${width}`, null);
    else {
      let starts = this.rightEdges.get(end);
      if (!starts) this.rightEdges.set(end, (starts = new Map()));
      starts.set(start, null);
    }
  }

  push(leaf: Hash): void {
    let node = { start: this.size, width: 1, hash: leaf };
    this.catch(node);
    while (this.edge.length > 0 && this.edge[this.edge.length - 1]!.width === node.width) {
      const left = this.edge.pop()!;
      node = { start: left.start, width: left.width * 2, hash: nodeHash(left.hash, node.hash) };
      this.catch(node);
    }
    this.edge.push(node);
    this.size += 1;
    const starts = this.rightEdges.get(this.size);
    if (starts) for (const start of starts.keys()) starts.set(start, this.fold(start));
  }

  root(): Hash {
    return this.fold(0) ?? emptyTreeHash;
  }

  /** The hash of a range asked for with `want` before the stream, or null if the tree never formed it. */
  range(start: number, end: number): Hash | null {
    const width = end - start;
    if ((width & (width - 1)) === 0 && start % width === 0) return this.complete.get(`${start}:${width}`) ?? null;
    return this.rightEdges.get(end)?.get(start) ?? null;
  }

  private catch(node: { start: number; width: number; hash: Hash }): void {
    const key = `${node.start}:${node.width}`;
    if (this.complete.has(key)) this.complete.set(key, node.hash);
  }

  /** The right edge from the subtree starting at `start` to the end, folded: the node [start, size). */
  private fold(start: number): Hash | null {
    const from = this.edge.findIndex((node) => node.start === start);
    if (from < 0) return null;
    let hash = this.edge[this.edge.length - 1]!.hash;
    for (let i = this.edge.length - 2; i >= from; i--) hash = nodeHash(this.edge[i]!.hash, hash);
    return hash;
  }
}

function describe(record: Pick<StoredRecord, 'leafIndex' | 'seq'> & { zone?: string | null }): string {
  return `leafIndex ${record.leafIndex} (${record.zone ?? '-'} seq ${record.seq})`;
}

export async function verifyNode(
  node: string,
  rows: AsyncIterable<LeafRow>,
  checkpoints: readonly SignedCheckpoint[],
  keys: readonly PublicKeyEntry[],
  trusted: readonly SignedCheckpoint[] = [],
): Promise<NodeReport> {
  const ordered = [...checkpoints].sort((a, b) => a.size - b.size);
  for (const checkpoint of ordered) {
    const check = await verifyCheckpoint(checkpoint, keys);
    if (!check.ok) throw new Failed({ node, checkpointSize: checkpoint.size, message: `checkpoint of size ${checkpoint.size} (${checkpoint.time}): ${check.reason}` });
  }
  const frontier = new StreamedTree();
  for (let i = 1; i < ordered.length; i++) for (const [start, end] of consistencyRanges(ordered[i - 1]!.size, ordered[i]!.size)) frontier.want(start, end);
  for (const kept of trusted) if (kept.size > 0) frontier.want(0, kept.size);
  const zoneSeq = new Map<string, number>();
  let next = 0;
  let lastGood = 0;
  for await (const row of rows) {
    const at = frontier.size;
    if (row.leafIndex !== at) {
      const message = row.leafIndex > at ? `record leafIndex ${at} is missing (deleted)` : `record leafIndex ${row.leafIndex} appears twice`;
      throw new Failed({ node, leafIndex: at, message });
    }
    let written: unknown;
    let record: StoredRecord;
    try {
      written = JSON.parse(row.body);
      record = storedRecordSchema.parse(written) as StoredRecord;
    } catch {
      throw new Failed({ node, leafIndex: at, message: `record leafIndex ${at} is not a valid audit record` });
    }
    if (record.leafIndex !== at || record.node !== node) {
      throw new Failed({ node, leafIndex: at, zone: zoneKey(record), seq: record.seq, message: `record at leafIndex ${at} says it is ${record.node} leafIndex ${record.leafIndex} (records moved or swapped)` });
    }
    // The record as written, not as parsed: parsing drops a field the schema does not know, so
    // a field added to a record would otherwise pass unhashed.
    const hash = recordLeafHash(written);
    if (row.leafHash !== undefined && row.leafHash !== toHex(hash)) {
      throw new Failed({ node, leafIndex: at, zone: zoneKey(record), seq: record.seq, message: `record ${describe(record)} does not match its leaf hash (changed after it was written)` });
    }
    const zone = zoneKey(record);
    const expectedSeq = (zoneSeq.get(zone) ?? 0) + 1;
    if (record.seq !== expectedSeq) {
      throw new Failed({ node, leafIndex: at, zone, seq: record.seq, message: `record ${describe(record)}: zone ${zone} expected seq ${expectedSeq}` });
    }
    zoneSeq.set(zone, expectedSeq);
    const columns = row.columns;
    if (columns && (columns.kind !== record.kind || columns.decisionId !== record.decisionId || columns.zone !== zone || columns.enterprise !== (record.enterprise ?? null))) {
      throw new Failed({ node, leafIndex: at, zone, seq: record.seq, message: `record ${describe(record)}: its query columns differ from the record` });
    }
    frontier.push(hash);
    while (next < ordered.length && ordered[next]!.size === frontier.size) {
      const checkpoint = ordered[next]!;
      if (toHex(frontier.root()) !== checkpoint.root) {
        throw new Failed({ node, checkpointSize: checkpoint.size, leafIndex: lastGood, message: `the recomputed tree of size ${checkpoint.size} does not match its signed checkpoint (${checkpoint.time}): a record between leafIndex ${lastGood} and ${checkpoint.size - 1} was changed` });
      }
      lastGood = checkpoint.size;
      next += 1;
    }
  }
  const pending = ordered[next];
  if (pending) {
    throw new Failed({ node, checkpointSize: pending.size, leafIndex: frontier.size, message: `log truncated: checkpoint of size ${pending.size} (${pending.time}) but only ${frontier.size} records; first missing leafIndex ${frontier.size}` });
  }
  const range = (start: number, end: number): Hash => {
    const hash = frontier.range(start, end);
    // Cannot happen for ranges of a tree the stream reached (every one was asked for above).
    if (hash === null) throw new Error(`xborder: verify did not keep the subtree [${start}, ${end})`);
    return hash;
  };
  let proofs = 0;
  for (let i = 1; i < ordered.length; i++) {
    const [a, b] = [ordered[i - 1]!, ordered[i]!];
    const path = consistencyRanges(a.size, b.size).map(([s, e]) => range(s, e));
    if (!verifyConsistency(a.size, b.size, path, fromHex(a.root), fromHex(b.root))) {
      throw new Failed({ node, checkpointSize: b.size, message: `checkpoint of size ${b.size} is not consistent with checkpoint of size ${a.size}` });
    }
    proofs += 1;
  }
  // Smallest first: the largest kept checkpoint the log still matches bounds where a rewrite
  // starts, so the report names the first leaf that may differ, not just the checkpoint.
  let trustedGood = 0;
  for (const kept of [...trusted].sort((a, b) => a.size - b.size)) {
    const check = await verifyCheckpoint(kept, keys);
    if (!check.ok) throw new Failed({ node, checkpointSize: kept.size, message: `trusted checkpoint of size ${kept.size}: ${check.reason}` });
    if (kept.size > frontier.size) {
      throw new Failed({ node, checkpointSize: kept.size, leafIndex: frontier.size, message: `log truncated below the trusted checkpoint of size ${kept.size} (${kept.time}); first missing leafIndex ${frontier.size}` });
    }
    if (kept.size === 0) {
      if (kept.root !== toHex(emptyTreeHash)) throw new Failed({ node, checkpointSize: 0, message: `trusted checkpoint of size 0 (${kept.time}) does not hold the empty tree's root` });
      continue;
    }
    if (toHex(range(0, kept.size)) !== kept.root) {
      throw new Failed({
        node,
        checkpointSize: kept.size,
        leafIndex: trustedGood,
        message: `the log was rewritten: a record between leafIndex ${trustedGood} and ${kept.size - 1} differs from the trusted checkpoint of size ${kept.size} (${kept.time})`,
      });
    }
    trustedGood = kept.size;
  }
  const latest = ordered[ordered.length - 1]?.size ?? 0;
  return { node, records: frontier.size, checkpoints: ordered.length, consistencyProofs: proofs, trusted: trusted.length, unsigned: frontier.size - latest };
}

/** `verifyNode` for callers that feed nodes one at a time (an export file, read in order). */
export async function checkNode(
  node: string,
  rows: AsyncIterable<LeafRow>,
  checkpoints: readonly SignedCheckpoint[],
  keys: readonly PublicKeyEntry[],
  trusted: readonly SignedCheckpoint[] = [],
): Promise<{ report: NodeReport; failure: null } | { report: null; failure: VerifyFailure }> {
  try {
    return { report: await verifyNode(node, rows, checkpoints, keys, trusted), failure: null };
  } catch (error) {
    if (error instanceof Failed) return { report: null, failure: error.failure };
    throw error;
  }
}

export interface VerifySource {
  nodes: string[];
  rows(node: string): AsyncIterable<LeafRow>;
  checkpoints: SignedCheckpoint[];
  keys: PublicKeyEntry[];
  trusted?: SignedCheckpoint[];
}

export async function verifyLog(source: VerifySource): Promise<VerifyReport> {
  const reports: NodeReport[] = [];
  const trusted = source.trusted ?? [];
  const nodes = [...new Set([...source.nodes, ...source.checkpoints.map((c) => c.origin), ...trusted.map((c) => c.origin)])].sort();
  for (const node of nodes) {
    const checked = await checkNode(node, source.rows(node), source.checkpoints.filter((c) => c.origin === node), source.keys, trusted.filter((c) => c.origin === node));
    if (checked.failure) return { ok: false, failure: checked.failure, nodes: reports };
    reports.push(checked.report);
  }
  return { ok: true, failure: null, nodes: reports };
}

export function formatReport(report: VerifyReport): string {
  const lines = report.nodes.map(
    (n) =>
      `ok   node ${n.node}: ${n.records} records recomputed (RFC 6962), ${n.checkpoints} checkpoint signatures and roots, ` +
      `${n.consistencyProofs} consistency proofs, ${n.trusted} trusted checkpoints` +
      (n.unsigned > 0 ? `; ${n.unsigned} newest records not yet under a signed checkpoint` : ''),
  );
  if (report.failure) {
    const f = report.failure;
    const where = f.leafIndex !== undefined ? ` at leafIndex ${f.leafIndex}${f.seq !== undefined ? ` (${f.zone} seq ${f.seq})` : ''}` : '';
    lines.push(`FAIL node ${f.node}${where}: ${f.message}`);
  } else if (report.nodes.length === 0) lines.push('ok   the log is empty');
  return `${lines.join('\n')}\n`;
}

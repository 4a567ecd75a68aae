/**
 * The regulator's export: one NDJSON file with the public keys, the signed checkpoints and the
 * records. A whole log is verified by recomputing it; a filtered export carries an inclusion
 * proof per record and consistency proofs between checkpoints, so it verifies on its own too.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { signedCheckpointSchema, verifyCheckpoint, type PublicKeyEntry, type SignedCheckpoint } from './checkpoint.ts';
import { fromHex, recordLeafHash, verifyConsistency, verifyInclusion } from './merkle.ts';
import { iterateRecords } from './query.ts';
import { storedRecordSchema, type StoredRecord } from './records.ts';
import { readCheckpoints, readKeys, readLeafRows, readNodes } from './sources.ts';
import type { SqlConn } from './sql.ts';
import { SubtreeHashes } from './subtrees.ts';
import type { AuditQuery } from './types.ts';
import { checkNode, type LeafRow, type NodeReport, type VerifyFailure, type VerifyReport } from './verify.ts';
import { zoneKey } from './writer.ts';

const hex = z.string().regex(/^[0-9a-f]{64}$/);
const lineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), format: z.literal('xborder-audit-export'), version: z.literal(1), exportedAt: z.string(), complete: z.boolean(), filter: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('key'), kid: z.string(), node: z.string(), jwk: z.record(z.string(), z.unknown()), createdAt: z.string() }),
  signedCheckpointSchema.extend({ type: z.literal('checkpoint') }),
  z.object({ type: z.literal('consistency'), node: z.string(), from: z.number().int(), to: z.number().int(), path: z.array(hex) }),
  z.object({ type: z.literal('record'), record: z.unknown(), leafHash: hex, proof: z.object({ treeSize: z.number().int(), path: z.array(hex) }).optional() }),
]);

/** Only a node filter keeps the export a whole log (recomputable); anything else is a selection. */
export function isWholeLog(filter: AuditQuery): boolean {
  return Object.entries(filter).every(([key, value]) => key === 'node' || value === undefined);
}

/** Records an export left out: a node's newest, not yet under any of its signed checkpoints. */
export interface HeldBack {
  node: string;
  records: number;
  /** The size of the node's latest signed tree when the export was written (0: none yet). */
  signedSize: number;
}

/**
 * An export holds only records under a signed checkpoint of their node, so `verify --export`
 * can refuse any record that is not: otherwise stripping a node's newest checkpoints would let
 * its records be changed and still verify, as records merely not signed yet. A node signs
 * within `checkpointIntervalMs` (1 s by default), so what is held back is seconds old.
 */
export async function* exportLines(reader: SqlConn, filter: AuditQuery, exportedAt: Date, heldBack: HeldBack[] = []): AsyncGenerator<string> {
  const complete = isWholeLog(filter);
  const line = (value: unknown): string => `${JSON.stringify(value)}\n`;
  yield line({ type: 'header', format: 'xborder-audit-export', version: 1, exportedAt: exportedAt.toISOString(), complete, filter });
  // Checkpoints before keys: a node stores its key before it signs with it, so every key a
  // checkpoint read here names is read too; the other way a node starting between the two reads
  // left its first checkpoint signed by a key the file lacks.
  const checkpoints = (await readCheckpoints(reader, filter.node)).sort((a, b) => a.origin.localeCompare(b.origin) || a.size - b.size);
  for (const key of await readKeys(reader)) yield line({ type: 'key', ...key });
  for (const checkpoint of checkpoints) yield line({ type: 'checkpoint', ...checkpoint });
  // Read with the checkpoints, before the records: a record appended meanwhile is held back too.
  const latest = new Map<string, SignedCheckpoint>(checkpoints.map((checkpoint) => [checkpoint.origin, checkpoint]));
  const held = new Map<string, HeldBack>();
  const holdBack = (node: string) => {
    let entry = held.get(node);
    if (!entry) held.set(node, (entry = { node, records: 0, signedSize: latest.get(node)?.size ?? 0 }));
    entry.records += 1;
  };
  try {
    if (complete) {
      for (const node of filter.node ? [filter.node] : await readNodes(reader)) {
        const signedSize = latest.get(node)?.size ?? 0;
        for await (const row of readLeafRows(reader, node)) {
          if (row.leafIndex < signedSize) yield `{"type":"record","record":${row.body},"leafHash":"${row.leafHash}"}\n`;
          else holdBack(node);
        }
      }
      return;
    }
    const subtrees = new SubtreeHashes(reader);
    for (let i = 1; i < checkpoints.length; i++) {
      const [previous, current] = [checkpoints[i - 1]!, checkpoints[i]!];
      if (previous.origin === current.origin) {
        yield line({ type: 'consistency', node: current.origin, from: previous.size, to: current.size, path: await subtrees.consistencyPath(current.origin, previous.size, current.size) });
      }
    }
    for await (const record of iterateRecords(reader, filter)) {
      const checkpoint = latest.get(record.node);
      if (!checkpoint || checkpoint.size <= record.leafIndex) {
        holdBack(record.node);
        continue;
      }
      const leafHash = (await subtrees.leaf(record.node, record.leafIndex)).toString('hex');
      const proof = { treeSize: checkpoint.size, path: await subtrees.inclusionPath(record.node, record.leafIndex, checkpoint.size) };
      yield line({ type: 'record', record, leafHash, proof });
    }
  } finally {
    heldBack.push(...[...held.values()].sort((a, b) => a.node.localeCompare(b.node)));
  }
}

export async function writeExport(reader: SqlConn, filter: AuditQuery, file: string, exportedAt = new Date()): Promise<{ records: number; heldBack: HeldBack[] }> {
  const out = createWriteStream(file, { mode: 0o600 });
  const heldBack: HeldBack[] = [];
  let records = 0;
  for await (const text of exportLines(reader, filter, exportedAt, heldBack)) {
    if (text.startsWith('{"type":"record"')) records += 1;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { records, heldBack };
}

type ExportLine = z.output<typeof lineSchema>;
type RecordLine = Extract<ExportLine, { type: 'record' }>;

/** Why an export cannot be read on: a line that is not one of ours, or lines out of order. */
class BadExport extends Error {}

/** The export's lines, parsed and validated one at a time: a file of any size streams through. */
async function* exportEntries(file: string): AsyncGenerator<ExportLine> {
  let lineNo = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    lineNo += 1;
    if (text.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new BadExport(`export line ${lineNo} is not JSON`);
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) throw new BadExport(`export line ${lineNo} is not valid: ${parsed.error.issues[0]?.message}`);
    yield parsed.data;
  }
}

const nodeOf = (entry: RecordLine): string => String((entry.record as { node?: unknown }).node);

const unsignedInExport = 'xborder exports only records their node has signed, so a checkpoint or an inclusion proof was removed from this file';

/** What comes before the records: the header, the keys, the checkpoints and their consistency proofs. */
interface Preamble {
  complete: boolean;
  keys: PublicKeyEntry[];
  checkpoints: SignedCheckpoint[];
  consistency: Extract<ExportLine, { type: 'consistency' }>[];
}

/**
 * The regulator's offline check: no database, no network. The file is read once, in order, and
 * never held whole: an export writes the keys and checkpoints first, then each node's records
 * in leaf order, which is all a whole log's recomputation or a selection's proofs need.
 */
export async function verifyExport(file: string, trusted: SignedCheckpoint[] = [], trustedKeys?: PublicKeyEntry[]): Promise<VerifyReport & { complete: boolean }> {
  const entries = exportEntries(file);
  try {
    const preamble: Preamble = { complete: false, keys: [], checkpoints: [], consistency: [] };
    let header = false;
    let next = await entries.next();
    for (; !next.done && next.value.type !== 'record'; next = await entries.next()) {
      const entry = next.value;
      if (entry.type === 'header') {
        header = true;
        preamble.complete = entry.complete;
      } else if (entry.type === 'key') preamble.keys.push({ kid: entry.kid, node: entry.node, jwk: entry.jwk, createdAt: entry.createdAt });
      else if (entry.type === 'checkpoint') preamble.checkpoints.push({ origin: entry.origin, size: entry.size, root: entry.root, time: entry.time, kid: entry.kid, jws: entry.jws });
      else if (entry.type === 'consistency') preamble.consistency.push(entry);
    }
    if (!header) return { ok: false, complete: false, nodes: [], failure: { node: '-', message: 'not an xborder audit export (no header line before the records)' } };
    // Keys the regulator kept replace the file's own, which whoever wrote the file chose.
    if (trustedKeys) preamble.keys = trustedKeys;
    const first = next.done ? null : (next.value as RecordLine);
    const records = async function* (): AsyncGenerator<RecordLine> {
      if (first) yield first;
      for await (const entry of entries) {
        if (entry.type !== 'record') throw new BadExport(`a ${entry.type} line after the records: not an export as xborder writes them`);
        yield entry;
      }
    };
    const report = preamble.complete ? await verifyWholeLog(preamble, records(), trusted) : await verifySelection(preamble, records(), trusted);
    return { ...report, complete: preamble.complete };
  } catch (error) {
    if (error instanceof BadExport) return { ok: false, complete: false, nodes: [], failure: { node: '-', message: error.message } };
    throw error;
  } finally {
    await entries.return(undefined);
  }
}

/** A whole log: each node's records recomputed into its tree, as `audit verify` does on the database. */
async function verifyWholeLog({ keys, checkpoints }: Preamble, records: AsyncGenerator<RecordLine>, trusted: SignedCheckpoint[]): Promise<VerifyReport> {
  const reports: NodeReport[] = [];
  const done = new Set<string>();
  // The first record of a node past its latest checkpoint fails the export, once every node's
  // tree has been checked: a broken tree or file is the more telling failure.
  let unsigned: VerifyFailure | null = null;
  const ownOf = (node: string) => ({ checkpoints: checkpoints.filter((c) => c.origin === node), trusted: trusted.filter((c) => c.origin === node) });
  const check = async (node: string, rows: AsyncIterable<LeafRow>): Promise<VerifyReport | null> => {
    done.add(node);
    const own = ownOf(node);
    const result = await checkNode(node, rows, own.checkpoints, keys, own.trusted);
    if (result.failure) return { ok: false, failure: result.failure, nodes: reports };
    reports.push(result.report);
    return null;
  };
  let next = await records.next();
  while (!next.done) {
    const node = nodeOf(next.value);
    if (done.has(node)) return { ok: false, failure: { node, message: `the records of node ${node} are not together: not an export as xborder writes them` }, nodes: reports };
    // A loop, not Math.max(...sizes): a node signing each second has more checkpoints in a few
    // days than a call takes arguments, and the spread threw RangeError.
    let signedSize = 0;
    for (const checkpoint of checkpoints) if (checkpoint.origin === node && checkpoint.size > signedSize) signedSize = checkpoint.size;
    // The node's rows run until a record of another node; that record starts the next round.
    async function* rows(): AsyncGenerator<LeafRow> {
      for (; !next.done && nodeOf(next.value) === node; next = await records.next()) {
        const record = next.value.record as { leafIndex?: unknown; zone?: unknown; seq?: unknown };
        const leafIndex = Number(record.leafIndex);
        if (leafIndex === signedSize && !unsigned) {
          const zone = typeof record.zone === 'string' ? record.zone : '-';
          unsigned = { node, leafIndex, message: `no signed checkpoint covers the record: ${unsignedInExport}`, zone, ...(typeof record.seq === 'number' ? { seq: record.seq } : {}) };
        }
        yield { leafIndex, body: JSON.stringify(next.value.record), leafHash: next.value.leafHash };
      }
    }
    const failed = await check(node, rows());
    if (failed) return failed;
  }
  // Nodes with checkpoints but no records: verifying them finds the truncation.
  const rest = [...new Set([...checkpoints.map((c) => c.origin), ...trusted.map((c) => c.origin)])].filter((node) => !done.has(node)).sort();
  for (const node of rest) {
    const failed = await check(node, (async function* (): AsyncGenerator<LeafRow> {})());
    if (failed) return failed;
  }
  const nodes = reports.sort((a, b) => a.node.localeCompare(b.node));
  return unsigned ? { ok: false, failure: unsigned, nodes } : { ok: true, failure: null, nodes };
}

/** A selection: every checkpoint signed and consistent with the one before, every record proven included. */
async function verifySelection({ keys, checkpoints, consistency }: Preamble, records: AsyncGenerator<RecordLine>, trusted: SignedCheckpoint[]): Promise<VerifyReport> {
  const reports = new Map<string, NodeReport>();
  const reportOf = (node: string): NodeReport => {
    let report = reports.get(node);
    if (!report) reports.set(node, (report = { node, records: 0, checkpoints: 0, consistencyProofs: 0, trusted: 0, unsigned: 0 }));
    return report;
  };
  const done = (): NodeReport[] => [...reports.values()].sort((a, b) => a.node.localeCompare(b.node));
  const fail = (node: string, message: string, extra: Partial<VerifyFailure> = {}): VerifyReport => ({ ok: false, nodes: done(), failure: { node, message, ...extra } });
  const signed = new Map<string, SignedCheckpoint[]>();
  for (const node of [...new Set(checkpoints.map((c) => c.origin))].sort()) {
    const own = checkpoints.filter((c) => c.origin === node).sort((a, b) => a.size - b.size);
    signed.set(node, own);
    const report = reportOf(node);
    for (const checkpoint of own) {
      const check = await verifyCheckpoint(checkpoint, keys);
      if (!check.ok) return fail(node, `checkpoint of size ${checkpoint.size}: ${check.reason}`, { checkpointSize: checkpoint.size });
    }
    report.checkpoints = own.length;
    for (let i = 1; i < own.length; i++) {
      const [a, b] = [own[i - 1]!, own[i]!];
      const proof = consistency.find((c) => c.node === node && c.from === a.size && c.to === b.size);
      if (!proof || !verifyConsistency(a.size, b.size, proof.path.map(fromHex), fromHex(a.root), fromHex(b.root))) {
        return fail(node, `checkpoint of size ${b.size} is not consistent with checkpoint of size ${a.size}`, { checkpointSize: b.size });
      }
      report.consistencyProofs += 1;
    }
  }
  for (const kept of trusted) {
    const check = await verifyCheckpoint(kept, keys);
    const same = signed.get(kept.origin)?.find((c) => c.size === kept.size);
    if (!check.ok || !same || same.root !== kept.root) {
      return fail(kept.origin, `the export does not extend the trusted checkpoint of size ${kept.size} (${kept.time})`, { checkpointSize: kept.size });
    }
    reportOf(kept.origin).trusted += 1;
  }
  for await (const entry of records) {
    const node = nodeOf(entry);
    const parsed = storedRecordSchema.safeParse(entry.record);
    if (!parsed.success) return fail(node, 'a record of the export is not a valid audit record');
    const record = parsed.data as StoredRecord;
    const where = { leafIndex: record.leafIndex, zone: zoneKey(record), seq: record.seq };
    const report = reportOf(node);
    report.records += 1;
    // As written, not as parsed: parsing drops a field the schema does not know (verifyNode).
    const hash = recordLeafHash(entry.record);
    if (hash.toString('hex') !== entry.leafHash) return fail(node, `record leafIndex ${record.leafIndex} does not match its leaf hash`, where);
    // An export holds only signed records, each with its proof (exportLines): a changed record
    // with its leaf hash recomputed and its proof or checkpoints dropped must not pass as unsigned.
    if (!entry.proof) return fail(node, `record leafIndex ${record.leafIndex} carries no inclusion proof: ${unsignedInExport}`, where);
    const checkpoint = signed.get(node)?.find((c) => c.size === entry.proof!.treeSize);
    if (!checkpoint || !verifyInclusion(hash, record.leafIndex, checkpoint.size, entry.proof.path.map(fromHex), fromHex(checkpoint.root))) {
      return fail(node, `record leafIndex ${record.leafIndex} is not included in the signed tree of size ${entry.proof.treeSize}`, where);
    }
  }
  return { ok: true, failure: null, nodes: done() };
}

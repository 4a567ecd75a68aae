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
import { verifyLog, type LeafRow, type NodeReport, type VerifyReport } from './verify.ts';
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

export async function* exportLines(reader: SqlConn, filter: AuditQuery, exportedAt: Date): AsyncGenerator<string> {
  const complete = isWholeLog(filter);
  const line = (value: unknown): string => `${JSON.stringify(value)}\n`;
  yield line({ type: 'header', format: 'xborder-audit-export', version: 1, exportedAt: exportedAt.toISOString(), complete, filter });
  for (const key of await readKeys(reader)) yield line({ type: 'key', ...key });
  const checkpoints = (await readCheckpoints(reader, filter.node)).sort((a, b) => a.origin.localeCompare(b.origin) || a.size - b.size);
  for (const checkpoint of checkpoints) yield line({ type: 'checkpoint', ...checkpoint });
  if (complete) {
    for (const node of filter.node ? [filter.node] : await readNodes(reader)) {
      for await (const row of readLeafRows(reader, node)) yield `{"type":"record","record":${row.body},"leafHash":"${row.leafHash}"}\n`;
    }
    return;
  }
  const subtrees = new SubtreeHashes(reader);
  const latest = new Map<string, SignedCheckpoint>();
  for (let i = 0; i < checkpoints.length; i++) {
    const [previous, current] = [checkpoints[i - 1], checkpoints[i]!];
    latest.set(current.origin, current);
    if (previous && previous.origin === current.origin) {
      yield line({ type: 'consistency', node: current.origin, from: previous.size, to: current.size, path: await subtrees.consistencyPath(current.origin, previous.size, current.size) });
    }
  }
  for await (const record of iterateRecords(reader, filter)) {
    const checkpoint = latest.get(record.node);
    const leafHash = (await subtrees.leaf(record.node, record.leafIndex)).toString('hex');
    const covered = checkpoint && checkpoint.size > record.leafIndex;
    const proof = covered ? { treeSize: checkpoint.size, path: await subtrees.inclusionPath(record.node, record.leafIndex, checkpoint.size) } : undefined;
    yield line({ type: 'record', record, leafHash, proof });
  }
}

export async function writeExport(reader: SqlConn, filter: AuditQuery, file: string, exportedAt = new Date()): Promise<number> {
  const out = createWriteStream(file, { mode: 0o600 });
  let records = 0;
  for await (const text of exportLines(reader, filter, exportedAt)) {
    if (text.startsWith('{"type":"record"')) records += 1;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return records;
}

type ExportLine = z.output<typeof lineSchema>;

/** The regulator's offline check: no database, no network. */
export async function verifyExport(file: string, trusted: SignedCheckpoint[] = []): Promise<VerifyReport & { complete: boolean }> {
  const keys: PublicKeyEntry[] = [];
  const checkpoints: SignedCheckpoint[] = [];
  const consistency: Extract<ExportLine, { type: 'consistency' }>[] = [];
  const records = new Map<string, Extract<ExportLine, { type: 'record' }>[]>();
  let complete: boolean | null = null;
  let lineNo = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    lineNo += 1;
    if (text.trim() === '') continue;
    const parsed = lineSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return { ok: false, complete: false, nodes: [], failure: { node: '-', message: `export line ${lineNo} is not valid: ${parsed.error.issues[0]?.message}` } };
    const entry = parsed.data;
    if (entry.type === 'header') complete = entry.complete;
    else if (entry.type === 'key') keys.push({ kid: entry.kid, node: entry.node, jwk: entry.jwk, createdAt: entry.createdAt });
    else if (entry.type === 'checkpoint') checkpoints.push({ origin: entry.origin, size: entry.size, root: entry.root, time: entry.time, kid: entry.kid, jws: entry.jws });
    else if (entry.type === 'consistency') consistency.push(entry);
    else {
      const node = (entry.record as { node?: unknown }).node;
      const list = records.get(String(node)) ?? [];
      list.push(entry);
      records.set(String(node), list);
    }
  }
  if (complete === null) return { ok: false, complete: false, nodes: [], failure: { node: '-', message: 'not an xborder audit export (no header line)' } };
  if (complete) {
    const report = await verifyLog({
      nodes: [...records.keys()],
      checkpoints,
      keys,
      trusted,
      rows: async function* rows(node): AsyncGenerator<LeafRow> {
        for (const entry of records.get(node) ?? []) {
          const record = entry.record as { leafIndex?: unknown };
          yield { leafIndex: Number(record.leafIndex), body: JSON.stringify(entry.record), leafHash: entry.leafHash };
        }
      },
    });
    return { ...report, complete };
  }
  return { ...(await verifySelection(records, checkpoints, consistency, keys, trusted)), complete };
}

async function verifySelection(
  records: Map<string, Extract<ExportLine, { type: 'record' }>[]>,
  checkpoints: SignedCheckpoint[],
  consistency: Extract<ExportLine, { type: 'consistency' }>[],
  keys: PublicKeyEntry[],
  trusted: SignedCheckpoint[],
): Promise<VerifyReport> {
  const nodes = [...new Set([...records.keys(), ...checkpoints.map((c) => c.origin)])].sort();
  const reports: NodeReport[] = [];
  for (const node of nodes) {
    const fail = (message: string, extra: Partial<VerifyReport['failure'] & object> = {}): VerifyReport => ({ ok: false, nodes: reports, failure: { node, message, ...extra } });
    const own = checkpoints.filter((c) => c.origin === node).sort((a, b) => a.size - b.size);
    for (const checkpoint of own) {
      const check = await verifyCheckpoint(checkpoint, keys);
      if (!check.ok) return fail(`checkpoint of size ${checkpoint.size}: ${check.reason}`, { checkpointSize: checkpoint.size });
    }
    let proofs = 0;
    for (let i = 1; i < own.length; i++) {
      const [a, b] = [own[i - 1]!, own[i]!];
      const proof = consistency.find((c) => c.node === node && c.from === a.size && c.to === b.size);
      if (!proof || !verifyConsistency(a.size, b.size, proof.path.map(fromHex), fromHex(a.root), fromHex(b.root))) {
        return fail(`checkpoint of size ${b.size} is not consistent with checkpoint of size ${a.size}`, { checkpointSize: b.size });
      }
      proofs += 1;
    }
    for (const kept of trusted.filter((c) => c.origin === node)) {
      const check = await verifyCheckpoint(kept, keys);
      const same = own.find((c) => c.size === kept.size);
      if (!check.ok || !same || same.root !== kept.root) {
        return fail(`the export does not extend the trusted checkpoint of size ${kept.size} (${kept.time})`, { checkpointSize: kept.size });
      }
    }
    let unsigned = 0;
    const list = records.get(node) ?? [];
    for (const entry of list) {
      const parsed = storedRecordSchema.safeParse(entry.record);
      if (!parsed.success) return fail('a record of the export is not a valid audit record');
      const record = parsed.data as StoredRecord;
      const where = { leafIndex: record.leafIndex, zone: zoneKey(record), seq: record.seq };
      const hash = recordLeafHash(record);
      if (hash.toString('hex') !== entry.leafHash) return fail(`record leafIndex ${record.leafIndex} does not match its leaf hash`, where);
      if (!entry.proof) {
        unsigned += 1;
        continue;
      }
      const checkpoint = own.find((c) => c.size === entry.proof!.treeSize);
      if (!checkpoint || !verifyInclusion(hash, record.leafIndex, checkpoint.size, entry.proof.path.map(fromHex), fromHex(checkpoint.root))) {
        return fail(`record leafIndex ${record.leafIndex} is not included in the signed tree of size ${entry.proof.treeSize}`, where);
      }
    }
    reports.push({ node, records: list.length, checkpoints: own.length, consistencyProofs: proofs, trusted: trusted.filter((c) => c.origin === node).length, unsigned });
  }
  return { ok: true, failure: null, nodes: reports };
}

/**
 * Group commit: every write waiting when the writer is free goes into ONE transaction (appends
 * as multi-row INSERTs), and each caller hears back only once that transaction is on disk —
 * durable before forward, without paying one fsync per record. The next batch is built and
 * committed while the previous one is being synced.
 *
 * Writes are data (`WriterOp`), not closures, so the same loop runs on the main thread
 * (PostgreSQL, whose I/O does not block) or in a worker thread beside a synchronous SQLite
 * connection (writer-thread.ts). Ops submitted together commit together: a transfer that wants
 * its reservation and its decision record in one transaction submits both in one call.
 */
import type { SubjectClass } from '../domain.ts';
import { XborderError } from '../errors.ts';
import type { SignedCheckpoint } from './checkpoint.ts';
import { recordSegments, storedRecordJson, type RecordSegments } from './canonical-record.ts';
import { lockCounters, releaseIn, reserveIn, SettledClaims } from './claims.ts';
import { BatchTotals, importIn, settleIn } from './counters.ts';
import { Frontier, fromHex, textLeafHash, toHex } from './merkle.ts';
import { auditRecordSchema, type AuditRecord, type AuditRecordInput } from './records.ts';
import type { Column, SqlConn, SqlDriver } from './sql.ts';
import type { SubjectKey } from './subject-key.ts';
import { hashSubjects } from './subject-key.ts';
import type { AppendResult, ReservePeopleInput, ReserveSubjectsInput, ReserveSubjectsResult, Tally } from './types.ts';

/**
 * A validated record, encoded where it was validated: its canonical members (without the stored
 * fields, which the writer assigns) and the copies kept in columns for filtering.
 */
export interface PreparedRecord {
  segments: RecordSegments;
  kind: AuditRecord['kind'];
  decisionId: string;
  zone: string;
  enterprise: string | null;
  destination: string | null;
  decision: string | null;
  mechanism: string | null;
  at: string;
  dataTypes: string;
}

export type WriterOp =
  | { op: 'append'; record: PreparedRecord }
  /** Validated and encoded by the writer, then an `append` (the SQLite writer client may prepare it first: prepare-share.ts). */
  | { op: 'record'; input: AuditRecordInput }
  | { op: 'reserve'; input: ReserveSubjectsInput }
  /** Hashed by the writer with its subject key, then a `reserve` (store.reservePeople). */
  | { op: 'reserve-people'; input: ReservePeopleInput }
  | { op: 'settle'; decisionId: string; tally: Tally }
  | { op: 'release'; decisionId: string }
  | { op: 'import'; enterprise: string; year: number; counts: Record<SubjectClass, number> }
  | { op: 'checkpoint'; checkpoint: SignedCheckpoint };

/** A tree size and its root: the committed head, or a multiple of `checkpointEvery` to sign. */
export interface CheckpointMark {
  size: number;
  root: Buffer;
}

/** This node's tree as committed: the next leaf index, each zone's last sequence, the right edge. */
export interface TreeState {
  frontier: Frontier;
  zoneSeq: Map<string, number>;
}

/** Where the store sends its writes: a GroupCommit here, or one in the SQLite writer thread. */
export interface Writer {
  /** Commits `ops` together; one result per op, in order. */
  submit(ops: WriterOp[]): Promise<unknown[]>;
  /** The committed tree's size and root. */
  head(): CheckpointMark;
  /** Why the writer can take no more work (its thread died, its database connection or fsync failed), or null. */
  stopped(): XborderError | null;
  /** Commits everything submitted so far, then refuses new work. */
  close(): Promise<void>;
}

/** Called once per submission, synchronously for a whole batch (the worker answers per batch). */
export type Done = (error: unknown, results?: unknown[]) => void;

interface Item {
  ops: BatchOp[];
  done: Done;
}

const recordColumns: readonly Column[] = [
  { name: 'node', type: 'text' }, { name: 'leaf_index', type: 'bigint' }, { name: 'kind', type: 'text' }, { name: 'decision_id', type: 'text' },
  { name: 'zone', type: 'text' }, { name: 'seq', type: 'bigint' }, { name: 'enterprise', type: 'text' }, { name: 'destination', type: 'text' },
  { name: 'decision', type: 'text' }, { name: 'mechanism', type: 'text' }, { name: 'at', type: 'text' }, { name: 'data_types', type: 'text' },
  { name: 'body', type: 'text' }, { name: 'leaf_hash', type: 'text' },
];

export function zoneKey(record: AuditRecord): string {
  return record.zone ?? '-';
}

export function recordId(node: string, leafIndex: number): string {
  return `${node}:${leafIndex}`;
}

/** Data types of a record, for the `dataType` filter (`,a,b,` so LIKE '%,a,%' matches whole names). */
function dataTypesColumn(record: AuditRecord): string {
  if (record.kind !== 'decision' || record.findings.length === 0) return '';
  return `,${[...new Set(record.findings.map((finding) => finding.type))].join(',')},`;
}

export function prepareRecord(record: AuditRecord): PreparedRecord {
  return {
    segments: recordSegments(record),
    kind: record.kind,
    decisionId: record.decisionId,
    zone: zoneKey(record),
    enterprise: record.enterprise ?? null,
    destination: 'destination' in record ? (record.destination ?? null) : null,
    decision: record.kind === 'decision' ? record.decision : null,
    mechanism: record.kind === 'decision' ? record.mechanism : null,
    at: record.at,
    dataTypes: dataTypesColumn(record),
  };
}

/** A record as the caller gave it, validated (XB_ERR_BAD_INPUT if it is not a record) and encoded. */
export function prepareInput(input: AuditRecordInput): PreparedRecord {
  const parsed = auditRecordSchema.safeParse(input);
  if (!parsed.success) {
    throw new XborderError('XB_ERR_BAD_INPUT', `xborder: invalid audit record: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return prepareRecord(parsed.data);
}

/** Inserts audit record rows (values in `recordColumns` order). */
export function insertRecords(tx: SqlConn, rows: readonly unknown[][]): Promise<void> {
  return tx.insertRows('audit_records', recordColumns, rows);
}

export async function insertCheckpoint(tx: SqlConn, { origin, size, root, time, kid, jws }: SignedCheckpoint): Promise<void> {
  await tx.run('INSERT INTO audit_checkpoints (node, size, root, time, kid, jws) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (node, size) DO NOTHING', [origin, size, root, time, kid, jws]);
}

/** Rebuilds the committed tree state of `node` from its stored leaf hashes. */
export async function loadTreeState(reader: SqlConn, node: string): Promise<TreeState> {
  const frontier = new Frontier();
  // Rebuilding the right edge reads every leaf hash once at start (32 bytes a record).
  for (;;) {
    const rows = await reader.all<{ leaf_index: number; leaf_hash: string }>(
      'SELECT leaf_index, leaf_hash FROM audit_records WHERE node = ? AND leaf_index >= ? ORDER BY leaf_index LIMIT 20000',
      [node, frontier.size],
    );
    for (const row of rows) {
      if (Number(row.leaf_index) !== frontier.size) {
        throw new XborderError('XB_ERR_AUDIT_TAMPERED', `xborder: node ${node} is missing leaf ${frontier.size}; run "xborder audit verify"`);
      }
      frontier.push(fromHex(row.leaf_hash));
    }
    if (rows.length < 20000) break;
  }
  const zones = await reader.all<{ zone: string; seq: number }>('SELECT zone, MAX(seq) AS seq FROM audit_records WHERE node = ? GROUP BY zone', [node]);
  return { frontier, zoneSeq: new Map(zones.map((row) => [row.zone, Number(row.seq)])) };
}

/** Takes the batch's counter locks up front, in the one order every node uses (counters.ts). */
function lockBatch(tx: SqlConn, dialect: SqlDriver['dialect'], batch: Item[]): Promise<void> {
  const reserve: ReserveSubjectsInput[] = [];
  const decisions: string[] = [];
  const imports: { enterprise: string; year: number }[] = [];
  for (const { ops } of batch) {
    for (const op of ops) {
      if (op.op === 'reserve') reserve.push(op.input);
      else if (op.op === 'settle' || op.op === 'release') decisions.push(op.decisionId);
      else if (op.op === 'import') imports.push(op);
    }
  }
  return lockCounters(tx, dialect, { reserve, decisions, imports });
}

/** What a batch holds: every op as `prepared` left it (people hashed, records encoded). */
type BatchOp = Exclude<WriterOp, { op: 'reserve-people' | 'record' }>;

async function runOp(tx: SqlConn, totals: BatchTotals, settled: SettledClaims, node: string, op: Exclude<BatchOp, { op: 'append' }>): Promise<unknown> {
  switch (op.op) {
    case 'reserve':
      return reserveIn(tx, totals, node, op.input, settled);
    case 'settle':
      return settleIn(tx, totals, op.decisionId, op.tally, settled);
    case 'release':
      return releaseIn(tx, totals, op.decisionId);
    case 'import':
      return importIn(totals, op.enterprise, op.year, op.counts);
    case 'checkpoint':
      return insertCheckpoint(tx, op.checkpoint);
  }
}

/** People hashed here, in the writer's thread (CLARIFICATIONS 19: hashing is the gateway's cost, not the scan's). */
function reserveOf(key: SubjectKey, { enterprise, year, decisionId, people }: ReservePeopleInput): BatchOp {
  const { subjects, unkeyed } = hashSubjects(key, people);
  return { op: 'reserve', input: { enterprise, year, decisionId, subjects, unkeyed } };
}

/**
 * A submission that only reserves is answered at COMMIT, before its fsync: a reservation is read
 * back to decide, never forwarded on, and the decision record that follows is answered only once
 * on disk. WAL commits reach the disk in order, so by then the reservation has too; and if the
 * sync fails, the writer takes nothing more, the decision cannot be recorded and nothing leaves.
 */
function answersAtCommit(item: Item): boolean {
  return item.ops.every((op) => op.op === 'reserve');
}

export class GroupCommit implements Writer {
  private queue: Item[] = [];
  /** The flush loop; `running` turns false in the same turn the loop sees an empty queue. */
  private flushing: Promise<void> | null = null;
  private running = false;
  private scheduled = false;
  private closed = false;
  /** Batches committed and waiting for their fsync: callers hear back only once it is done. */
  private readonly syncing = new Set<Promise<void>>();
  private durableHead: CheckpointMark;
  private readonly settled = new SettledClaims();

  constructor(
    private readonly driver: SqlDriver,
    private readonly nodeId: string,
    private state: TreeState,
    private readonly checkpointEvery: number,
    private readonly onCommitted: (head: CheckpointMark, marks: CheckpointMark[]) => void,
    private readonly subjectKey: SubjectKey | null = null,
  ) {
    this.durableHead = { size: state.frontier.size, root: state.frontier.root() };
  }

  stopped(): XborderError | null {
    const failure = this.driver.writerFailure();
    return failure && new XborderError('XB_ERR_AUDIT_UNAVAILABLE', `xborder: the audit store can no longer write (${failure.message}); restart the gateway`, { cause: failure });
  }

  /** The tree as far as it is on disk: what checkpoints may sign. */
  head(): CheckpointMark {
    return this.durableHead;
  }

  submit(ops: WriterOp[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => this.enqueue(ops, (error, results) => (error ? reject(error) : resolve(results!))));
  }

  enqueue(ops: WriterOp[], done: Done): void {
    if (this.closed) {
      done(new XborderError('XB_ERR_SHUTTING_DOWN', 'xborder: the audit store is closed'));
      return;
    }
    const stopped = this.stopped();
    if (stopped) {
      done(stopped);
      return;
    }
    let prepared: BatchOp[];
    // Done before the submission joins a batch: one that cannot be prepared is refused whole.
    try {
      prepared = ops.map((op) => this.prepared(op));
    } catch (error) {
      done(error);
      return;
    }
    this.queue.push({ ops: prepared, done });
    if (!this.running && !this.scheduled) {
      this.scheduled = true;
      // setImmediate lets every write of this event-loop turn join the batch.
      setImmediate(() => {
        this.scheduled = false;
        if (this.running) return;
        this.running = true;
        this.flushing = this.flushAll();
      });
    }
  }

  /** People hashed and records validated and encoded, here where the writer runs. */
  private prepared(op: WriterOp): BatchOp {
    if (op.op === 'record') return { op: 'append', record: prepareInput(op.input) };
    if (op.op !== 'reserve-people') return op;
    if (!this.subjectKey) throw new XborderError('XB_ERR_CONFIG_INVALID', 'xborder: this audit store was opened without a subject key');
    return reserveOf(this.subjectKey, op.input);
  }

  private async flushAll(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.commitBatch(batch);
      }
    } finally {
      this.running = false;
    }
  }

  private async commitBatch(batch: Item[]): Promise<void> {
    const frontier = this.state.frontier.clone();
    const zoneSeq = new Map(this.state.zoneSeq);
    const results = batch.map((item) => new Array<unknown>(item.ops.length));
    const marks: CheckpointMark[] = [];
    let rows: unknown[][] = [];
    const flushRows = async (tx: SqlConn) => {
      if (rows.length === 0) return;
      await insertRecords(tx, rows);
      rows = [];
    };
    const failed = (cause: unknown, items: Item[] = batch) => {
      // The batch's settles did not commit (or may not be on disk): forget every settled claim.
      this.settled.clear();
      const error = cause instanceof XborderError ? cause : new XborderError('XB_ERR_AUDIT_UNAVAILABLE', 'xborder: the audit store did not commit; nothing was forwarded', { cause });
      for (const item of items) item.done(error);
    };
    let durable: Promise<void>;
    try {
      ({ durable } = await this.driver.pipelined(async (tx) => {
        await lockBatch(tx, this.driver.dialect, batch);
        const totals = new BatchTotals(tx);
        for (let i = 0; i < batch.length; i++) {
          const { ops } = batch[i]!;
          for (let j = 0; j < ops.length; j++) {
            const op = ops[j]!;
            if (op.op !== 'append') {
              // Rows gathered so far go in first, so every op sees the writes before it.
              await flushRows(tx);
              results[i]![j] = await runOp(tx, totals, this.settled, this.nodeId, op);
              continue;
            }
            const { record } = op;
            const leafIndex = frontier.size;
            const seq = (zoneSeq.get(record.zone) ?? 0) + 1;
            zoneSeq.set(record.zone, seq);
            const id = recordId(this.nodeId, leafIndex);
            const body = storedRecordJson(record.segments, { id, leafIndex, node: this.nodeId, seq });
            const hash = textLeafHash(body);
            frontier.push(hash);
            // Checkpoints land on exact multiples of N even when a batch straddles one.
            if (frontier.size % this.checkpointEvery === 0) marks.push({ size: frontier.size, root: frontier.root() });
            const hex = toHex(hash);
            results[i]![j] = { id, node: this.nodeId, leafIndex, seq, leafHash: hex } satisfies AppendResult;
            rows.push([
              this.nodeId, leafIndex, record.kind, record.decisionId, record.zone, seq, record.enterprise, record.destination,
              record.decision, record.mechanism, record.at, record.dataTypes, body, hex,
            ]);
          }
        }
        await flushRows(tx);
        await totals.flush();
      }));
    } catch (cause) {
      failed(cause);
      return;
    }
    // The next batch builds on this one at once; its callers wait for the fsync (durable
    // promises settle in commit order, so callers also hear back in order) — except those that
    // only reserved: see `answersAtCommit`.
    this.state = { frontier, zoneSeq };
    const head = { size: frontier.size, root: frontier.root() };
    const early = batch.map(answersAtCommit);
    batch.forEach((item, i) => early[i] && item.done(null, results[i]));
    const late = batch.filter((_, i) => !early[i]);
    const settled = durable.then(
      () => {
        this.durableHead = head;
        batch.forEach((item, i) => !early[i] && item.done(null, results[i]));
        this.onCommitted(head, marks);
      },
      (cause: unknown) => failed(cause, late),
    );
    this.syncing.add(settled);
    void settled.finally(() => this.syncing.delete(settled));
  }

  /** Waits for everything queued so far to be durable, then refuses new work. */
  async close(): Promise<void> {
    while (this.queue.length > 0 || this.running || this.scheduled || this.syncing.size > 0) {
      if (this.running && this.flushing) await this.flushing;
      else if (this.syncing.size > 0) await Promise.all(this.syncing);
      else await new Promise((resolve) => setImmediate(resolve));
    }
    this.closed = true;
  }
}

/**
 * Group commit: every append and counter change waiting when the writer is free goes into ONE
 * transaction (appends as multi-row INSERTs), and each caller's promise resolves only after
 * COMMIT — durable before forward, without paying one fsync per record.
 */
import { canonicalJson } from '../shared/canonical-json.ts';
import { XborderError } from '../errors.ts';
import { Frontier, leafHash, toHex } from './merkle.ts';
import { recordDataTypes, recordId, type AuditRecord, type StoredRecord } from './records.ts';
import type { SqlConn, SqlDriver } from './sql.ts';
import type { AppendResult } from './types.ts';

/** A tree size reached inside a batch that is a multiple of `checkpointEvery`, with its root. */
export interface CheckpointMark {
  size: number;
  root: Buffer;
}

/** This node's tree as committed: the next leaf index, each zone's last sequence, the right edge. */
export interface TreeState {
  frontier: Frontier;
  zoneSeq: Map<string, number>;
}

interface AppendItem {
  type: 'append';
  record: AuditRecord;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

interface TaskItem {
  type: 'task';
  run: (tx: SqlConn) => Promise<unknown>;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

type Item = AppendItem | TaskItem;

const columns = ['node', 'leaf_index', 'kind', 'decision_id', 'zone', 'seq', 'enterprise', 'destination', 'decision', 'mechanism', 'at', 'data_types', 'body', 'leaf_hash'];
// 14 parameters a row: 1,000 rows stay under SQLite's 32,766 and PostgreSQL's 65,535 limits.
const rowsPerStatement = 1000;

export function zoneKey(record: AuditRecord): string {
  return record.zone ?? '-';
}

export function insertRecordsSql(rows: number): string {
  const one = `(${columns.map(() => '?').join(',')})`;
  return `INSERT INTO audit_records (${columns.join(',')}) VALUES ${Array.from({ length: rows }, () => one).join(',')}`;
}

export class GroupCommit {
  private queue: Item[] = [];
  /** The flush loop; `running` turns false in the same turn the loop sees an empty queue. */
  private flushing: Promise<void> | null = null;
  private running = false;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly driver: SqlDriver,
    private readonly nodeId: string,
    private state: TreeState,
    private readonly onCommitted: (state: TreeState, marks: CheckpointMark[]) => void,
    private readonly checkpointEvery: number,
  ) {}

  get committed(): TreeState {
    return this.state;
  }

  append(record: AuditRecord): Promise<AppendResult> {
    return new Promise((resolve, reject) => this.enqueue({ type: 'append', record, resolve, reject }));
  }

  task<T>(run: (tx: SqlConn) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.enqueue({ type: 'task', run, resolve: resolve as (result: unknown) => void, reject }),
    );
  }

  /** Enqueues several items that must commit together (they land in the same batch). */
  together(items: (Omit<AppendItem, 'resolve' | 'reject'> | Omit<TaskItem, 'resolve' | 'reject'>)[]): Promise<unknown[]> {
    return Promise.all(items.map((item) => new Promise((resolve, reject) => this.enqueue({ ...item, resolve, reject } as Item))));
  }

  private enqueue(item: Item): void {
    if (this.closed) {
      item.reject(new XborderError('XB_ERR_SHUTTING_DOWN', 'xborder: the audit store is closed'));
      return;
    }
    this.queue.push(item);
    if (!this.running && !this.scheduled) {
      this.scheduled = true;
      // setImmediate lets every request of this event-loop turn join the batch.
      setImmediate(() => {
        this.scheduled = false;
        if (this.running) return;
        this.running = true;
        this.flushing = this.flushAll();
      });
    }
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
    const results: unknown[] = new Array(batch.length);
    const marks: CheckpointMark[] = [];
    try {
      await this.driver.transaction(async (tx) => {
        let i = 0;
        while (i < batch.length) {
          const item = batch[i]!;
          if (item.type === 'task') {
            results[i] = await item.run(tx);
            i += 1;
            continue;
          }
          let end = i;
          while (end < batch.length && batch[end]!.type === 'append') end += 1;
          const params: unknown[] = [];
          let rows = 0;
          for (let j = i; j < end; j++) {
            const record = (batch[j] as AppendItem).record;
            const leafIndex = frontier.size;
            const zone = zoneKey(record);
            const seq = (zoneSeq.get(zone) ?? 0) + 1;
            zoneSeq.set(zone, seq);
            const stored = { ...record, id: recordId(this.nodeId, leafIndex), node: this.nodeId, leafIndex, seq } as StoredRecord;
            const body = canonicalJson(stored);
            const hash = leafHash(Buffer.from(body, 'utf8'));
            frontier.push(hash);
            // Checkpoints land on exact multiples of N even when a batch straddles one.
            if (frontier.size % this.checkpointEvery === 0) marks.push({ size: frontier.size, root: frontier.root() });
            const hex = toHex(hash);
            results[j] = { id: stored.id, node: this.nodeId, leafIndex, seq, leafHash: hex } satisfies AppendResult;
            const types = recordDataTypes(record);
            params.push(
              this.nodeId, leafIndex, record.kind, record.decisionId, zone, seq,
              record.enterprise ?? null, 'destination' in record ? (record.destination ?? null) : null,
              record.kind === 'decision' ? record.decision : null,
              record.kind === 'decision' ? record.mechanism : null,
              record.at, types.length > 0 ? `,${types.join(',')},` : '', body, hex,
            );
            rows += 1;
            if (rows === rowsPerStatement || j === end - 1) {
              await tx.run(insertRecordsSql(rows), params);
              params.length = 0;
              rows = 0;
            }
          }
          i = end;
        }
      });
    } catch (cause) {
      const error = cause instanceof XborderError ? cause : new XborderError('XB_ERR_AUDIT_UNAVAILABLE', 'xborder: the audit store did not commit; nothing was forwarded', { cause });
      for (const item of batch) item.reject(error);
      return;
    }
    this.state = { frontier, zoneSeq };
    batch.forEach((item, i) => item.resolve(results[i] as never));
    this.onCommitted(this.state, marks);
  }

  /** Waits for everything queued so far, then refuses new work. */
  async close(): Promise<void> {
    while (this.queue.length > 0 || this.running || this.scheduled) {
      if (this.running && this.flushing) await this.flushing;
      else await new Promise((resolve) => setImmediate(resolve));
    }
    this.closed = true;
  }
}

/**
 * The SQLite writer thread: better-sqlite3 is synchronous, so its INSERTs, COMMITs and WAL
 * checkpoints would stop the gateway's event loop for milliseconds per batch. Here they stop only
 * this thread; the main thread validates records and hears back once per committed batch.
 * Protocol (writer-client.ts is the other side):
 *   in:  { type: 'submit', items: [{ id, ops }] } (a reservation's people packed: packed-people.ts;
 *        a record raw or already prepared: prepare-share.ts) · { type: 'close' }
 *   out: { type: 'ready', head } · { type: 'done', replies, head, marks, busy } · { type: 'failed', error } · { type: 'closed' }
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { XborderError } from '../errors.ts';
import { openSqlite } from './sql.ts';
import { subjectKeyFrom } from './subject-key.ts';
import { fromWireOp, type WireOp } from './packed-people.ts';
import type { Utilisation } from './prepare-share.ts';
import { GroupCommit, loadTreeState, type CheckpointMark } from './writer.ts';

export interface WriterThreadData {
  file: string;
  nodeId: string;
  checkpointEvery: number;
  /** The subject key's secret: people are hashed here, off the main thread. */
  subjectSecret: Buffer | null;
}

export type WriterReply = { id: number; results: unknown[] } | { id: number; error: WireError };
export interface WireError {
  code: XborderError['code'];
  message: string;
}
export type WireMark = { size: number; root: Uint8Array };
export type ToWriter = { type: 'submit'; items: { id: number; ops: WireOp[] }[] } | { type: 'close' };
export type FromWriter =
  | { type: 'ready'; head: WireMark }
  /** `busy`: this thread's event-loop utilisation so far, for the main thread's PrepareShare. */
  | { type: 'done'; replies: WriterReply[]; head: WireMark; marks: WireMark[]; busy: Utilisation }
  /** Starting failed, or the writer stopped for good (a failed WAL fsync). */
  | { type: 'failed'; error: WireError }
  | { type: 'closed' };

export function toWire(error: unknown): WireError {
  if (error instanceof XborderError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { code: error.code, message: `${error.message}${cause}` };
  }
  return { code: 'XB_ERR_AUDIT_UNAVAILABLE', message: `xborder: the audit writer failed: ${error instanceof Error ? error.message : String(error)}` };
}

/**
 * Every caller of a batch is answered in one message: GroupCommit calls `done` for the whole
 * batch in one synchronous loop, so a microtask after the first reply sees them all.
 */
interface Outbox {
  replies: WriterReply[];
  head: CheckpointMark;
  marks: CheckpointMark[];
  queued: boolean;
}

const port = parentPort!;
const post = (message: FromWriter) => port.postMessage(message);

async function start({ file, nodeId, checkpointEvery, subjectSecret }: WriterThreadData): Promise<void> {
  const driver = openSqlite(file, { readerConnection: false });
  let writer: GroupCommit;
  let outbox: Outbox;
  try {
    const state = await loadTreeState(driver.reader, nodeId);
    outbox = { replies: [], head: { size: state.frontier.size, root: state.frontier.root() }, marks: [], queued: false };
    const subjectKey = subjectSecret ? subjectKeyFrom(Buffer.from(subjectSecret), 'env') : null;
    writer = new GroupCommit(
      driver,
      nodeId,
      state,
      checkpointEvery,
      (head, marks) => {
        outbox.head = head;
        outbox.marks.push(...marks);
      },
      subjectKey,
    );
  } catch (error) {
    // Nothing was written: the database is closed so the main thread may report and reopen it.
    await driver.close().catch(() => {});
    throw error;
  }
  let reportedStop = false;
  const send = () => {
    outbox.queued = false;
    const { idle, active } = performance.eventLoopUtilization();
    post({ type: 'done', replies: outbox.replies, head: outbox.head, marks: outbox.marks, busy: { idle, active } });
    outbox.replies = [];
    outbox.marks = [];
    // A failed fsync stops this writer for good: the main thread hears it once, after the replies.
    const stopped = writer.stopped();
    if (stopped && !reportedStop) {
      reportedStop = true;
      post({ type: 'failed', error: toWire(stopped) });
    }
  };
  port.on('message', (message: ToWriter) => {
    if (message.type === 'close') {
      // The database is closed even when the last batch failed (its callers heard why already);
      // a failure to close it is reported before `closed`, never left as an unhandled rejection.
      void writer
        .close()
        .finally(() => driver.close())
        .catch((error: unknown) => post({ type: 'failed', error: toWire(error) }))
        .finally(() => post({ type: 'closed' }));
      return;
    }
    for (const { id, ops } of message.items) {
      writer.enqueue(ops.map(fromWireOp), (error, results) => {
        outbox.replies.push(error ? { id, error: toWire(error) } : { id, results: results! });
        if (!outbox.queued) {
          outbox.queued = true;
          queueMicrotask(send);
        }
      });
    }
  });
  post({ type: 'ready', head: outbox.head });
}

start(workerData as WriterThreadData).catch((error: unknown) => post({ type: 'failed', error: toWire(error) }));

/**
 * The main thread's side of the SQLite writer thread (writer-thread.ts): it forwards submitted
 * ops in chunks and settles each caller when the thread reports its batch durable. The thread
 * owns the tree; this side keeps the last durable head for checkpoints.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { XborderError } from '../errors.ts';
import type { FromWriter, ToWriter, WireError, WireMark, WriterThreadData } from './writer-thread.ts';
import { toWireOp, type WireOp } from './packed-people.ts';
import { PrepareShare } from './prepare-share.ts';
import { prepareInput, type CheckpointMark, type Writer, type WriterOp } from './writer.ts';

// Ops go to the thread as soon as this many are waiting, not only at the end of the event-loop
// turn, so the thread starts committing while the main thread still prepares the rest: the two
// then work side by side instead of taking turns (64 measured best of 16…256 at 256 writers).
const chunk = 64;

const fromWire = (error: WireError) => new XborderError(error.code, error.message);
const toMark = (mark: WireMark): CheckpointMark => ({ size: mark.size, root: Buffer.from(mark.root) });

interface Caller {
  resolve: (results: unknown[]) => void;
  reject: (error: unknown) => void;
}

export async function startWriterThread(data: WriterThreadData, onCommitted: (head: CheckpointMark, marks: CheckpointMark[]) => void): Promise<Writer> {
  const worker = new Worker(new URL('./writer-thread.mjs', import.meta.url), { workerData: data });
  const pending = new Map<number, Caller>();
  let starting: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  const ready = new Promise<void>((resolve, reject) => (starting = { resolve, reject }));
  let head: CheckpointMark = { size: 0, root: Buffer.alloc(32) };
  let stopped: XborderError | null = null;
  let outgoing: Extract<ToWriter, { type: 'submit' }> = { type: 'submit', items: [] };
  let flushQueued = false;
  let nextId = 0;
  let closing: Promise<void> | null = null;
  let exited = false;
  const share = new PrepareShare(() => performance.eventLoopUtilization());
  // A record goes raw (the thread validates and encodes it) or prepared here: see PrepareShare.
  const toThread = (op: WriterOp): WireOp => (op.op === 'record' && share.here() ? { op: 'append', record: prepareInput(op.input) } : toWireOp(op));

  function fail(error: XborderError): void {
    stopped ??= error;
    starting?.reject(stopped);
    for (const caller of pending.values()) caller.reject(stopped);
    pending.clear();
  }

  worker.on('message', (message: FromWriter) => {
    switch (message.type) {
      case 'ready':
        head = toMark(message.head);
        starting?.resolve();
        return;
      case 'failed':
        fail(fromWire(message.error));
        return;
      case 'done':
        head = toMark(message.head);
        for (const reply of message.replies) {
          const caller = pending.get(reply.id);
          pending.delete(reply.id);
          if ('error' in reply) caller?.reject(fromWire(reply.error));
          else caller?.resolve(reply.results);
        }
        // The thread keeps the process alive only while someone waits for it.
        if (pending.size === 0 && !closing) worker.unref();
        share.observe(message.busy, performance.now());
        onCommitted(head, message.marks.map(toMark));
        return;
      case 'closed':
        void worker.terminate();
    }
  });
  worker.on('error', (error) => fail(new XborderError('XB_ERR_AUDIT_UNAVAILABLE', `xborder: the audit writer thread failed: ${error.message}`, { cause: error })));
  worker.on('exit', () => {
    exited = true;
    fail(new XborderError('XB_ERR_AUDIT_UNAVAILABLE', 'xborder: the audit writer thread has stopped'));
  });

  const flush = () => {
    flushQueued = false;
    if (outgoing.items.length === 0) return;
    worker.postMessage(outgoing satisfies ToWriter);
    outgoing = { type: 'submit', items: [] };
  };

  try {
    await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  if (pending.size === 0) worker.unref();

  return {
    head: () => head,
    stopped: () => (closing ? null : stopped),
    submit(ops: WriterOp[]): Promise<unknown[]> {
      if (closing) return Promise.reject(new XborderError('XB_ERR_SHUTTING_DOWN', 'xborder: the audit store is closed'));
      if (stopped) return Promise.reject(stopped);
      let wire: WireOp[];
      try {
        wire = ops.map(toThread);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.ref();
        outgoing.items.push({ id, ops: wire });
        if (outgoing.items.length >= chunk) flush();
        else if (!flushQueued) {
          flushQueued = true;
          setImmediate(flush);
        }
      });
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        if (exited) return resolve();
        // Closing waits on the thread, so the thread must keep the process alive until done.
        worker.ref();
        worker.once('exit', () => resolve());
        flush();
        if (stopped) void worker.terminate();
        else worker.postMessage({ type: 'close' } satisfies ToWriter);
      });
      return closing;
    },
  };
}

/**
 * fsyncs of a SQLite WAL, coalesced: each caller waits for one sync that began after it asked,
 * and callers that ask while a sync runs share the next one. A writer can so commit its next
 * batch while the previous one is being synced, and a slow disk costs one fsync per batch at most.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export class WalSync {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private broken: unknown = null;
  private handle: Promise<FileHandle> | null = null;

  constructor(
    private readonly file: string,
    private readonly sync: (wal: FileHandle) => Promise<void>,
  ) {}

  /** Set once a sync failed: rows committed since may not be on disk, so nothing more may be written. */
  get failure(): Error | null {
    return this.broken === null ? null : new Error('the SQLite WAL could not be synced earlier; reopen the store', { cause: this.broken });
  }

  /** Resolves once everything committed before the call is on disk. */
  request(): Promise<void> {
    const failure = this.failure;
    if (failure) return Promise.reject(failure);
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => {})
      .then(() => {
        this.queued = null;
        return this.request();
      });
    return this.queued;
  }

  private async run(): Promise<void> {
    try {
      // The WAL exists once a transaction has committed; SQLite keeps the same file (it is
      // reset in place, never replaced) while any connection is open, and ours stay open.
      this.handle ??= open(this.file, 'r+').then(async (wal) => {
        // A new file survives a power cut only once its directory entry is on disk too (SQLite
        // syncs the directory after creating a WAL the same way, the first time it syncs it).
        const dir = await open(dirname(this.file), 'r');
        await dir.sync().finally(() => dir.close());
        return wal;
      });
      await this.sync(await this.handle);
    } catch (error) {
      this.broken ??= error;
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
    await (await this.handle?.catch(() => null))?.close();
  }
}

/**
 * Where audit records are validated and encoded (zod, then RFC 8785): on the main thread or in
 * the SQLite writer thread. Neither place is right for every load. A gateway at full load has
 * its event loop busy with scanning and HTTP while the writer thread waits on fsync, so records
 * are best prepared in the writer; a burst of audit appends with little else to do (a counters
 * import, the audit bench, a gateway forwarding small bodies to a slow disk) leaves the main
 * thread idle while the writer thread is the bottleneck. So the share of records prepared here
 * follows the two threads' event-loop utilisation: it moves toward whichever thread is less busy.
 */

export interface Utilisation {
  /** Milliseconds the event loop spent idle and active, cumulative (performance.eventLoopUtilization). */
  idle: number;
  active: number;
}

// Rebalanced at most this often: event-loop utilisation over shorter windows is mostly noise.
const intervalMs = 100;
// The share moves a tenth a rebalance: from all-in-the-writer to all-here in one second.
const steps = 10;
// Utilisations this close are balanced already; moving would only swap the bottleneck.
const deadBand = 0.05;

function busy(now: Utilisation, before: Utilisation): number | null {
  const idle = now.idle - before.idle;
  const active = now.active - before.active;
  return idle + active > 0 ? active / (idle + active) : null;
}

export class PrepareShare {
  /** Tenths of the records prepared on the main thread, 0…10; starts in the writer. */
  private tenths = 0;
  private credit = 0;
  private lastAt = -Infinity;
  private lastMain: Utilisation | null = null;
  private lastWriter: Utilisation | null = null;

  constructor(private readonly mainUtilisation: () => Utilisation) {}

  /** Whether the next record is prepared on the main thread: `mainShare` of them are, evenly spread. */
  here(): boolean {
    this.credit += this.tenths;
    if (this.credit < steps) return false;
    this.credit -= steps;
    return true;
  }

  /** The fraction of records prepared on the main thread. */
  get mainShare(): number {
    return this.tenths / steps;
  }

  /** Called with the writer thread's cumulative utilisation whenever it reports. */
  observe(writer: Utilisation, now: number): void {
    if (now - this.lastAt < intervalMs) return;
    const main = this.mainUtilisation();
    if (this.lastMain && this.lastWriter) {
      const mainBusy = busy(main, this.lastMain);
      const writerBusy = busy(writer, this.lastWriter);
      if (mainBusy !== null && writerBusy !== null) {
        if (mainBusy + deadBand < writerBusy) this.tenths = Math.min(steps, this.tenths + 1);
        else if (writerBusy + deadBand < mainBusy) this.tenths = Math.max(0, this.tenths - 1);
      }
    }
    this.lastAt = now;
    this.lastMain = main;
    this.lastWriter = writer;
  }
}

/**
 * Distinct subjects per enterprise, calendar year and class (CLARIFICATIONS 3, 5, 7): the
 * totals and the settling of reservations. Each function runs inside the writer's transaction;
 * claiming people and giving them back is in claims.ts.
 */
import { subjectClasses, type SubjectClass } from '../domain.ts';
import type { SettledClaims } from './claims.ts';
import type { SqlConn } from './sql.ts';
import type { ClassHash, CounterTotals, ReserveSubjectsInput, Tally, TallyName } from './types.ts';
import type { SubjectHashes } from './subject-key.ts';

export const tallies: readonly TallyName[] = ['regulated', 'exempt', 'reserved', 'imported'];
/** Accepts both input shapes; `{ cls, hash }` entries with the same hash are one person. */
export function normaliseSubjects(subjects: ReserveSubjectsInput['subjects']): SubjectHashes[] {
  const people: SubjectHashes[] = [];
  const single = new Map<string, SubjectHashes>();
  for (const subject of subjects) {
    if ('hashes' in subject) {
      if (subject.hashes.length > 0) people.push(subject);
      continue;
    }
    const entry = subject as ClassHash;
    const known = single.get(entry.hash);
    if (known) known.sensitive ||= entry.cls === 'sensitive';
    else {
      const person = { hashes: [entry.hash], sensitive: entry.cls === 'sensitive' };
      single.set(entry.hash, person);
      people.push(person);
    }
  }
  return people;
}

export function classesOf(subject: SubjectHashes): SubjectClass[] {
  // Every person counts as nonSensitive; one carrying a sensitive category also as sensitive.
  return subject.sensitive ? ['nonSensitive', 'sensitive'] : ['nonSensitive'];
}

async function readTotals(tx: SqlConn, enterprise: string, year: number): Promise<CounterTotals> {
  const rows = await tx.all<{ cls: SubjectClass; tally: TallyName; count: number }>(
    'SELECT cls, tally, count FROM subject_totals WHERE enterprise = ? AND year = ?',
    [enterprise, year],
  );
  const byTally = Object.fromEntries(
    subjectClasses.map((cls) => [cls, Object.fromEntries(tallies.map((tally) => [tally, 0]))]),
  ) as CounterTotals['byTally'];
  const total: Record<SubjectClass, number> = { nonSensitive: 0, sensitive: 0 };
  for (const row of rows) {
    if (!(row.cls in byTally) || !tallies.includes(row.tally)) continue;
    byTally[row.cls][row.tally] = Number(row.count);
    total[row.cls] += Number(row.count);
  }
  return { enterprise, year, total, byTally };
}

export { readTotals as countersIn };

/**
 * The totals one batch changes, kept in memory and written once before COMMIT, so a transfer's
 * reserve, settle and release cost no totals round trip each; reads inside the batch see its own
 * changes. Safe because nobody else writes a pair's totals meanwhile: SQLite has one writer, and
 * on PostgreSQL the batch holds the pair's lock (claims.ts).
 */
export class BatchTotals {
  private readonly stored = new Map<string, Promise<CounterTotals>>();
  private readonly changes = new Map<string, { enterprise: string; year: number; cls: SubjectClass; tally: TallyName; set: number | null; delta: number }>();

  constructor(private readonly tx: SqlConn) {}

  async read(enterprise: string, year: number): Promise<CounterTotals> {
    const pair = `${enterprise}\u0000${year}`;
    let stored = this.stored.get(pair);
    if (!stored) this.stored.set(pair, (stored = readTotals(this.tx, enterprise, year)));
    const base = await stored;
    const totals: CounterTotals = { enterprise, year, total: { ...base.total }, byTally: { nonSensitive: { ...base.byTally.nonSensitive }, sensitive: { ...base.byTally.sensitive } } };
    for (const change of this.changes.values()) {
      if (change.enterprise !== enterprise || change.year !== year) continue;
      const before = totals.byTally[change.cls][change.tally];
      const after = (change.set ?? before) + change.delta;
      totals.byTally[change.cls][change.tally] = after;
      totals.total[change.cls] += after - before;
    }
    return totals;
  }

  private change(enterprise: string, year: number, cls: SubjectClass, tally: TallyName) {
    const key = `${enterprise}\u0000${year}\u0000${cls}\u0000${tally}`;
    let change = this.changes.get(key);
    if (!change) this.changes.set(key, (change = { enterprise, year, cls, tally, set: null, delta: 0 }));
    return change;
  }

  add(enterprise: string, year: number, tally: TallyName, delta: Record<SubjectClass, number>): void {
    for (const cls of subjectClasses) if (delta[cls] !== 0) this.change(enterprise, year, cls, tally).delta += delta[cls];
  }

  /** Replaces a tally (an import), whatever it was. */
  replace(enterprise: string, year: number, tally: TallyName, counts: Record<SubjectClass, number>): void {
    for (const cls of subjectClasses) Object.assign(this.change(enterprise, year, cls, tally), { set: counts[cls], delta: 0 });
  }

  /** Writes every change, in key order. */
  async flush(): Promise<void> {
    for (const key of [...this.changes.keys()].sort()) {
      const { enterprise, year, cls, tally, set, delta } = this.changes.get(key)!;
      if (set === null && delta === 0) continue;
      await this.tx.run(
        set === null
          ? `INSERT INTO subject_totals (enterprise, year, cls, tally, count) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (enterprise, year, cls, tally) DO UPDATE SET count = subject_totals.count + excluded.count`
          : `INSERT INTO subject_totals (enterprise, year, cls, tally, count) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (enterprise, year, cls, tally) DO UPDATE SET count = excluded.count`,
        [enterprise, year, cls, tally, (set ?? 0) + delta],
      );
    }
    this.changes.clear();
    this.stored.clear();
  }
}

export interface ReservationRow {
  enterprise: string;
  year: number;
  new_non_sensitive: number;
  new_sensitive: number;
  tally: string;
}

export async function pendingReservation(tx: SqlConn, decisionId: string): Promise<ReservationRow | null> {
  const rows = await tx.all<ReservationRow>(
    'SELECT enterprise, year, new_non_sensitive, new_sensitive, tally FROM subject_reservations WHERE decision_id = ?',
    [decisionId],
  );
  const row = rows[0];
  return row && row.tally === 'reserved' ? row : null;
}

export const delta = (row: ReservationRow, sign: 1 | -1): Record<SubjectClass, number> => ({
  nonSensitive: sign * Number(row.new_non_sensitive),
  sensitive: sign * Number(row.new_sensitive),
});

/** The transfer was sent (its first byte left): its people stay counted in `tally`. */
export async function settleIn(tx: SqlConn, totals: BatchTotals, decisionId: string, tally: Tally, settled: SettledClaims): Promise<void> {
  const row = await pendingReservation(tx, decisionId);
  if (!row) return;
  const claims = await tx.all<{ cls: SubjectClass; hash: string }>("UPDATE subject_claims SET tally = ? WHERE decision_id = ? AND tally = 'reserved' RETURNING cls, hash", [tally, decisionId]);
  for (const claim of claims) settled.add(row.enterprise, Number(row.year), claim.cls, claim.hash);
  totals.add(row.enterprise, Number(row.year), 'reserved', delta(row, -1));
  totals.add(row.enterprise, Number(row.year), tally, delta(row, 1));
  await tx.run('UPDATE subject_reservations SET tally = ? WHERE decision_id = ?', [tally, decisionId]);
}

/** Seeds the people counted before the gateway; a later import for the same year replaces it. */
export function importIn(totals: BatchTotals, enterprise: string, year: number, counts: Record<SubjectClass, number>): void {
  totals.replace(enterprise, year, 'imported', counts);
}

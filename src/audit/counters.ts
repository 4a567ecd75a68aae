/**
 * Distinct subjects per enterprise, calendar year and class (CLARIFICATIONS 3, 5, 7). Each
 * function runs inside the writer's transaction; the unique key of `subject_claims` decides who
 * counts a person first, on one node or many.
 */
import { subjectClasses, type SubjectClass } from '../domain.ts';
import type { SqlConn } from './sql.ts';
import type { ClassHash, CounterTotals, ReserveSubjectsInput, ReserveSubjectsResult, Tally, TallyName } from './types.ts';
import type { SubjectHashes } from './subject-key.ts';

const tallies: readonly TallyName[] = ['regulated', 'exempt', 'reserved', 'imported'];
// 6 parameters a row.
const claimsPerStatement = 2000;

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

function classesOf(subject: SubjectHashes): SubjectClass[] {
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

async function addToTotals(tx: SqlConn, enterprise: string, year: number, tally: TallyName, delta: Record<SubjectClass, number>): Promise<void> {
  for (const cls of subjectClasses) {
    if (delta[cls] === 0) continue;
    await tx.run(
      `INSERT INTO subject_totals (enterprise, year, cls, tally, count) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (enterprise, year, cls, tally) DO UPDATE SET count = subject_totals.count + excluded.count`,
      [enterprise, year, cls, tally, delta[cls]],
    );
  }
}

export async function reserveIn(tx: SqlConn, input: ReserveSubjectsInput): Promise<ReserveSubjectsResult> {
  const { enterprise, year, decisionId } = input;
  const people = normaliseSubjects(input.subjects);
  const claims = new Map<string, [SubjectClass, string]>();
  for (const person of people) {
    for (const cls of classesOf(person)) for (const hash of person.hashes) claims.set(`${cls}:${hash}`, [cls, hash]);
  }
  // One global order for the rows: concurrent transactions on several nodes then take the
  // unique-key locks in the same order and cannot deadlock.
  const ordered = [...claims.keys()].sort();
  const inserted = new Set<string>();
  for (let start = 0; start < ordered.length; start += claimsPerStatement) {
    const slice = ordered.slice(start, start + claimsPerStatement);
    const params: unknown[] = [];
    for (const key of slice) {
      const [cls, hash] = claims.get(key)!;
      params.push(enterprise, year, cls, hash, decisionId, 'reserved');
    }
    const rows = await tx.all<{ cls: string; hash: string }>(
      `INSERT INTO subject_claims (enterprise, year, cls, hash, decision_id, tally) VALUES ${slice.map(() => '(?,?,?,?,?,?)').join(',')}
       ON CONFLICT (enterprise, year, cls, hash) DO NOTHING RETURNING cls, hash`,
      params,
    );
    for (const row of rows) inserted.add(`${row.cls}:${row.hash}`);
  }
  // A person is new only if none of its hashes was seen before (CLARIFICATIONS 1); its other
  // hashes are still recorded, so a later transfer carrying only its mobile is recognised.
  const fresh: Record<SubjectClass, number> = { nonSensitive: input.unkeyed.nonSensitive, sensitive: input.unkeyed.sensitive };
  for (const person of people) {
    for (const cls of classesOf(person)) if (person.hashes.every((hash) => inserted.has(`${cls}:${hash}`))) fresh[cls] += 1;
  }
  await tx.run(
    `INSERT INTO subject_reservations (decision_id, enterprise, year, new_non_sensitive, new_sensitive, tally) VALUES (?, ?, ?, ?, ?, 'reserved')
     ON CONFLICT (decision_id) DO UPDATE SET new_non_sensitive = subject_reservations.new_non_sensitive + excluded.new_non_sensitive,
       new_sensitive = subject_reservations.new_sensitive + excluded.new_sensitive`,
    [decisionId, enterprise, year, fresh.nonSensitive, fresh.sensitive],
  );
  await addToTotals(tx, enterprise, year, 'reserved', fresh);
  const totals = await readTotals(tx, enterprise, year);
  const counts = Object.fromEntries(
    subjectClasses.map((cls) => [cls, { before: totals.total[cls] - fresh[cls], new: fresh[cls] }]),
  ) as ReserveSubjectsResult['counts'];
  return { counts, exemptBefore: { nonSensitive: totals.byTally.nonSensitive.exempt, sensitive: totals.byTally.sensitive.exempt } };
}

interface ReservationRow {
  enterprise: string;
  year: number;
  new_non_sensitive: number;
  new_sensitive: number;
  tally: string;
}

async function pendingReservation(tx: SqlConn, decisionId: string): Promise<ReservationRow | null> {
  const rows = await tx.all<ReservationRow>(
    'SELECT enterprise, year, new_non_sensitive, new_sensitive, tally FROM subject_reservations WHERE decision_id = ?',
    [decisionId],
  );
  const row = rows[0];
  return row && row.tally === 'reserved' ? row : null;
}

const delta = (row: ReservationRow, sign: 1 | -1): Record<SubjectClass, number> => ({
  nonSensitive: sign * Number(row.new_non_sensitive),
  sensitive: sign * Number(row.new_sensitive),
});

/** The transfer was sent (its first byte left): its people stay counted in `tally`. */
export async function settleIn(tx: SqlConn, decisionId: string, tally: Tally): Promise<void> {
  const row = await pendingReservation(tx, decisionId);
  if (!row) return;
  await tx.run("UPDATE subject_claims SET tally = ? WHERE decision_id = ? AND tally = 'reserved'", [tally, decisionId]);
  await addToTotals(tx, row.enterprise, row.year, 'reserved', delta(row, -1));
  await addToTotals(tx, row.enterprise, row.year, tally, delta(row, 1));
  await tx.run('UPDATE subject_reservations SET tally = ? WHERE decision_id = ?', [tally, decisionId]);
}

/** The transfer was not sent: drop only this decision's claims (CLARIFICATIONS 7). */
export async function releaseIn(tx: SqlConn, decisionId: string): Promise<void> {
  const row = await pendingReservation(tx, decisionId);
  if (!row) return;
  await tx.run("DELETE FROM subject_claims WHERE decision_id = ? AND tally = 'reserved'", [decisionId]);
  await addToTotals(tx, row.enterprise, row.year, 'reserved', delta(row, -1));
  await tx.run('DELETE FROM subject_reservations WHERE decision_id = ?', [decisionId]);
}

/** Seeds the people counted before the gateway; a later import for the same year replaces it. */
export async function importIn(tx: SqlConn, enterprise: string, year: number, counts: Record<SubjectClass, number>): Promise<void> {
  for (const cls of subjectClasses) {
    await tx.run(
      `INSERT INTO subject_totals (enterprise, year, cls, tally, count) VALUES (?, ?, ?, 'imported', ?)
       ON CONFLICT (enterprise, year, cls, tally) DO UPDATE SET count = excluded.count`,
      [enterprise, year, cls, counts[cls]],
    );
  }
}

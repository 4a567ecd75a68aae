/**
 * Claiming people for a transfer and giving them back (CLARIFICATIONS 1, 3, 7). The unique key
 * of `subject_claims` decides who counts a person first, on one node or many.
 *
 * A transfer that meets a person another transfer has only reserved does not count them: the
 * other one did. If that other transfer is then refused, its claims are handed to the transfers
 * that were waiting on them (`subject_waits`), so a person sent by someone is never left
 * uncounted because the one who saw them first was not sent.
 */
import { subjectClasses, type SubjectClass } from '../domain.ts';
import { classesOf, delta, normaliseSubjects, pendingReservation, tallies, type BatchTotals } from './counters.ts';
import type { SqlConn } from './sql.ts';
import type { SubjectHashes } from './subject-key.ts';
import type { ReserveSubjectsInput, ReserveSubjectsResult } from './types.ts';

// 6 parameters a row, well under both databases' limits.
const rowsPerStatement = 2000;

/**
 * Claims this writer saw settled. A settled claim is never deleted or handed on (release drops
 * only reserved ones), so a reservation meeting it again knows the answer — held, and sent —
 * without inserting it or looking up its holder: the same result for a recurring person at no
 * SQL cost. Entries are added inside the batch that settles them and the whole set is dropped
 * when a batch fails, so it never holds a claim a rolled-back batch settled.
 */
export class SettledClaims {
  // Hashes by class, so a recurring person is looked up without building its claim keys.
  private readonly byPair = new Map<string, Record<SubjectClass, Set<string>>>();
  private size = 0;

  // 200,000 claims ≈ 30 MB; past that the set starts over (forgetting is always safe).
  constructor(private readonly max = 200_000) {}

  /** The settled claims of an enterprise's year, hashes by class, if any are known. */
  of(enterprise: string, year: number): Readonly<Record<SubjectClass, ReadonlySet<string>>> | undefined {
    return this.byPair.get(`${enterprise}\u0000${year}`);
  }

  add(enterprise: string, year: number, cls: SubjectClass, hash: string): void {
    if (this.size >= this.max) this.clear();
    const pair = `${enterprise}\u0000${year}`;
    let claims = this.byPair.get(pair);
    if (!claims) this.byPair.set(pair, (claims = { nonSensitive: new Set(), sensitive: new Set() }));
    const hashes = claims[cls];
    const before = hashes.size;
    hashes.add(hash);
    this.size += hashes.size - before;
  }

  clear(): void {
    this.byPair.clear();
    this.size = 0;
  }
}

/** Who holds a claim a reservation did not get, and whether that holder was sent already. */
interface Holder {
  decisionId: string;
  tally: string;
}

/**
 * Everything a batch changes about the people of one (enterprise, year) happens under that
 * pair's lock: the batch first locks the totals rows of every pair it touches, in key order.
 * Nodes sharing a database so take turns per enterprise and can never deadlock, and what a
 * batch reads of the claims (who holds a person, who waits on one) stays true until it commits.
 */
export async function lockCounters(
  tx: SqlConn,
  dialect: 'sqlite' | 'postgres',
  batch: { reserve: ReserveSubjectsInput[]; decisions: string[]; imports: { enterprise: string; year: number }[] },
): Promise<void> {
  // SQLite has one writer at a time: only PostgreSQL needs the pairs locked.
  if (dialect !== 'postgres') return;
  const pairs = new Map<string, [string, number]>();
  const addPair = (enterprise: string, year: number) => pairs.set(`${enterprise}\u0000${year}`, [enterprise, year]);
  for (const input of batch.reserve) addPair(input.enterprise, input.year);
  for (const item of batch.imports) addPair(item.enterprise, item.year);
  for (let start = 0; start < batch.decisions.length; start += 500) {
    const slice = batch.decisions.slice(start, start + 500);
    const rows = await tx.all<{ enterprise: string; year: number }>(`SELECT enterprise, year FROM subject_reservations WHERE decision_id IN (${slice.map(() => '?').join(',')})`, slice);
    for (const row of rows) addPair(row.enterprise, Number(row.year));
  }
  if (pairs.size === 0) return;
  const keys = [...pairs.keys()].sort();
  const rows: unknown[] = [];
  for (const key of keys) {
    const [enterprise, year] = pairs.get(key)!;
    for (const cls of [...subjectClasses].sort()) for (const tally of [...tallies].sort()) rows.push(enterprise, year, cls, tally);
  }
  // Rows that do not exist yet cannot be locked: create them (in key order) first.
  await tx.run(
    `INSERT INTO subject_totals (enterprise, year, cls, tally, count) VALUES ${Array.from({ length: rows.length / 4 }, () => '(?,?,?,?,0)').join(',')}
     ON CONFLICT (enterprise, year, cls, tally) DO NOTHING`,
    rows,
  );
  await tx.all(
    `SELECT count FROM subject_totals WHERE (enterprise, year) IN (${keys.map(() => '(?,?)').join(',')}) ORDER BY enterprise, year, cls, tally FOR UPDATE`,
    keys.flatMap((key) => pairs.get(key)!),
  );
}

/** Claims the people of a transfer (under its pair's lock): inserts its claims, reports who holds the rest. */
async function claim(tx: SqlConn, input: ReserveSubjectsInput, claims: Map<string, [SubjectClass, string]>): Promise<{ inserted: Set<string>; holders: Map<string, Holder> }> {
  const { enterprise, year, decisionId } = input;
  const keys = [...claims.keys()];
  const inserted = new Set<string>();
  const holders = new Map<string, Holder>();
  for (let start = 0; start < keys.length; start += rowsPerStatement) {
    const slice = keys.slice(start, start + rowsPerStatement);
    const params = slice.flatMap((key) => [enterprise, year, ...claims.get(key)!, decisionId, 'reserved']);
    const rows = await tx.all<{ cls: string; hash: string }>(
      `INSERT INTO subject_claims (enterprise, year, cls, hash, decision_id, tally) VALUES ${slice.map(() => '(?,?,?,?,?,?)').join(',')}
       ON CONFLICT (enterprise, year, cls, hash) DO NOTHING RETURNING cls, hash`,
      params,
    );
    for (const row of rows) inserted.add(`${row.cls}\u0000${row.hash}`);
    // Keys someone else holds: whether they were sent decides if a person is known or waits.
    const held = slice.filter((key) => !inserted.has(key));
    if (held.length === 0) continue;
    const found = await tx.all<{ cls: string; hash: string; decision_id: string; tally: string }>(
      `SELECT cls, hash, decision_id, tally FROM subject_claims WHERE enterprise = ? AND year = ? AND (cls, hash) IN (${held.map(() => '(?,?)').join(',')})`,
      [enterprise, year, ...held.flatMap((key) => claims.get(key)!)],
    );
    for (const row of found) holders.set(`${row.cls}\u0000${row.hash}`, { decisionId: row.decision_id, tally: row.tally });
  }
  return { inserted, holders };
}

/**
 * Inside a batch after `lockCounters`: claims the transfer's people, counts who is new, reserves
 * them under `node`, the node deciding the transfer (which finishes it if it stops first).
 */
export async function reserveIn(tx: SqlConn, totals: BatchTotals, node: string, input: ReserveSubjectsInput, settled: SettledClaims): Promise<ReserveSubjectsResult> {
  const { enterprise, year, decisionId } = input;
  const people = normaliseSubjects(input.subjects);
  const claims = new Map<string, [SubjectClass, string]>();
  // Each person in each of its classes with its claim keys. One holding a claim this writer saw
  // settled is known already (someone sent them): only its other claims are still recorded.
  const open: { person: SubjectHashes; cls: SubjectClass; keys: string[] }[] = [];
  const settledHere = settled.of(enterprise, year);
  for (const person of people) {
    for (const cls of classesOf(person)) {
      const settledHashes = settledHere?.[cls];
      if (settledHashes && person.hashes.some((hash) => settledHashes.has(hash))) {
        for (const hash of person.hashes) if (!settledHashes.has(hash)) claims.set(`${cls}\u0000${hash}`, [cls, hash]);
        continue;
      }
      const keys: string[] = [];
      for (const hash of person.hashes) {
        const key = `${cls}\u0000${hash}`;
        keys.push(key);
        claims.set(key, [cls, hash]);
      }
      open.push({ person, cls, keys });
    }
  }
  const { inserted, holders } = await claim(tx, input, claims);
  // A person is new only if none of its hashes was seen before (CLARIFICATIONS 1); its other
  // hashes are still recorded, so a later transfer carrying only its mobile is recognised.
  const fresh: Record<SubjectClass, number> = { nonSensitive: input.unkeyed.nonSensitive, sensitive: input.unkeyed.sensitive };
  const waits: unknown[] = [];
  for (const { person, cls, keys } of open) {
    if (keys.every((key) => inserted.has(key))) {
      fresh[cls] += 1;
      continue;
    }
    const others = keys.flatMap((key) => {
      const holder = holders.get(key);
      return holder && holder.decisionId !== decisionId ? [holder] : [];
    });
    // Known already if anyone holding one of its hashes was sent; otherwise it waits on the
    // transfers holding them, which may yet be refused.
    if (others.length === 0 || others.some((holder) => holder.tally !== 'reserved')) continue;
    const id = [...person.hashes].sort()[0]!;
    for (const hash of person.hashes) waits.push(decisionId, id, enterprise, year, cls, hash);
  }
  for (let start = 0; start < waits.length; start += rowsPerStatement * 6) {
    const slice = waits.slice(start, start + rowsPerStatement * 6);
    await tx.run(
      `INSERT INTO subject_waits (decision_id, person, enterprise, year, cls, hash) VALUES ${Array.from({ length: slice.length / 6 }, () => '(?,?,?,?,?,?)').join(',')}
       ON CONFLICT (decision_id, cls, person, hash) DO NOTHING`,
      slice,
    );
  }
  await tx.run(
    `INSERT INTO subject_reservations (decision_id, enterprise, year, new_non_sensitive, new_sensitive, tally, node) VALUES (?, ?, ?, ?, ?, 'reserved', ?)
     ON CONFLICT (decision_id) DO UPDATE SET new_non_sensitive = subject_reservations.new_non_sensitive + excluded.new_non_sensitive,
       new_sensitive = subject_reservations.new_sensitive + excluded.new_sensitive`,
    [decisionId, enterprise, year, fresh.nonSensitive, fresh.sensitive, node],
  );
  totals.add(enterprise, year, 'reserved', fresh);
  const now = await totals.read(enterprise, year);
  const counts = Object.fromEntries(
    subjectClasses.map((cls) => [cls, { before: now.total[cls] - fresh[cls], new: fresh[cls] }]),
  ) as ReserveSubjectsResult['counts'];
  return { counts, exemptBefore: { nonSensitive: now.byTally.nonSensitive.exempt, sensitive: now.byTally.sensitive.exempt } };
}

interface WaitRow {
  decision_id: string;
  person: string;
  cls: string;
  hash: string;
  tally: string;
}

/** The transfer was not sent: drop its claims (CLARIFICATIONS 7), handing each to the first transfer waiting on it. */
export async function releaseIn(tx: SqlConn, totals: BatchTotals, decisionId: string): Promise<void> {
  const row = await pendingReservation(tx, decisionId);
  if (!row) return;
  const { enterprise } = row;
  const year = Number(row.year);
  const released = await tx.all<{ cls: string; hash: string }>("DELETE FROM subject_claims WHERE decision_id = ? AND tally = 'reserved' RETURNING cls, hash", [decisionId]);
  await tx.run('DELETE FROM subject_waits WHERE decision_id = ?', [decisionId]);
  totals.add(enterprise, year, 'reserved', delta(row, -1));
  await tx.run('DELETE FROM subject_reservations WHERE decision_id = ?', [decisionId]);

  const people = new Map<string, { decisionId: string; person: string; cls: SubjectClass; tally: string }>();
  for (let start = 0; start < released.length; start += 500) {
    const slice = released.slice(start, start + 500);
    // Waiters in the order they were decided (UUIDv7 ids sort by time); released ones are gone.
    const waiting = await tx.all<WaitRow>(
      `SELECT w.decision_id, w.person, w.cls, w.hash, r.tally FROM subject_waits w JOIN subject_reservations r ON r.decision_id = w.decision_id
       WHERE w.enterprise = ? AND w.year = ? AND (w.cls, w.hash) IN (${slice.map(() => '(?,?)').join(',')}) ORDER BY w.decision_id`,
      [enterprise, year, ...slice.flatMap((claim) => [claim.cls, claim.hash])],
    );
    const handed = new Set<string>();
    for (const wait of waiting) {
      const key = `${wait.cls}\u0000${wait.hash}`;
      if (handed.has(key)) continue;
      handed.add(key);
      await tx.run(
        'INSERT INTO subject_claims (enterprise, year, cls, hash, decision_id, tally) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (enterprise, year, cls, hash) DO NOTHING',
        [enterprise, year, wait.cls, wait.hash, wait.decision_id, wait.tally],
      );
      people.set(`${wait.decision_id}\u0000${wait.cls}\u0000${wait.person}`, { decisionId: wait.decision_id, person: wait.person, cls: wait.cls as SubjectClass, tally: wait.tally });
    }
  }
  // A waiting person whose every hash its transfer now holds was first seen by that transfer.
  for (const { decisionId: waiter, person, cls, tally } of people.values()) {
    const holders = await tx.all<{ decision_id: string | null; tally: string | null }>(
      `SELECT c.decision_id, c.tally FROM subject_waits w LEFT JOIN subject_claims c ON c.enterprise = w.enterprise AND c.year = w.year AND c.cls = w.cls AND c.hash = w.hash
       WHERE w.decision_id = ? AND w.person = ? AND w.cls = ?`,
      [waiter, person, cls],
    );
    const mine = holders.every((holder) => holder.decision_id === waiter);
    const known = holders.some((holder) => holder.decision_id !== waiter && holder.tally !== null && holder.tally !== 'reserved');
    if (!mine && !known) continue;
    await tx.run('DELETE FROM subject_waits WHERE decision_id = ? AND person = ? AND cls = ?', [waiter, person, cls]);
    if (!mine) continue;
    const one = { nonSensitive: cls === 'nonSensitive' ? 1 : 0, sensitive: cls === 'sensitive' ? 1 : 0 };
    await tx.run('UPDATE subject_reservations SET new_non_sensitive = new_non_sensitive + ?, new_sensitive = new_sensitive + ? WHERE decision_id = ?', [one.nonSensitive, one.sensitive, waiter]);
    totals.add(enterprise, year, tally as (typeof tallies)[number], one);
  }
}

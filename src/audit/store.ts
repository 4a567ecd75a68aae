/**
 * `openStore`: one node's view of the audit log and the counters, on SQLite or PostgreSQL.
 * Appends and counter changes go through the group-commit writer; reads use their own
 * connection; checkpoints are signed every N records or T ms and once more on close.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { isForwarded, subjectClasses } from '../domain.ts';
import { XborderError, isXborderError } from '../errors.ts';
import { loadSigningKey, signCheckpoint, type SignedCheckpoint, type SigningKey } from './checkpoint.ts';
import { countersIn } from './counters.ts';
import { Frontier, toHex } from './merkle.ts';
import { lockSqliteNode, type NodeLock } from './node-lock.ts';
import { queryRecords } from './query.ts';
import { newDecisionId, type AuditRecordInput, type DecisionRecord, type StoredRecord } from './records.ts';
import { migrate } from './schema.ts';
import { openPostgres, openSqlite, type SqlConn, type SqlDriver } from './sql.ts';
import { SubtreeHashes } from './subtrees.ts';
import type { AppendResult, AuditStore, CounterImport, OpenStoreOptions, RecoveredTransfers, ReservePeopleInput, ReserveSubjectsInput, ReserveSubjectsResult, Tally } from './types.ts';
import { GroupCommit, insertCheckpoint, loadTreeState, type CheckpointMark, type Writer, type WriterOp } from './writer.ts';
import { startWriterThread } from './writer-client.ts';

const nodeIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

const sqliteFile = (options: Pick<OpenStoreOptions, 'sqliteFile'>, dataDir: string) => options.sqliteFile ?? join(dataDir, 'xborder.db');

export async function openDriver(options: Pick<OpenStoreOptions, 'databaseUrl' | 'schema' | 'dataDir' | 'sqliteFile'> & { nodeId?: string }): Promise<SqlDriver> {
  try {
    const driver = options.databaseUrl
      ? await openPostgres(options.databaseUrl, options.schema, options.nodeId)
      : openSqlite(sqliteFile(options, options.dataDir ?? './data'));
    await migrate(driver);
    return driver;
  } catch (cause) {
    if (cause instanceof XborderError) throw cause;
    throw new XborderError('XB_ERR_AUDIT_UNAVAILABLE', `xborder: cannot open the audit store: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

interface CheckpointRow {
  node: string;
  size: number;
  root: string;
  time: string;
  kid: string;
  jws: string;
}

const toCheckpoint = (row: CheckpointRow): SignedCheckpoint => ({
  origin: row.node,
  size: Number(row.size),
  root: row.root,
  time: row.time,
  kid: row.kid,
  jws: row.jws,
});

async function checkSubjectKey(driver: SqlDriver, fingerprint: string): Promise<void> {
  await driver.transaction(async (tx) => {
    await tx.run('INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', ['subject-key-fingerprint', fingerprint]);
    const rows = await tx.all<{ value: string }>('SELECT value FROM store_meta WHERE key = ?', ['subject-key-fingerprint']);
    if (rows[0]?.value !== fingerprint) {
      throw new XborderError('XB_ERR_SUBJECT_KEY_MISMATCH', 'xborder: the subject key differs from the one this store was counted with; every person would look new. Restore the original key.');
    }
  });
}

export async function openStore(options: OpenStoreOptions): Promise<AuditStore> {
  const { nodeId, dataDir = './data', checkpointEvery = 1000, checkpointIntervalMs = 1000, clock = () => new Date(), readOnly = false } = options;
  if (!nodeIdPattern.test(nodeId)) throw new XborderError('XB_ERR_CONFIG_INVALID', `xborder: nodeId "${nodeId}" must match ${nodeIdPattern}`);
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) throw new XborderError('XB_ERR_CONFIG_INVALID', 'xborder: checkpointEvery must be a positive integer');
  const driver = await openDriver({ ...options, dataDir });
  let nodeLock: NodeLock | null = null;
  let store: Store | null = null;
  try {
    if (options.subjectKey) await checkSubjectKey(driver, options.subjectKey.fingerprint);
    if (driver.dialect === 'postgres' && !readOnly) {
      // Two processes writing one node's tree would fork it: the second refuses to start.
      const pgDriver = driver as Awaited<ReturnType<typeof openPostgres>>;
      const lock = await pgDriver.writerClient.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext('xborder-node:' || current_schema()), hashtext($1)) AS ok", [nodeId]);
      if (!lock.rows[0]?.ok) throw new XborderError('XB_ERR_CONFIG_INVALID', `xborder: another process is already running node "${nodeId}" on this database`);
    }
    if (driver.dialect === 'sqlite' && !readOnly) nodeLock = lockSqliteNode(sqliteFile(options, dataDir), nodeId);
    const key = readOnly ? null : await loadSigningKey(dataDir, nodeId);
    if (key) {
      await driver.transaction((tx) =>
        tx.run('INSERT INTO audit_keys (kid, node, jwk, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING', [
          key.kid, nodeId, JSON.stringify(key.publicJwk), clock().toISOString(),
        ]),
      );
    }
    const onCommitted = (_head: CheckpointMark, marks: CheckpointMark[]) => store?.signMarks(marks);
    let writer: Writer;
    const subjectKey = options.subjectKey ?? null;
    if (readOnly) writer = new GroupCommit(driver, nodeId, { frontier: new Frontier(), zoneSeq: new Map() }, checkpointEvery, onCommitted);
    else if (driver.dialect === 'sqlite') {
      // SQLite's synchronous INSERTs and COMMITs run in their own thread (writer-thread.ts).
      writer = await startWriterThread({ file: sqliteFile(options, dataDir), nodeId, checkpointEvery, subjectSecret: subjectKey?.secret ?? null }, onCommitted);
    } else writer = new GroupCommit(driver, nodeId, await loadTreeState(driver.reader, nodeId), checkpointEvery, onCommitted, subjectKey);
    store = new Store(driver, writer, nodeId, key, { checkpointIntervalMs, clock, releaseNode: () => nodeLock?.release() });
    if (!readOnly) await store.recoverUnfinished();
    return store;
  } catch (error) {
    // Once the store exists, closing it stops its writer and releases the node and the driver.
    if (store) {
      await store.close();
      throw error;
    }
    nodeLock?.release();
    await driver.close();
    throw error;
  }
}

/** The outcome record's `error` of a transfer the node stopped in the middle of (recoverUnfinished). */
export const outcomeUnknown = 'OUTCOME_UNKNOWN_NODE_STOPPED';

const recentDecisions = (): LRUCache<string, { enterprise: string; zone: DecisionRecord['zone']; destination: string }> => new LRUCache({ max: 50_000 });

/** How long the readiness ping waits for the database: under the 1 s after which Kubernetes gives up on a probe, so `/readyz` still answers why. */
const pingTimeoutMs = 800;

/** How long a proof of another node's record waits for that node to sign it: twice the default interval. */
const otherNodeSigningWaitMs = 2000;

class Store implements AuditStore {
  readonly dialect: 'sqlite' | 'postgres';
  readonly recovered: RecoveredTransfers = { settled: 0, released: 0 };
  private readonly subtrees: SubtreeHashes;
  private readonly decisions = recentDecisions();
  private lastCheckpointSize = -1;
  private signing: Promise<unknown> = Promise.resolve();
  private writerClosed = false;
  private readonly timer: NodeJS.Timeout | null;
  private closed = false;

  constructor(
    private readonly driver: SqlDriver,
    private readonly writer: Writer,
    readonly nodeId: string,
    private readonly key: SigningKey | null,
    private readonly settings: { checkpointIntervalMs: number; clock: () => Date; releaseNode: () => void },
  ) {
    this.dialect = driver.dialect;
    this.subtrees = new SubtreeHashes(driver.reader);
    this.timer =
      key && settings.checkpointIntervalMs > 0
        ? setInterval(() => void this.checkpointNow().catch(() => {}), settings.checkpointIntervalMs).unref()
        : null;
  }

  /** Signs the tree at each multiple of `checkpointEvery` a committed batch reached. */
  signMarks(marks: CheckpointMark[]): void {
    for (const mark of marks) void this.enqueueSigning(() => mark).catch(() => {});
  }

  /**
   * The record as the writer will validate it (for SQLite in its thread or on this one,
   * whichever is less busy: prepare-share.ts). An outcome carries its decision's enterprise and
   * zone so zone queries and sequences include it.
   */
  private async completed(input: AuditRecordInput): Promise<AuditRecordInput> {
    if (input.kind !== 'outcome' || (input.enterprise !== undefined && input.zone !== undefined)) return input;
    const known = this.decisions.get(input.decisionId) ?? (await this.decisionMeta(input.decisionId));
    return known ? { ...input, enterprise: input.enterprise ?? known.enterprise, zone: input.zone ?? known.zone, destination: input.destination ?? known.destination } : input;
  }

  /** A committed decision's enterprise, zone and destination, for the outcome that follows it. */
  private remember(input: AuditRecordInput): void {
    if (input.kind === 'decision') this.decisions.set(input.decisionId, { enterprise: input.enterprise, zone: input.zone, destination: input.destination });
  }

  private async decisionMeta(decisionId: string): Promise<{ enterprise: string; zone: DecisionRecord['zone']; destination: string } | undefined> {
    const record = await this.getRecord(decisionId);
    return record?.kind === 'decision' ? { enterprise: record.enterprise, zone: record.zone, destination: record.destination } : undefined;
  }

  private writable(): void {
    if (!this.key) throw new XborderError('XB_ERR_CONFIG_INVALID', 'xborder: this audit store was opened read-only');
  }

  async append(input: AuditRecordInput): Promise<AppendResult> {
    this.writable();
    const [appended] = await this.writer.submit([{ op: 'record', input: await this.completed(input) }]);
    this.remember(input);
    return appended as AppendResult;
  }

  /**
   * Finishes the transfers this node left open when it stopped (killed, or its store failing
   * between a decision and its outcome), whose people would otherwise stay `reserved` for good:
   * counted, and holding up every transfer that meets them (claims.ts). None of this node's
   * transfers is in flight now: the node lock is held. Nothing is forwarded before its decision
   * record is on disk, so a reservation without one, or whose decision was not to forward
   * (isForwarded), was never sent: released. One decided to go may have left: its people count (CLARIFICATIONS 7 counts a
   * transfer whose first byte left; counting is the safe side of the thresholds), and its
   * outcome record says the outcome is unknown. All are submitted at once, oldest first, so
   * group commit takes them in a few transactions, in the order waiting transfers were queued.
   */
  async recoverUnfinished(): Promise<void> {
    const open = await this.driver.reader.all<{ decision_id: string }>(
      "SELECT decision_id FROM subject_reservations WHERE node = ? AND tally = 'reserved' ORDER BY decision_id",
      [this.nodeId],
    );
    const records = await Promise.all(open.map(({ decision_id: decisionId }) => this.getRecord(decisionId)));
    const at = this.settings.clock();
    const endings = open.map(({ decision_id: decisionId }, i) => {
      const record = records[i];
      if (record?.kind !== 'decision' || !isForwarded(record.decision, record.enforced, record.masking !== null)) {
        this.recovered.released += 1;
        return this.writer.submit([{ op: 'release', decisionId }]);
      }
      this.recovered.settled += 1;
      const { enterprise, zone, destination } = record;
      const outcome: AuditRecordInput = { kind: 'outcome', decisionId, at, status: null, error: outcomeUnknown, latencyMs: 0, bytesReturned: 0, enterprise, zone, destination };
      return this.writer.submit([{ op: 'settle', decisionId, tally: record.tally ?? 'regulated' }, { op: 'record', input: outcome }]);
    });
    await Promise.all(endings);
  }

  async reserveSubjects(input: ReserveSubjectsInput) {
    this.writable();
    for (const cls of subjectClasses) {
      if (!Number.isInteger(input.unkeyed[cls]) || input.unkeyed[cls] < 0) throw new XborderError('XB_ERR_BAD_INPUT', `xborder: unkeyed.${cls} must be a count`);
    }
    const [reserved] = await this.writer.submit([{ op: 'reserve', input }]);
    return reserved as ReserveSubjectsResult;
  }

  async reservePeople(input: ReservePeopleInput): Promise<ReserveSubjectsResult> {
    this.writable();
    const [reserved] = await this.writer.submit([{ op: 'reserve-people', input }]);
    return reserved as ReserveSubjectsResult;
  }

  async settleSubjects(decisionId: string, tally: 'regulated' | 'exempt'): Promise<void> {
    this.writable();
    await this.writer.submit([{ op: 'settle', decisionId, tally }]);
  }

  async releaseSubjects(decisionId: string): Promise<void> {
    this.writable();
    await this.writer.submit([{ op: 'release', decisionId }]);
  }
  async finishTransfer(decisionId: string, settlement: Tally | 'release', outcome: AuditRecordInput): Promise<AppendResult> {
    this.writable();
    const input = await this.completed(outcome);
    const counted: WriterOp = settlement === 'release' ? { op: 'release', decisionId } : { op: 'settle', decisionId, tally: settlement };
    const [, appended] = await this.writer.submit([counted, { op: 'record', input }]);
    return appended as AppendResult;
  }


  counters(enterprise: string, year: number) {
    return countersIn(this.driver.reader, enterprise, year);
  }

  async importCounters(input: CounterImport): Promise<AppendResult> {
    this.writable();
    const record: AuditRecordInput = {
      kind: 'counter-import',
      decisionId: newDecisionId(input.at ?? this.settings.clock()),
      at: input.at ?? this.settings.clock(),
      enterprise: input.enterprise,
      zone: input.zone ?? null,
      year: input.year,
      counts: { nonSensitive: input.counts.nonSensitive, sensitive: input.counts.sensitive },
      reason: input.reason ?? null,
    };
    const [, appended] = await this.writer.submit([
      { op: 'import', enterprise: input.enterprise, year: input.year, counts: { nonSensitive: input.counts.nonSensitive, sensitive: input.counts.sensitive } },
      { op: 'record', input: record },
    ]);
    return appended as AppendResult;
  }

  failure(): XborderError | null {
    return this.writer.stopped();
  }

  async ping(): Promise<void> {
    const stopped = this.writer.stopped();
    if (stopped) throw stopped;
    let timer: NodeJS.Timeout | undefined;
    // A database whose host vanished without a reset leaves the query waiting until TCP gives
    // up, minutes later; readiness must be answered well within a probe's own timeout.
    const unanswered = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${pingTimeoutMs} ms`)), pingTimeoutMs);
    });
    try {
      // The race also bounds the wait for a free connection, which the pool times out only after 5 s.
      await Promise.race([this.driver.ping(pingTimeoutMs), unanswered]);
    } catch (cause) {
      throw new XborderError('XB_ERR_AUDIT_UNAVAILABLE', 'xborder: the audit store does not answer', { cause });
    } finally {
      clearTimeout(timer);
    }
  }

  query(filter: Parameters<AuditStore['query']>[0], page: Parameters<AuditStore['query']>[1]) {
    return queryRecords(this.driver.reader, filter, page);
  }

  async getRecord(id: string): Promise<StoredRecord | null> {
    const byId = /^(.+):(\d+)$/.exec(id);
    // A leaf past 2^53 exists nowhere, and PostgreSQL fails the query on it beyond BIGINT.
    if (byId && !Number.isSafeInteger(Number(byId[2]))) return null;
    const rows = byId
      ? await this.driver.reader.all<{ body: string }>('SELECT body FROM audit_records WHERE node = ? AND leaf_index = ?', [byId[1], Number(byId[2])])
      : await this.driver.reader.all<{ body: string }>("SELECT body FROM audit_records WHERE decision_id = ? ORDER BY CASE kind WHEN 'decision' THEN 0 ELSE 1 END LIMIT 1", [id]);
    return rows[0] ? (JSON.parse(rows[0].body) as StoredRecord) : null;
  }

  async checkpoints(node?: string): Promise<SignedCheckpoint[]> {
    const rows = node
      ? await this.driver.reader.all<CheckpointRow>('SELECT * FROM audit_checkpoints WHERE node = ? ORDER BY size', [node])
      : await this.driver.reader.all<CheckpointRow>('SELECT * FROM audit_checkpoints ORDER BY node, size');
    return rows.map(toCheckpoint);
  }

  async latestCheckpoint(node: string): Promise<SignedCheckpoint | null> {
    const rows = await this.driver.reader.all<CheckpointRow>('SELECT * FROM audit_checkpoints WHERE node = ? ORDER BY size DESC LIMIT 1', [node]);
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }

  /** Signs the committed tree now if it grew since the last checkpoint. */
  checkpointNow(): Promise<SignedCheckpoint | null> {
    return this.enqueueSigning(() => this.writer.head());
  }

  /** Signing is serialised so checkpoints are stored in increasing size. */
  private enqueueSigning(mark: () => CheckpointMark): Promise<SignedCheckpoint | null> {
    if (!this.key) return Promise.resolve(null);
    const next = this.signing.then(async () => {
      if (this.lastCheckpointSize < 0) this.lastCheckpointSize = (await this.latestCheckpoint(this.nodeId))?.size ?? 0;
      const { size, root } = mark();
      if (size <= this.lastCheckpointSize) return null;
      const signed = await signCheckpoint(this.key!, { origin: this.nodeId, size, root: toHex(root), time: this.settings.clock().toISOString() });
      const insert = (tx: SqlConn) => insertCheckpoint(tx, signed);
      // After close() the writer is gone; the final checkpoint goes straight to the database.
      if (this.writerClosed) await this.driver.transaction(insert);
      else {
        await this.writer.submit([{ op: 'checkpoint', checkpoint: signed }]).catch((error: unknown) => {
          if (isXborderError(error, 'XB_ERR_SHUTTING_DOWN')) return this.driver.transaction(insert);
          throw error;
        });
      }
      this.lastCheckpointSize = size;
      return signed;
    });
    this.signing = next.catch(() => null);
    return next;
  }

  async inclusionProof(id: string) {
    const record = await this.getRecord(id);
    if (!record) throw new XborderError('XB_ERR_NOT_FOUND', `xborder: no audit record ${id}`);
    const covers = (checkpoint: SignedCheckpoint | null): checkpoint is SignedCheckpoint => checkpoint !== null && checkpoint.size > record.leafIndex;
    let checkpoint = await this.latestCheckpoint(record.node);
    if (!covers(checkpoint) && record.node === this.nodeId) checkpoint = await this.checkpointNow();
    // Another node signs within its checkpoint interval (1 s by default): a record it has just
    // written is proven once it has, rather than answered as having no proof.
    for (const asked = performance.now(); !covers(checkpoint) && record.node !== this.nodeId && performance.now() - asked < otherNodeSigningWaitMs; ) {
      await sleep(100);
      checkpoint = await this.latestCheckpoint(record.node);
    }
    if (!covers(checkpoint)) {
      throw new XborderError(
        'XB_ERR_NOT_FOUND',
        `xborder: record ${record.id} is not yet covered by a signed checkpoint of node ${record.node}; a running node signs within its checkpoint interval, so if this persists the node is stopped`,
      );
    }
    const leaf = await this.subtrees.leaf(record.node, record.leafIndex);
    return {
      recordId: record.id,
      decisionId: record.decisionId,
      node: record.node,
      leafIndex: record.leafIndex,
      treeSize: checkpoint.size,
      leafHash: toHex(leaf),
      auditPath: await this.subtrees.inclusionPath(record.node, record.leafIndex, checkpoint.size),
      root: checkpoint.root,
      checkpoint,
      record,
    };
  }

  consistencyProof(node: string, from: number, to: number): Promise<string[]> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) {
      return Promise.reject(new XborderError('XB_ERR_BAD_INPUT', `xborder: no consistency proof from ${from} to ${to}`));
    }
    return this.subtrees.consistencyPath(node, from, to);
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const rows = await this.driver.reader.all<{ jwk: string; node: string; created_at: string }>('SELECT jwk, node, created_at FROM audit_keys ORDER BY node, created_at');
    return { keys: rows.map((row) => ({ ...(JSON.parse(row.jwk) as JWK), 'xborder-node': row.node, 'xborder-created': row.created_at })) };
  }

  async nodes(): Promise<string[]> {
    const rows = await this.driver.reader.all<{ node: string }>('SELECT DISTINCT node FROM audit_records UNION SELECT DISTINCT node FROM audit_keys ORDER BY node');
    return rows.map((row) => row.node);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      await this.writer.close().catch(() => {});
      this.writerClosed = true;
      // The final checkpoint covers everything committed, so a clean stop leaves nothing unsigned.
      await this.checkpointNow().catch(() => null);
      await this.signing;
    } finally {
      await this.driver.close();
      this.settings.releaseNode();
    }
  }
}

/** The audit store's public contract (brief: "audit (src/audit/index.ts)"). */
import type { JWK } from 'jose';
import type { SubjectClass, SubjectCounts, Zone } from '../domain.ts';
import type { XborderError } from '../errors.ts';
import type { SignedCheckpoint } from './checkpoint.ts';
import type { AuditRecordInput, StoredRecord } from './records.ts';
import type { SubjectHashes, SubjectKey } from './subject-key.ts';

export interface OpenStoreOptions {
  nodeId: string;
  /** Where SQLite's `xborder.db` and the node's signing key live. Default `./data`. */
  dataDir?: string;
  /** `postgres://…` selects PostgreSQL (several nodes sharing one database). */
  databaseUrl?: string;
  /** PostgreSQL schema (created when missing); tests use one per file. */
  schema?: string;
  /** Sign a checkpoint every this many records (default 1,000) … */
  checkpointEvery?: number;
  /** … or this often when records are waiting (default 1,000 ms; 0 turns the timer off). */
  checkpointIntervalMs?: number;
  clock?: () => Date;
  /** When given, its fingerprint is stored on first open and checked on every later one. */
  subjectKey?: SubjectKey;
  /** SQLite only: the file (default `dataDir/xborder.db`). */
  sqliteFile?: string;
  /** Open for reading and verifying only: no signing key, no writer state (the CLI). */
  readOnly?: boolean;
}

export interface AppendResult {
  id: string;
  node: string;
  leafIndex: number;
  seq: number;
  leafHash: string;
}

export type Tally = 'regulated' | 'exempt';

/** A subject as `{ cls, hash }` (the brief's first shape) is accepted too; see `SubjectHashes`. */
export interface ClassHash {
  cls: SubjectClass;
  hash: string;
}

export interface ReserveSubjectsInput {
  enterprise: string;
  year: number;
  decisionId: string;
  /** One entry per person with ALL its identifier hashes: new only if none was seen (CLARIFICATIONS 1). */
  subjects: readonly (SubjectHashes | ClassHash)[];
  /** People with personal information but no identifier: counted, never de-duplicated. */
  unkeyed: Record<SubjectClass, number>;
}

/** One person of a transfer as detect found them: identifiers not yet hashed. */
export interface PersonIdentifiers {
  identifiers: readonly string[];
  sensitive: boolean;
}

/** A reservation of people whose identifiers the store hashes with its subject key. */
export interface ReservePeopleInput {
  enterprise: string;
  year: number;
  decisionId: string;
  people: readonly PersonIdentifiers[];
}

export interface ReserveSubjectsResult {
  /** `before` includes the exempt tally, imports and other pending reservations; `new` is this transfer's. */
  counts: SubjectCounts;
  /** The exempt tally inside `before`, for callers whose policy excludes it (CLARIFICATIONS 5). */
  exemptBefore: Record<SubjectClass, number>;
}

export type TallyName = 'regulated' | 'exempt' | 'reserved' | 'imported';

export interface CounterTotals {
  enterprise: string;
  year: number;
  /** Distinct people per class, all tallies together (what the thresholds compare against). */
  total: Record<SubjectClass, number>;
  byTally: Record<SubjectClass, Record<TallyName, number>>;
}

export interface CounterImport {
  enterprise: string;
  year: number;
  counts: Record<SubjectClass, number>;
  reason?: string | null;
  zone?: Zone | null;
  at?: Date;
}

export interface AuditQuery {
  enterprise?: string;
  zone?: Zone | Zone[];
  destination?: string;
  decision?: string;
  dataType?: string;
  mechanism?: string;
  node?: string;
  decisionId?: string;
  kind?: StoredRecord['kind'];
  /** Inclusive lower bound, exclusive upper bound on `at`. */
  from?: Date | string;
  to?: Date | string;
}

export interface InclusionProof {
  recordId: string;
  decisionId: string;
  node: string;
  leafIndex: number;
  treeSize: number;
  /** SHA-256(0x00 ‖ canonical record), hex. */
  leafHash: string;
  /** RFC 9162 §2.1.3 audit path, hex, leaf side first. */
  auditPath: string[];
  root: string;
  checkpoint: SignedCheckpoint;
  /** The record itself, so the leaf hash can be recomputed. */
  record: StoredRecord;
}

/** Transfers this node had not finished when it last stopped, finished as the store opened. */
export interface RecoveredTransfers {
  /** Decided to go and maybe sent: their people counted, an outcome record saying the outcome is unknown. */
  settled: number;
  /** Never sent (no decision record, or a deny): their people released. */
  released: number;
}

export interface AuditStore {
  readonly nodeId: string;
  readonly dialect: 'sqlite' | 'postgres';
  /** What opening the store found unfinished (store.ts, recoverUnfinished); zeros when read-only. */
  readonly recovered: RecoveredTransfers;
  append(record: AuditRecordInput): Promise<AppendResult>;
  reserveSubjects(input: ReserveSubjectsInput): Promise<ReserveSubjectsResult>;
  /**
   * The same for people as detect found them: their identifiers are hashed with the store's
   * subject key where its writer runs (the SQLite writer thread), so neither the hashing nor
   * the hashes burden the caller's thread. Needs a store opened with `subjectKey`.
   */
  reservePeople(input: ReservePeopleInput): Promise<ReserveSubjectsResult>;
  settleSubjects(decisionId: string, tally: Tally): Promise<void>;
  releaseSubjects(decisionId: string): Promise<void>;
  /**
   * A forwarded transfer's end in one transaction: its reservation settled into `settlement`
   * (the first byte left) or released (nothing left), and its outcome record appended.
   */
  finishTransfer(decisionId: string, settlement: Tally | 'release', outcome: AuditRecordInput): Promise<AppendResult>;
  counters(enterprise: string, year: number): Promise<CounterTotals>;
  /** Sets the imported tally of (enterprise, year) and appends a `counter-import` record, in one transaction. */
  importCounters(input: CounterImport): Promise<AppendResult>;
  /** Rejects unless the store can write now (XB_ERR_AUDIT_UNAVAILABLE). */
  ping(): Promise<void>;
  /**
   * Why this store can never write again in this process (its writer thread died, a WAL fsync
   * failed, its PostgreSQL writer connection was lost), or null. Only a restart recovers.
   */
  failure(): XborderError | null;
  query(filter: AuditQuery, page: { cursor?: string | null; limit: number }): Promise<{ records: StoredRecord[]; nextCursor: string | null }>;
  /** By record id (`node:leafIndex`) or by decision id (then the decision record). */
  getRecord(id: string): Promise<StoredRecord | null>;
  checkpoints(node?: string): Promise<SignedCheckpoint[]>;
  latestCheckpoint(node: string): Promise<SignedCheckpoint | null>;
  /** Signs a checkpoint of this node's committed records now (if any since the last). */
  checkpointNow(): Promise<SignedCheckpoint | null>;
  inclusionProof(recordIdOrDecisionId: string): Promise<InclusionProof>;
  consistencyProof(node: string, from: number, to: number): Promise<string[]>;
  /** Every node's public keys, current and past, with `kid`. */
  jwks(): Promise<{ keys: JWK[] }>;
  nodes(): Promise<string[]>;
  close(): Promise<void>;
}

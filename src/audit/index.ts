/**
 * The audit concern's whole public face: the tamper-evident log (records, Merkle tree, signed
 * checkpoints, proofs), the subject counters, and the offline checks a regulator runs.
 */
export { openStore, outcomeUnknown } from './store.ts';
export type {
  AppendResult,
  AuditQuery,
  AuditStore,
  ClassHash,
  CounterImport,
  CounterTotals,
  InclusionProof,
  OpenStoreOptions,
  PersonIdentifiers,
  RecoveredTransfers,
  ReservePeopleInput,
  ReserveSubjectsInput,
  ReserveSubjectsResult,
  Tally,
  TallyName,
} from './types.ts';
export {
  auditRecordSchema,
  counterImportRecordSchema,
  decisionRecordSchema,
  findingSummarySchema,
  newDecisionId,
  outcomeRecordSchema,
  storedRecordSchema,
} from './records.ts';
export type {
  AuditRecord,
  AuditRecordInput,
  CounterImportRecord,
  DecisionRecord,
  FindingSummary,
  OutcomeRecord,
  StoredRecord,
} from './records.ts';
export { hashSubjects, loadSubjectKey } from './subject-key.ts';
export type { HashedSubjects, SubjectHashes, SubjectKey } from './subject-key.ts';
export { signedCheckpointSchema, verifyCheckpoint } from './checkpoint.ts';
export type { CheckpointClaims, PublicKeyEntry, SignedCheckpoint } from './checkpoint.ts';
export {
  consistencyRanges,
  emptyTreeHash,
  inclusionRanges,
  leafHash,
  nodeHash,
  recordLeafHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';
export { csvColumns, formatRecords, iterateRecords, timeBound } from './query.ts';
export { verifyStore } from './sources.ts';
export { formatReport, verifyLog } from './verify.ts';
export type { NodeReport, VerifyFailure, VerifyReport, VerifySource } from './verify.ts';
export { verifyExport, writeExport } from './export.ts';

import type { DataType, Grade, SensitiveCategory } from '../domain.ts';

/** One data type found in a transfer. Never holds a raw value (DESIGN.md §4, issue 2 point 6). */
export interface Finding {
  type: DataType;
  /** Occurrences: values found, or for a category the values/fields that carry it (CLARIFICATIONS 2). */
  count: number;
  /** True for a PIPL Art. 28 category, and for a type the policy marks sensitive. */
  sensitive: boolean;
  grade: Grade;
  /** Up to 5 field paths, in the styles index.ts lists (`$.orders[*].buyer.idNo`, `$[*].身份证号`, `text`, `form.idNo`). */
  paths: string[];
  /** Why it was found: the detector, the dictionary entry or the hotword. */
  why: string[];
  /** Values that fail validation but keep a known suspicious shape (early Fujian USCCs). */
  suspect?: number;
  /**
   * `cn_resident_id` only: how many of the values carry a Taiwan, Hong Kong or Macao prefix (71, 81, 82,
   * 83 — residents outside the mainland). Policy reads a missing value as 0 (all mainland), the strict
   * reading of Art. 4 (CLARIFICATIONS 10). Added by policy; detect fills it when it can.
   */
  nonMainland?: number;
}

export interface ScanResult {
  bytes: number;
  records: number;
  /** Distinct people (CLARIFICATIONS 1): de-duplicated by identifier inside this transfer. */
  subjects: number;
  sensitiveSubjects: number;
  /** Identifiable individuals: people (CLARIFICATIONS 1) whose name sits beside an identifier in the same object or row. */
  identifiable: number;
  /** null when the body parsed as its content type; otherwise why it did not (it was scanned as text). */
  parseError: string | null;
  /** Set when the body could not be inspected at all (binary, over the cap). */
  unscanned: { reason: 'binary' | 'too-large'; bytes: number } | null;
  contentType: string;
  findings: Finding[];
}

/** One person of the transfer, for the counters. Identifiers are normalised (`cn_resident_id:110105…`), never hashed here. */
export interface SubjectEvidence {
  identifiers: string[];
  sensitive: boolean;
  categories: SensitiveCategory[];
}

/** Where a value sits in the decoded body, so the masker can rewrite it. */
export interface ValueSpan {
  type: DataType;
  /** Path of the field (as in `Finding.paths`, but with real indexes). */
  path: string;
  /** UTF-16 offsets in the decoded text body. */
  start: number;
  end: number;
}

/**
 * What the gateway needs besides the public result: subjects for the counters and value spans
 * for masking. Kept off the public result so it never reaches logs, JSON output or the audit log.
 */
export interface ScanEvidence {
  subjects: SubjectEvidence[];
  spans: ValueSpan[];
  /** The decoded text that `spans` index into (null for binary bodies). */
  text: string | null;
}

export interface ScanOptions {
  contentType?: string;
  contentEncoding?: string;
  /** The scan date (minors are computed against it). Defaults to now. */
  at?: Date;
  /** Whether a bare resident ID number makes its holder a sensitive subject. Default false (TC260-PG-20244A, GB/T 45574-2025). */
  bareResidentIdSensitive?: boolean;
  /** Cap on the decoded body size in bytes (gzip bombs). Default 64 MiB. */
  maxDecodedBytes?: number;
}

// ---- Internal contract between the value detectors (values.ts, dictionary.ts) and the walkers ----

/** One validated value, with its byte offsets in the scanned UTF-8 bytes (UTF-16 offsets from the string form `findValues`). */
export interface ValueHit {
  type: import('../domain.ts').ValueType;
  start: number;
  end: number;
  /**
   * Normalised identifier (`cn_resident_id:110105194912310021`, `cn_mobile:13812345678`) when the
   * caller asked for strings; null for values that do not identify a person (ipv4, geo, uscc, plate).
   */
  identifier: string | null;
  /** Fingerprint of the normalised identifier (subjects.ts); 0 for values that identify no one. */
  fp: number;
  /** Which validation or context produced it, for `Finding.why` ("GB 11643 check digit", "hotword 身份证号码"). */
  why: string;
  /** A value that failed validation but has a known legacy shape (early Fujian USCC `9135…M…`). */
  suspect?: boolean;
  /** A resident ID whose holder is under 14 on the scan date. */
  minor?: boolean;
  /** A resident ID of a Taiwan, Hong Kong or Macao resident (prefix 71, 81, 82, 83). */
  nonMainland?: boolean;
  /** Decimal places of a geo coordinate. */
  precision?: number;
}

/** What a field name (JSON key, CSV header, form key) tells about its values. */
export interface FieldMeaning {
  /** The dictionary entry that matched, for `Finding.why` ("field 身份证号"). */
  entry: string;
  /** The value type the field holds: raises weak formats to confident, and marks a column even when its values are tokens. */
  valueType?: import('../domain.ts').ValueType;
  /** A sensitive PI category the field carries (PIPL Art. 28). */
  category?: SensitiveCategory;
  /** Non-sensitive PI carried by the field name alone. */
  personal?: import('../domain.ts').PersonalFieldType;
}

/**
 * The shared vocabulary of DESIGN.md §3 as types. Every concern imports these names from here,
 * so a `finding`, a `mechanism` or a `subject class` means the same thing in detect, policy,
 * audit and the gateway.
 */

export const zones = ['pingtan', 'fuzhou', 'xiamen', 'outside-ftz'] as const;
export type Zone = (typeof zones)[number];

/** Value detectors of DESIGN.md §4. */
export const valueTypes = [
  'cn_resident_id',
  'cn_mobile',
  'bank_card',
  'cn_uscc',
  'cn_passport',
  'hk_macao_permit',
  'tw_permit',
  'hkid',
  'hk_mo_phone',
  'email',
  'ipv4',
  'ipv6',
  'geo_coordinate',
  'cn_plate',
] as const;
export type ValueType = (typeof valueTypes)[number];

/** Sensitive personal information categories (PIPL Art. 28), found by field names and derivation. */
export const sensitiveCategories = [
  'biometric',
  'religion',
  'specific_identity',
  'health',
  'financial_account',
  'location_track',
  'minor',
] as const;
export type SensitiveCategory = (typeof sensitiveCategories)[number];

/** Personal information carried by field names only (a name, an address) — not sensitive. */
export const personalFieldTypes = ['person_name', 'address', 'birth_date', 'gender'] as const;
export type PersonalFieldType = (typeof personalFieldTypes)[number];

export type DataType = ValueType | SensitiveCategory | PersonalFieldType | 'unscanned_binary';

/** GB/T 43697-2024 grades plus the PI split, highest first (CLARIFICATIONS 22). */
export const grades = ['core', 'important', 'sensitive-pi', 'pi', 'general'] as const;
export type Grade = (typeof grades)[number];

export const mechanisms = ['exempt', 'contract-or-certification', 'security-assessment', 'prohibited'] as const;
export type Mechanism = (typeof mechanisms)[number];

export const decisionKinds = ['allow', 'mask', 'deny', 'review'] as const;
export type DecisionKind = (typeof decisionKinds)[number];

/**
 * Whether a decided transfer is forwarded. Fail closed: an enforced decision lets it go only as an
 * allow, or as a mask whose masking was applied; anything else (a deny, `review` once the policy
 * can return it, a mask that masked nothing) is refused. Report-only mode forwards everything.
 * The gateway forwards by it, and a restarted store judges by it what may have left (store.ts).
 */
export function isForwarded(decision: DecisionKind, enforced: boolean, maskApplied: boolean): boolean {
  return !enforced || decision === 'allow' || (decision === 'mask' && maskApplied);
}

export const purposes = [
  'no-pi-trade', // Art. 3
  'foreign-collected-reexport', // Art. 4
  'contract-necessity', // Art. 5(1)
  'hr-management', // Art. 5(2)
  'emergency', // Art. 5(3)
] as const;
export type Purpose = (typeof purposes)[number];

/** A dataset name as `X-Xborder-Dataset`, `check --dataset` and policy cases give it (CLARIFICATIONS 13). */
export const datasetName = { pattern: /^[A-Za-z0-9._:-]{1,128}$/, message: 'a dataset name of letters, digits, . _ : -' } as const;

export const filingKinds = ['standard-contract', 'certification', 'security-assessment'] as const;
export type FilingKind = (typeof filingKinds)[number];

/** Counter classes (CLARIFICATIONS 3): every subject counts in `nonSensitive`; subjects carrying a sensitive category also in `sensitive`. */
export const subjectClasses = ['nonSensitive', 'sensitive'] as const;
export type SubjectClass = (typeof subjectClasses)[number];

/** This year's distinct subjects of one class for one enterprise: counted before this transfer, and new in it. */
export interface ClassCount {
  before: number;
  new: number;
}
export type SubjectCounts = Record<SubjectClass, ClassCount>;

/** Calendar year in China Standard Time (the statutory window of Arts. 5(4), 7, 8 starts 1 January). */
export function shanghaiYear(at: Date): number {
  // Asia/Shanghai has had no DST since 1991: a fixed +08:00 offset is exact for every date we handle.
  return new Date(at.getTime() + 8 * 3600_000).getUTCFullYear();
}

/**
 * Whether `text` is a real calendar day written YYYY-MM-DD. Date rolls 30 February over into
 * March, so a day must also read back as itself.
 */
export function isCalendarDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}

/** YYYY-MM-DD of `at` in China Standard Time. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

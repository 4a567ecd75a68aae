/** Builders for decide() specifications: scan results as detect would report them, and inputs. */
import type { DataType, Grade, Purpose } from '../../src/domain.ts';
import type { Finding, ScanResult } from '../../src/detect/types.ts';
import { findDestination, findEnterprise, loadPolicy, packageRoot, type DecisionInput, type LoadedPolicy } from '../../src/policy/index.ts';

const sensitiveTypes = new Set<DataType>(['biometric', 'religion', 'specific_identity', 'health', 'financial_account', 'location_track', 'minor']);
const generalTypes = new Set<DataType>(['cn_uscc', 'ipv4', 'ipv6', 'unscanned_binary']);

export function finding(type: DataType, count = 1, paths: string[] = [`$[*].${type}`], grade?: Grade): Finding {
  const sensitive = sensitiveTypes.has(type);
  return { type, count, sensitive, grade: grade ?? (sensitive ? 'sensitive-pi' : generalTypes.has(type) ? 'general' : 'pi'), paths, why: ['test'] };
}

export function scanOf(findings: Finding[], people: { subjects?: number; sensitive?: number; records?: number } = {}): ScanResult {
  const subjects = people.subjects ?? (findings.some((f) => f.grade === 'pi' || f.grade === 'sensitive-pi') ? 1 : 0);
  const sensitiveSubjects = people.sensitive ?? (findings.some((f) => f.sensitive) ? subjects : 0);
  return { bytes: 100, records: people.records ?? Math.max(1, subjects), subjects, sensitiveSubjects, identifiable: subjects, parseError: null, unscanned: null, contentType: 'application/json', findings };
}

let cached: Promise<LoadedPolicy> | null = null;
export function repoPolicy(): Promise<LoadedPolicy> {
  cached ??= loadPolicy(packageRoot, { env: {} });
  return cached;
}

export interface Case {
  enterprise: string;
  destination: string;
  scan: ScanResult;
  purpose?: Purpose;
  dataset?: string;
  prior?: { general?: number; sensitive?: number };
  at?: string;
}

/** prior replaces this year's totals; every payload subject is new (CLARIFICATIONS 6). */
export function inputOf(policy: LoadedPolicy, c: Case): DecisionInput {
  const enterprise = findEnterprise(policy, c.enterprise);
  const destination = findDestination(policy, c.destination);
  if (!enterprise || !destination) throw new Error(`unknown ${enterprise ? 'destination' : 'enterprise'} in test`);
  return {
    policy,
    scan: c.scan,
    enterprise,
    destination,
    purpose: c.purpose ?? null,
    dataset: c.dataset ?? null,
    counts: {
      nonSensitive: { before: c.prior?.general ?? 0, new: c.scan.subjects },
      sensitive: { before: c.prior?.sensitive ?? 0, new: c.scan.sensitiveSubjects },
    },
    at: new Date(`${c.at ?? '2026-06-01'}T12:00:00+08:00`),
  };
}

/** The same policy with one zone list put in force (ops setting status: in-force and its date). */
export function withListInForce(policy: LoadedPolicy, id: string, effectiveFrom: string, patch: { excludesCiio?: boolean } = {}): LoadedPolicy {
  const ruleSets = new Map(policy.ruleSets);
  const set = ruleSets.get(id);
  if (!set) throw new Error(`no rule set ${id}`);
  const next = { ...set, meta: { ...set.meta, status: 'in-force' as const, effectiveFrom, ...patch } };
  ruleSets.set(id, next);
  const zones = new Map([...policy.zones].map(([zone, config]) => [zone, { ...config, ruleSets: config.ruleSets.map((s) => (s.meta.id === id ? next : s)) }]));
  return { ...policy, ruleSets, zones, version: `${policy.version}+${id}-in-force` };
}

export const ids = {
  travel: '91350128MA8TP0101N',
  pharmaFiled: '91350128MA8TP0202F',
  pharmaUnfiled: '91350128MA8TP03038',
  iov: '91350128MA8TP04041',
  ciio: '91350128MA8TP0505R',
  hkProcessor: '91350105MA8FQ0101P',
  ecommerce: '91350206MA8XM01018',
  games: '91350206MA8XM02021',
  dataCentre: '91350211MA8XM03031',
  shipping: '91350200MA8XM0404U',
  plain: '91110105MA8TE0101Q',
  contractFiled: '91110105MA8TE0202H',
  assessed: '91110105MA8TE0303A',
  reportOnly: '91110105MA8TE04043',
} as const;

/**
 * Inspection of one transfer: the body, plus the URL path and query and the configured header
 * values (CLARIFICATIONS 14: inspection cannot be bypassed by moving data out of the body).
 * The body scan is detect's; the URL and headers are scanned as a text / form body and their
 * findings and subjects merged into the body's, with paths prefixed `url:` and `header:`.
 */
import { grades } from '../domain.ts';
import { decodePercentFully, scanWithEvidence } from '../detect/index.ts';
import type { Finding, ScanEvidence, ScanOptions, ScanResult, SubjectEvidence } from '../detect/types.ts';
import { assertInspectableCharset, assertOneBoundary, assertUnambiguousCharset, undoContentEncoding } from './charset.ts';
import type { TransferRoute } from './route.ts';

export interface Inspection {
  result: ScanResult;
  body: ScanEvidence;
  /** Subjects of the body, URL and headers together (for the counters). */
  subjects: SubjectEvidence[];
  /** The URL or a scanned header carried personal information (masking cannot reach those). */
  outsideBody: boolean;
  /** The path with found values masked, for the audit record (never raw values). */
  maskedPath: string;
}

export interface InspectInput {
  body: Uint8Array;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  route: TransferRoute;
  /** Values of the headers listed in the settings, by lower-case name. */
  headers: Record<string, string>;
  options: Pick<ScanOptions, 'at' | 'bareResidentIdSensitive' | 'maxDecodedBytes'>;
}

// A path made only of ASCII letters, `-_.~` and slashes cannot hold any detected value (every
// detector needs a digit, an `@`, a non-ASCII character or an escape); skip the scan for it.
const plainPath = /^[A-Za-z._~/-]*$/;

export async function inspectTransfer(input: InspectInput): Promise<Inspection> {
  // How the body is to be read (charset, boundary) must be one reading for the scan and the
  // recipient alike (charset.ts). An empty body has nothing to be misread.
  if (input.body.length > 0) {
    assertInspectableCharset(input.contentType);
    assertOneBoundary(input.contentType);
    const cap = input.options.maxDecodedBytes ?? Number.POSITIVE_INFINITY;
    assertUnambiguousCharset(input.contentType, () => undoContentEncoding(input.body, input.contentEncoding, cap));
  }
  const { result, evidence } = await scanWithEvidence(input.body, {
    ...input.options,
    // No Content-Type: detect sniffs the body. An empty body has nothing to hide.
    ...(input.body.length === 0 ? { contentType: 'text/plain' } : input.contentType ? { contentType: input.contentType } : {}),
    ...(input.contentEncoding && input.body.length > 0 ? { contentEncoding: input.contentEncoding } : {}),
  });
  const routePath = `/${input.route.segments.join('/')}`;
  // route.ts decoded each segment once; a recipient that decodes again reads `%2531…` as digits.
  const pathText = decodePercentFully(routePath);
  const extra: { label: string; text: string; contentType: string }[] = [];
  if (!plainPath.test(pathText)) extra.push({ label: 'url:path', text: pathText, contentType: 'text/plain; charset=utf-8' });
  if (input.route.query !== '') extra.push({ label: 'url:query', text: input.route.query, contentType: 'application/x-www-form-urlencoded' });
  for (const [name, value] of Object.entries(input.headers)) {
    if (value !== '') extra.push({ label: `header:${name}`, text: value, contentType: 'text/plain; charset=utf-8' });
  }
  let findings = result.findings;
  const subjects = [...evidence.subjects];
  let outsideBody = false;
  // Recorded as routed; only a path holding values is recorded as read, with them starred.
  let maskedPath = `/${input.route.destinationId}${routePath === '/' ? '' : routePath}`;
  let { records, subjects: subjectCount, sensitiveSubjects, identifiable } = result;
  for (const part of extra) {
    const scanned = await scanWithEvidence(part.text, { ...input.options, contentType: part.contentType });
    if (scanned.result.findings.length === 0) continue;
    outsideBody = true;
    findings = mergeFindings(findings, scanned.result.findings, part.label);
    subjects.push(...scanned.evidence.subjects);
    records += scanned.result.records;
    subjectCount += scanned.result.subjects;
    sensitiveSubjects += scanned.result.sensitiveSubjects;
    identifiable += scanned.result.identifiable;
    if (part.label === 'url:path') maskedPath = `/${input.route.destinationId}${starSpans(part.text, scanned.evidence)}`;
  }
  return {
    result: { ...result, findings, records, subjects: subjectCount, sensitiveSubjects, identifiable },
    body: evidence,
    subjects,
    outsideBody,
    maskedPath,
  };
}

/** Findings of another part of the request, merged by type with their paths under `label`. */
export function mergeFindings(into: readonly Finding[], from: readonly Finding[], label: string): Finding[] {
  const byType = new Map(into.map((finding) => [finding.type, { ...finding, paths: [...finding.paths], why: [...finding.why] }]));
  for (const finding of from) {
    // A form's paths are `form.<key>` (detect): under `url:query` the key alone says it.
    const paths = finding.paths.map((path) => `${label}${path === 'text' ? '' : `:${path.replace(/^form\./, '')}`}`);
    const existing = byType.get(finding.type);
    if (!existing) {
      byType.set(finding.type, { ...finding, paths: paths.slice(0, 5), why: [...finding.why] });
      continue;
    }
    existing.count += finding.count;
    existing.sensitive ||= finding.sensitive;
    if (grades.indexOf(finding.grade) < grades.indexOf(existing.grade)) existing.grade = finding.grade;
    existing.paths = [...new Set([...existing.paths, ...paths])].slice(0, 5);
    existing.why = [...new Set([...existing.why, ...finding.why])];
    if (finding.suspect) existing.suspect = (existing.suspect ?? 0) + finding.suspect;
  }
  return [...byType.values()];
}

function starSpans(text: string, evidence: ScanEvidence): string {
  const spans = [...evidence.spans].sort((a, b) => b.start - a.start);
  let out = text;
  let floor = Number.POSITIVE_INFINITY;
  for (const span of spans) {
    if (span.end > floor) continue; // overlapping: the later, outer edit already covers it
    out = `${out.slice(0, span.start)}***${out.slice(span.end)}`;
    floor = span.start;
  }
  return out;
}

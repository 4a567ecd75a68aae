/**
 * Detection: what personal information a transfer carries (DESIGN §4). The only public face of
 * src/detect — everything else in the folder is internal.
 *
 * Paths in findings, one style for every structured format (arrays collapse to `[*]`; evidence
 * spans keep real indexes, `$[3].buyer.idNo`):
 * - JSON `$.orders[*].buyer.idNo`; odd keys quoted `$["a.b"]`; a key that is itself a value
 *   shows as its type, `$.byPerson.<cn_resident_id>` (CLARIFICATIONS 14)
 * - NDJSON and CSV are arrays of records: `$[*].buyer.idNo`, `$[*].身份证号` (`$[*][7]` for a
 *   column past the header)
 * - form bodies `form.idNo`; free text, XML and HTML `text`; multipart parts `part:<name>` followed by the
 *   part's own path (`part:order$.buyer.idNo`), text around the parts `preamble` and `epilogue`
 */
import { runScan, type ScanBody } from './scan.ts';
import type { ScanEvidence, ScanOptions, ScanResult } from './types.ts';

export type { Finding, ScanEvidence, ScanOptions, ScanResult, SubjectEvidence, ValueSpan } from './types.ts';
export type { ScanBody } from './scan.ts';
// Read as the scan reads them, for the gateway's checks around a scan (gateway/charset.ts, inspect.ts).
export { contentTypeParameters, decodeContent } from './decode.ts';
export { decodePercentFully } from './form.ts';

/**
 * Scans a body: findings per data type (never a raw value), records and distinct subjects.
 * NDJSON, CSV and text given as an AsyncIterable are walked as they stream.
 * Throws XborderError XB_ERR_DECODE_LIMIT, XB_ERR_NESTING_TOO_DEEP, XB_ERR_UNSUPPORTED_ENCODING.
 */
export async function scan(body: ScanBody, options: ScanOptions = {}): Promise<ScanResult> {
  return (await runScan(body, options, false)).result;
}

/**
 * Scans a body and keeps what the gateway needs besides the result: the subjects with their
 * normalised identifiers (for the counters) and the value spans in the decoded text (for the
 * masker). A stream is buffered first (up to `maxDecodedBytes`).
 */
export async function scanWithEvidence(
  body: ScanBody,
  options: ScanOptions = {},
): Promise<{ result: ScanResult; evidence: ScanEvidence }> {
  return runScan(body, options, true);
}

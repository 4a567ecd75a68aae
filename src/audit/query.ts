/**
 * Record queries for the regulator API and exports: filters become SQL on the indexed copy
 * columns; pages are keyset cursors over (at, node, leaf index), stable while the log grows.
 */
import { isCalendarDay } from '../domain.ts';
import { XborderError } from '../errors.ts';
import type { StoredRecord } from './records.ts';
import type { SqlConn } from './sql.ts';
import type { AuditQuery } from './types.ts';

// A date, or a date and time with its offset: a time without one would be read in whatever
// zone the machine running the export happens to be set to.
const boundPattern = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/i;

/**
 * A time bound of a query as stored (UTC ISO text). A bare date is that day in China Standard
 * Time: the regulator's day and the statutory year are Beijing's (+08:00, no DST since 1991), and
 * read as UTC, `from=2026-01-01` would skip the first eight hours of the year.
 */
export function timeBound(value: Date | string): string {
  if (value instanceof Date) return value.toISOString();
  const match = boundPattern.exec(value);
  const day = match?.[1] ?? '';
  const at = new Date(match?.[2] ? value : `${day}T00:00:00+08:00`);
  if (!match || Number.isNaN(at.getTime()) || !isCalendarDay(day)) {
    throw new XborderError('XB_ERR_BAD_INPUT', `xborder: not a time: ${value} (a date, read in China Standard Time, or an ISO 8601 time with its offset)`);
  }
  return at.toISOString();
}

export function whereClause(filter: AuditQuery): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const equal = (column: string, value: string | undefined): void => {
    if (value === undefined) return;
    conditions.push(`${column} = ?`);
    params.push(value);
  };
  equal('enterprise', filter.enterprise);
  equal('destination', filter.destination);
  equal('decision', filter.decision);
  equal('mechanism', filter.mechanism);
  equal('node', filter.node);
  equal('decision_id', filter.decisionId);
  equal('kind', filter.kind);
  if (filter.zone !== undefined) {
    const zones = Array.isArray(filter.zone) ? filter.zone : [filter.zone];
    // An empty list (a regulator with no zone) matches nothing rather than everything.
    conditions.push(zones.length === 0 ? '1 = 0' : `zone IN (${zones.map(() => '?').join(',')})`);
    params.push(...zones);
  }
  if (filter.dataType !== undefined) {
    // Escaped, not stripped: nearly every type id holds `_` (`cn_resident_id`), LIKE's one-character wildcard.
    conditions.push("data_types LIKE ? ESCAPE '\\'");
    params.push(`%,${filter.dataType.replace(/,/g, '').replace(/[\\%_]/g, '\\$&')},%`);
  }
  if (filter.from !== undefined) {
    conditions.push('at >= ?');
    params.push(timeBound(filter.from));
  }
  if (filter.to !== undefined) {
    conditions.push('at < ?');
    params.push(timeBound(filter.to));
  }
  return { sql: conditions.length > 0 ? conditions.join(' AND ') : '1 = 1', params };
}

type Position = [at: string, node: string, leafIndex: number];

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Checked as strictly as the filters: a NUL in a forged cursor fails a PostgreSQL query.
    if (Array.isArray(value) && value.length === 3 && typeof value[0] === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value[0]) && typeof value[1] === 'string' && /^\P{Cc}*$/u.test(value[1]) && Number.isSafeInteger(value[2])) {
      return value as Position;
    }
  } catch {
    // fall through
  }
  throw new XborderError('XB_ERR_BAD_INPUT', 'xborder: the cursor is not one this server issued');
}

export async function queryRecords(
  reader: SqlConn,
  filter: AuditQuery,
  page: { cursor?: string | null; limit: number },
): Promise<{ records: StoredRecord[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(10_000, Math.floor(page.limit)));
  const where = whereClause(filter);
  let sql = where.sql;
  const params = [...where.params];
  if (page.cursor) {
    const [at, node, leafIndex] = decodeCursor(page.cursor);
    sql += ' AND (at > ? OR (at = ? AND (node > ? OR (node = ? AND leaf_index > ?))))';
    params.push(at, at, node, node, leafIndex);
  }
  const rows = await reader.all<{ body: string }>(
    `SELECT body FROM audit_records WHERE ${sql} ORDER BY at, node, leaf_index LIMIT ?`,
    [...params, limit + 1],
  );
  const records = rows.slice(0, limit).map((row) => JSON.parse(row.body) as StoredRecord);
  const last = records[records.length - 1];
  return { records, nextCursor: rows.length > limit && last ? encodeCursor([last.at, last.node, last.leafIndex]) : null };
}

/** Every matching record, page by page, so an export never holds the whole log in memory. */
export async function* iterateRecords(reader: SqlConn, filter: AuditQuery, pageSize = 1000): AsyncGenerator<StoredRecord> {
  let cursor: string | null = null;
  do {
    const page = await queryRecords(reader, filter, { cursor, limit: pageSize });
    yield* page.records;
    cursor = page.nextCursor;
  } while (cursor);
}

export const csvColumns = [
  'id', 'node', 'leafIndex', 'seq', 'kind', 'decisionId', 'at', 'enterprise', 'zone', 'destination', 'region',
  'purpose', 'dataset', 'decision', 'enforced', 'mechanism', 'filing', 'rules', 'dataTypes', 'records', 'subjects',
  'sensitiveSubjects', 'bytes', 'status', 'latencyMs', 'bytesReturned', 'error', 'policyVersion',
] as const;

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Quote always when needed; a leading = + - @, or a tab or CR (spreadsheets skip them before a
  // formula: OWASP CSV injection), is neutralised so a spreadsheet never runs it.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(record: StoredRecord): string {
  const flat: Record<string, unknown> = { ...record };
  if (record.kind === 'decision') {
    flat.filing = record.filing ? `${record.filing.kind}:${record.filing.ref}` : '';
    flat.rules = record.rules.map((rule) => (typeof rule === 'string' ? rule : rule.id)).join(' ');
    flat.dataTypes = [...new Set(record.findings.map((finding) => finding.type))].join(' ');
  }
  return `${csvColumns.map((column) => csvCell(flat[column])).join(',')}\r\n`;
}

/** Lines for `/audit/records` exports: NDJSON (one record a line) or CSV with a header. */
export async function* formatRecords(records: AsyncIterable<StoredRecord>, format: 'ndjson' | 'csv'): AsyncGenerator<string> {
  if (format === 'csv') yield `${csvColumns.join(',')}\r\n`;
  for await (const record of records) yield format === 'csv' ? csvRow(record) : `${JSON.stringify(record)}\n`;
}

/**
 * Masking over the scan's value spans (CLARIFICATIONS 12): values are rewritten in place in the
 * decoded text in Chinese display conventions (GB/T 35273 examples, bank and carrier practice):
 * resident ID first 6 / last 4, mobile first 3 / last 4, card first 6 / last 4, email first
 * character of the local part. Other identifiers and sensitive category values become `***`;
 * `drop` empties a value; `dropMinorRecords` removes the records of minors (PIPL Art. 31).
 * Masking de-identifies, it does not anonymise: the caller re-scans the result.
 */
import type { DataType } from '../domain.ts';
import type { ValueSpan } from '../detect/types.ts';

export interface MaskingPlanLike {
  redact: readonly DataType[];
  drop: readonly DataType[];
  dropMinorRecords: boolean;
}

export interface MaskOutcome {
  text: string;
  redacted: number;
  dropped: number;
  droppedRecords: number;
}

const stars = (n: number) => '*'.repeat(Math.max(n, 1));

/** Keeps the first `head` and last `tail` alphanumerics, stars the rest, keeps separators as they are. */
function keepEnds(value: string, head: number, tail: number): string {
  const positions: number[] = [];
  for (let i = 0; i < value.length; i++) if (/[0-9A-Za-z]/.test(value[i]!)) positions.push(i);
  if (positions.length <= head + tail) return stars(value.length);
  const hidden = new Set(positions.slice(head, positions.length - tail));
  let out = '';
  for (let i = 0; i < value.length; i++) out += hidden.has(i) ? '*' : value[i];
  return out;
}

/** Display mask of one value of this type. */
export function maskValue(type: DataType, value: string): string {
  switch (type) {
    case 'cn_resident_id':
      return keepEnds(value, 6, 4); // 110101********123X
    case 'bank_card':
      return keepEnds(value, 6, 4); // 622202******1234
    case 'cn_mobile': {
      // A country prefix (+86, 0086, 86-) stays visible; the national number shows 3 + 4.
      const prefix = /^(\+?86|0086)[\s-]?/.exec(value)?.[0] ?? '';
      return prefix + keepEnds(value.slice(prefix.length), 3, 4); // 138****5678
    }
    case 'email': {
      const at = value.lastIndexOf('@');
      if (at <= 0) return '***';
      return `${value[0]}***${value.slice(at)}`; // z***@example.com
    }
    default:
      return '***';
  }
}

interface Edit {
  start: number;
  end: number;
  replacement: string;
}

/**
 * Applies the plan to `text`. `json` says the text is a JSON document (or NDJSON), so a masked
 * number literal is written as a string and a dropped one as null, keeping the document valid.
 */
export function applyMaskingPlan(text: string, spans: readonly ValueSpan[], plan: MaskingPlanLike, { json = false } = {}): MaskOutcome {
  const redact = new Set<DataType>(plan.redact);
  const drop = new Set<DataType>(plan.drop);
  const ordered = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const edits: Edit[] = [];
  let redacted = 0;
  let dropped = 0;
  let reach = -1;
  for (const span of ordered) {
    const action = drop.has(span.type) ? 'drop' : redact.has(span.type) ? 'redact' : null;
    if (action === null) continue;
    // Overlapping spans (a mobile inside a diagnosis text): the outer, earlier edit wins.
    if (span.start < reach) continue;
    reach = span.end;
    edits.push({ start: span.start, end: span.end, replacement: rewrite(text, span, action, json) });
    if (action === 'drop') dropped++;
    else redacted++;
  }
  let masked = spliceEdits(text, edits);
  let droppedRecords = 0;
  if (plan.dropMinorRecords) {
    const minors = spans.filter((span) => span.type === 'minor');
    if (minors.length > 0) {
      const result = dropRecords(masked, minors.map((span) => span.path), json);
      masked = result.text;
      droppedRecords = result.dropped;
    }
  }
  return { text: masked, redacted, dropped, droppedRecords };
}

function rewrite(text: string, span: ValueSpan, action: 'drop' | 'redact', json: boolean): string {
  const raw = text.slice(span.start, span.end);
  const quoted = text[span.start - 1] === '"' && text[span.end] === '"';
  if (json && !quoted && /^-?\d/.test(raw)) {
    // A number literal: a masked value is text now.
    return action === 'drop' ? 'null' : JSON.stringify(maskValue(span.type, raw));
  }
  if (action === 'drop') return '';
  if (json && quoted && raw.includes('\\')) {
    // The span covers an escaped JSON string: mask the decoded value, then escape it again.
    const decoded = JSON.parse(`"${raw}"`) as string;
    return JSON.stringify(maskValue(span.type, decoded)).slice(1, -1);
  }
  return maskValue(span.type, raw);
}

function spliceEdits(text: string, edits: readonly Edit[]): string {
  if (edits.length === 0) return text;
  const parts: string[] = [];
  let at = 0;
  for (const edit of edits) {
    parts.push(text.slice(at, edit.start), edit.replacement);
    at = edit.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** `$.patients[3].idNo` → ['patients', 3, 'idNo']; `$[2]` → [2]. Null for paths that are not JSON paths. */
export function parseJsonPath(path: string): (string | number)[] | null {
  if (!path.startsWith('$')) return null;
  const steps: (string | number)[] = [];
  const token = /\.([^.[\]]+)|\[(\d+)\]|\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/y;
  token.lastIndex = 1;
  while (token.lastIndex < path.length) {
    const match = token.exec(path);
    if (!match) return null;
    if (match[2] !== undefined) steps.push(Number(match[2]));
    else steps.push(match[1] ?? match[3] ?? match[4] ?? '');
  }
  return steps;
}

/**
 * Removes the records holding a minor: the nearest array element around the minor's value in a
 * JSON document, or the NDJSON line. A document whose only record is a minor's becomes `null`.
 */
function dropRecords(text: string, paths: readonly string[], json: boolean): { text: string; dropped: number } {
  if (!json) return { text, dropped: 0 };
  const lines = text.split('\n');
  if (lines.filter((line) => line.trim() !== '').length > 1 && isNdjson(lines)) {
    const drop = new Set<number>();
    for (const path of paths) {
      const steps = parseJsonPath(path);
      if (typeof steps?.[0] === 'number') drop.add(steps[0]);
    }
    let index = 0;
    const kept = lines.filter((line) => (line.trim() === '' ? true : !drop.has(index++)));
    return { text: kept.join('\n'), dropped: drop.size };
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { text, dropped: 0 };
  }
  // Group by container so indexes are removed from the highest down and stay valid.
  const removals = new Map<string, { container: unknown[]; indexes: Set<number> }>();
  let wholeDocument = false;
  for (const path of paths) {
    const steps = parseJsonPath(path);
    if (!steps) continue;
    const last = steps.map((step) => typeof step === 'number').lastIndexOf(true);
    if (last === -1) {
      wholeDocument = true;
      continue;
    }
    const container = resolveSteps(document, steps.slice(0, last));
    if (!Array.isArray(container)) continue;
    const key = JSON.stringify(steps.slice(0, last));
    const entry = removals.get(key) ?? { container, indexes: new Set<number>() };
    entry.indexes.add(steps[last] as number);
    removals.set(key, entry);
  }
  if (wholeDocument) return { text: 'null', dropped: 1 };
  let dropped = 0;
  for (const { container, indexes } of removals.values()) {
    for (const index of [...indexes].sort((a, b) => b - a)) {
      if (index < container.length) {
        container.splice(index, 1);
        dropped++;
      }
    }
  }
  return { text: dropped === 0 ? text : JSON.stringify(document), dropped };
}

function isNdjson(lines: readonly string[]): boolean {
  try {
    JSON.parse(lines.join('\n'));
    return false;
  } catch {
    return lines.every((line) => {
      if (line.trim() === '') return true;
      try {
        JSON.parse(line);
        return true;
      } catch {
        return false;
      }
    });
  }
}

function resolveSteps(document: unknown, steps: readonly (string | number)[]): unknown {
  let node = document;
  for (const step of steps) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node;
}

/**
 * YAML with its node ranges kept, so that a zod issue or a cross-file check can name the
 * file, line and column an operator has to fix — not just "invalid policy".
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ZodError } from 'zod';
import type { PolicyIssue } from './types.ts';

export type FieldPath = readonly (string | number)[];

export interface YamlSource {
  file: string;
  /** The parsed content, or undefined when the YAML itself is broken. */
  value: unknown;
  /** Where a field path sits (the deepest node that exists on the path). */
  locate(path: FieldPath): { line: number; column: number };
  /** Syntax errors of the YAML itself. */
  errors: PolicyIssue[];
}

export function formatField(path: FieldPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out === '' ? '(file)' : out;
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const errors: PolicyIssue[] = doc.errors.map((error) => {
    const at = position(error.pos[0]);
    return { file, ...at, field: '(yaml)', message: error.message.split('\n')[0] ?? error.message };
  });
  const locate = (path: FieldPath) => {
    let node: unknown = doc.contents;
    let found: Node | null = (doc.contents as Node | null) ?? null;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => {
          const k = item.key as { value?: unknown } | null;
          return k !== null && typeof k === 'object' && k.value === key;
        });
        if (!pair) break;
        // Point at the value when there is one, else at the key.
        const next = (pair.value ?? pair.key) as Node | null;
        node = pair.value;
        if (next && next.range) found = next;
        else if (pair.key && (pair.key as Node).range) found = pair.key as Node;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as Node | undefined;
        if (!item) break;
        node = item;
        if (item.range) found = item;
      } else break;
    }
    return found?.range ? position(found.range[0]) : { line: 1, column: 1 };
  };
  return { file, value: errors.length > 0 ? undefined : doc.toJS(), locate, errors };
}

/** Every zod issue, located in the file. */
export function zodIssues(source: YamlSource, error: ZodError, prefix: FieldPath = []): PolicyIssue[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path].filter((k): k is string | number => typeof k !== 'symbol');
    // An unknown key is reported on its parent; point at the key itself.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const located = keys.length > 0 ? [...path, keys[0] as string] : path;
    return { file: source.file, ...source.locate(located), field: formatField(located), message: issue.message };
  });
}

export function issueAt(source: YamlSource, path: FieldPath, message: string): PolicyIssue {
  return { file: source.file, ...source.locate(path), field: formatField(path), message };
}

export function formatIssue(issue: PolicyIssue): string {
  return `${issue.file}:${issue.line}:${issue.column} ${issue.field}: ${issue.message}`;
}

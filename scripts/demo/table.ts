/** The demo's report: one table row per transfer, then the notes (filings, warnings, differences). */
import type { Row } from './transfers.ts';

const columns: { title: string; cell: (row: Row) => string }[] = [
  { title: '#', cell: (row) => row.step.id },
  { title: 'hub', cell: (row) => row.step.hub },
  { title: 'scenario', cell: (row) => row.step.title },
  { title: 'decision', cell: (row) => row.decision },
  { title: 'mechanism', cell: (row) => row.mechanism },
  { title: 'rule', cell: (row) => row.rules.join(', ') || '-' },
  { title: 'HTTP', cell: (row) => String(row.status) },
  { title: 'recipient received', cell: (row) => (row.delivery === 'nothing' ? 'nothing' : row.deliveryDetail) },
  { title: 'year total', cell: (row) => row.yearTotal },
  { title: 'check', cell: (row) => (row.differences.length === 0 ? 'ok' : 'DIFF') },
];

export function formatTable(rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const widths = columns.map((column, i) => Math.max(column.title.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) => `| ${values.map((value, i) => value.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(columns.map((column) => column.title)), rule, ...cells.map(line)].join('\n');
}

/** One line as the transfer happens, so imports and transfers read in their order. */
export function formatProgress(row: Row): string {
  const declared = [row.step.purpose && `purpose ${row.step.purpose}`, row.step.dataset && `dataset ${row.step.dataset}`].filter(Boolean).join(', ');
  return `  ${row.step.id} ${row.step.enterprise} → /x/${row.step.destination}${declared ? ` (${declared})` : ''}: ${row.status} ${row.decision}, decision ${row.decisionId}`;
}

export function formatNotes(rows: readonly Row[]): string {
  const notes: string[] = [];
  for (const row of rows) {
    if (row.refusal) notes.push(`${row.step.id}: 451: ${row.refusal}`);
    if (row.filing) notes.push(`${row.step.id}: filing ${row.filing.ref} (${row.filing.kind}) covers this transfer`);
    for (const warning of row.warnings) notes.push(`${row.step.id}: warning: ${warning}`);
    for (const difference of row.differences) notes.push(`${row.step.id}: DIFFERS: ${difference}`);
  }
  return notes.join('\n');
}

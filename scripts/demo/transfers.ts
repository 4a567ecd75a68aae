/**
 * One scenario as a real transfer: POST through the gateway with the enterprise's token, read
 * the decision record back from the audit API (`GET /audit/records?decisionId=`), look at what
 * the mock recipient got, and compare all of it with the expected outcome.
 */
import { z } from 'zod';
import { scan } from '../../src/detect/index.ts';
import type { Recipient } from './recipients.ts';
import type { Delivery, TransferStep } from './scenarios.ts';

const recordPage = z.object({
  records: z.array(
    z.object({
      decision: z.string(),
      mechanism: z.string(),
      rules: z.array(z.object({ id: z.string() })),
      filing: z.object({ kind: z.string(), ref: z.string() }).nullable(),
      warnings: z.array(z.string()),
      counters: z.object({ after: z.object({ nonSensitive: z.number(), sensitive: z.number() }) }),
    }),
  ),
});
type DecisionRecord = z.output<typeof recordPage>['records'][number];

export interface Row {
  step: TransferStep;
  decisionId: string;
  status: number;
  /** The 451's detail: the reasons in English (legal basis, no values). */
  refusal: string | null;
  decision: string;
  mechanism: string;
  rules: string[];
  filing: { kind: string; ref: string } | null;
  delivery: Delivery | 'altered';
  /** What the recipient's copy looked like (counts only, never a value). */
  deliveryDetail: string;
  yearTotal: string;
  warnings: string[];
  differences: string[];
}

export interface TransferContext {
  gateway: string;
  token: (enterprise: string) => Promise<string>;
  recipient: (destination: string) => Recipient;
  /** Upstream credential the gateway must add for a destination (destinations.yaml upstreamHeaders). */
  credentials: Record<string, Record<string, string>>;
}

export async function runTransfer(ctx: TransferContext, step: TransferStep): Promise<Row> {
  const token = await ctx.token(step.enterprise);
  const path = `/demo/${step.id.toLowerCase()}`;
  const response = await fetch(`${ctx.gateway}/x/${step.destination}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(step.purpose ? { 'x-xborder-purpose': step.purpose } : {}),
      ...(step.dataset ? { 'x-xborder-dataset': step.dataset } : {}),
    },
    body: step.payload.body,
  });
  const answer = await response.text();
  const decisionId = response.headers.get('x-xborder-decision-id') ?? '';
  const record = decisionId ? await decisionRecord(ctx.gateway, token, decisionId) : null;
  const seen = await observeDelivery(ctx, step, path);
  const row: Row = {
    step,
    decisionId,
    status: response.status,
    refusal: response.status === 451 ? refusalDetail(answer) : null,
    decision: record?.decision ?? response.headers.get('x-xborder-decision') ?? '-',
    mechanism: record?.mechanism ?? '-',
    rules: record?.rules.map((rule) => rule.id) ?? [],
    filing: record?.filing ?? null,
    delivery: seen.delivery,
    deliveryDetail: seen.detail,
    yearTotal: record ? yearTotal(record) : '-',
    warnings: record?.warnings ?? [],
    differences: seen.problems,
  };
  if (record && response.headers.get('x-xborder-decision') !== record.decision) {
    row.differences.push(`the response says ${response.headers.get('x-xborder-decision')}, the audit record ${record.decision}`);
  }
  row.differences.push(...compare(row));
  return row;
}

async function decisionRecord(gateway: string, token: string, decisionId: string): Promise<DecisionRecord | null> {
  const response = await fetch(`${gateway}/audit/records?decisionId=${encodeURIComponent(decisionId)}&kind=decision`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const page = recordPage.parse(await response.json());
  return page.records[0] ?? null;
}

const problemDetail = z.object({ detail: z.string() });

function refusalDetail(answer: string): string {
  try {
    return problemDetail.parse(JSON.parse(answer)).detail;
  } catch {
    return 'the 451 answer is not problem+json';
  }
}

function yearTotal(record: DecisionRecord): string {
  const { nonSensitive, sensitive } = record.counters.after;
  return `${nonSensitive.toLocaleString('en-US')}${sensitive > 0 ? ` (${sensitive.toLocaleString('en-US')} sens.)` : ''}`;
}

function compare(row: Row): string[] {
  const expected = row.step.expected;
  const differences: string[] = [];
  const same = (what: string, want: unknown, got: unknown) => {
    if (want !== got) differences.push(`${what}: expected ${String(want)}, got ${String(got)}`);
  };
  same('decision', expected.decision, row.decision);
  same('mechanism', expected.mechanism, row.mechanism);
  same('HTTP status', expected.status, row.status);
  same('recipient', expected.delivery, row.delivery);
  same('filing', expected.filing ?? null, row.filing?.kind ?? null);
  if (!row.rules.includes(expected.rule)) differences.push(`rule: expected ${expected.rule}, got ${row.rules.join(', ') || 'none'}`);
  if (expected.ruleAbsent && row.rules.includes(expected.ruleAbsent)) differences.push(`rule ${expected.ruleAbsent} must not apply`);
  return differences;
}

/** What reached the recipient for this scenario's path, judged without printing any of it. */
async function observeDelivery(ctx: TransferContext, step: TransferStep, path: string): Promise<{ delivery: Delivery | 'altered'; detail: string; problems: string[] }> {
  const copies = ctx.recipient(step.destination).received.get(path) ?? [];
  const problems: string[] = [];
  const copy = copies[0];
  if (!copy) return { delivery: 'nothing', detail: 'nothing', problems };
  if (copies.length > 1) problems.push(`the recipient got ${copies.length} copies`);
  // CLARIFICATIONS 15: the caller's token and the gateway's own headers never leave; the destination's credentials do.
  const leaked = Object.keys(copy.headers).filter((name) => name === 'authorization' || name.startsWith('x-xborder-'));
  if (leaked.length > 0) problems.push(`headers reached the recipient: ${leaked.join(', ')}`);
  for (const [name, value] of Object.entries(ctx.credentials[step.destination] ?? {})) {
    if (copy.headers[name] !== value) problems.push(`the recipient did not get its ${name} credential`);
  }
  if (copy.body === step.payload.body) return { delivery: 'as sent', detail: `as sent (${step.payload.records} records)`, problems };

  const rawValues = step.payload.values.filter((value) => copy.body.includes(value)).length;
  const rescan = await scan(copy.body, { contentType: 'application/json' });
  const personal = rescan.subjects > 0 || rescan.findings.some((finding) => finding.grade === 'pi' || finding.grade === 'sensitive-pi');
  const kept = recordsIn(copy.body);
  if (rawValues > 0) problems.push(`${rawValues} raw personal values reached the recipient`);
  if (personal) problems.push('a scan of the received body still finds personal information');
  if (kept !== step.payload.records - step.payload.minors) {
    problems.push(`the recipient got ${kept} records; expected ${step.payload.records - step.payload.minors} (minors' records dropped)`);
  }
  const clean = rawValues === 0 && !personal;
  return { delivery: clean ? 'masked' : 'altered', detail: `${clean ? 'masked' : 'ALTERED'} (${kept} of ${step.payload.records} records, no raw value: ${rawValues === 0 ? 'yes' : 'no'})`, problems };
}

/** Length of the body's record list: the first array of the top-level object. */
function recordsIn(body: string): number {
  try {
    const document: unknown = JSON.parse(body);
    if (typeof document !== 'object' || document === null) return 0;
    const list = Object.values(document).find(Array.isArray) as unknown[] | undefined;
    return list?.length ?? 0;
  } catch {
    return 0;
  }
}

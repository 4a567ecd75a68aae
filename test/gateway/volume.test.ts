import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { enterprises, send, startGateway, type TestGateway } from './helpers.ts';

/** A valid GB 11643 resident ID for person n (region 110105, distinct birth date and sequence). */
function residentId(n: number): string {
  const birth = new Date(Date.UTC(1960, 0, 1) + (n % 15000) * 86400_000).toISOString().slice(0, 10).replaceAll('-', '');
  const body = `110105${birth}${String(Math.floor(n / 15000) * 100 + (n % 100)).padStart(3, '0').slice(-3)}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((total, digit, i) => total + Number(digit) * weights[i]!, 0);
  return body + '10X98765432'[sum % 11]!;
}

let t: TestGateway;
beforeAll(async () => {
  t = await startGateway();
});
afterAll(() => t.close());

describe('under load', () => {
  it('writes exactly one decision record for each of 2,000 mixed transfers, and the log verifies', { timeout: 120_000 }, async () => {
    const tokens = {
      pingtan: await t.token('enterprise', enterprises.pingtan),
      xiamen: await t.token('enterprise', enterprises.xiamenMasking),
      reportOnly: await t.token('enterprise', enterprises.reportOnly),
      filed: await t.token('enterprise', enterprises.filed),
    };
    const plans = [
      { token: tokens.pingtan, sensitive: false, expect: 'allow' },
      { token: tokens.xiamen, sensitive: true, expect: 'mask' },
      { token: tokens.pingtan, sensitive: true, expect: 'deny' },
      { token: tokens.reportOnly, sensitive: true, expect: 'deny' },
      { token: tokens.filed, sensitive: true, expect: 'allow' },
    ] as const;
    const total = 2000;
    const seen = new Map<string, string>();
    const statuses = new Map<number, number>();
    let next = 0;
    async function worker() {
      while (next < total) {
        const n = next++;
        const plan = plans[n % plans.length]!;
        const person: Record<string, string> = { name: '王五', idNo: residentId(n) };
        if (plan.sensitive) person.diagnosis = '糖尿病';
        const response = await send(t.url, {
          path: `/x/partner/batch/${n % 7}`,
          headers: { authorization: `Bearer ${plan.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ people: [person], n }),
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.headers['x-xborder-decision']).toBe(plan.expect);
        seen.set(String(response.headers['x-xborder-decision-id']), plan.expect);
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(seen.size).toBe(total);
    expect(statuses.get(200)).toBe(1600);
    expect(statuses.get(451)).toBe(400);

    const counts = new Map<string, number>();
    let cursor: string | null = null;
    do {
      const page: { records: { decisionId: string }[]; nextCursor: string | null } = await t.gateway.context.store.query({ kind: 'decision' }, { cursor, limit: 1000 });
      for (const record of page.records) counts.set(record.decisionId, (counts.get(record.decisionId) ?? 0) + 1);
      cursor = page.nextCursor;
    } while (cursor);
    expect(counts.size).toBe(total);
    expect([...seen.keys()].every((id) => counts.get(id) === 1)).toBe(true);

    // Stopping flushes the log and signs the final checkpoint; then the regulator's check runs.
    await t.gateway.stop();
    let output = '';
    const io = { stdout: (text: string) => void (output += text), stderr: (text: string) => void (output += text), stdin: process.stdin, env: {}, cwd: t.dataDir };
    const code = await main(['audit', 'verify', '--data-dir', t.dataDir], io);
    expect(code, output).toBe(0);
  });
});

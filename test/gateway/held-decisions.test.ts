/**
 * Fail closed on what the policy may return: an enforced decision lets a transfer go only as an
 * allow, or as a mask whose masking was applied. `review` (reserved by DESIGN.md §3, not returned
 * by decide() yet) and a mask without a masking plan are refused, never forwarded as they came.
 * decide() is wrapped here to return them, since the shipped policy cannot.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Decision } from '../../src/policy/index.ts';
import { enterprises, send, startGateway, type TestGateway } from './helpers.ts';

const override = vi.hoisted(() => ({ apply: null as null | ((decision: Decision) => Decision) }));
vi.mock('../../src/policy/index.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/policy/index.ts')>();
  return {
    ...real,
    decide: (...args: Parameters<typeof real.decide>) => {
      const decision = real.decide(...args);
      return override.apply ? override.apply(decision) : decision;
    },
  };
});

let t: TestGateway;
beforeAll(async () => {
  t = await startGateway();
});
afterAll(() => t.close());
beforeEach(() => {
  override.apply = null;
  t.upstream.received.length = 0;
});

const transfer = async () =>
  send(t.url, {
    path: '/x/partner/orders',
    headers: { authorization: `Bearer ${await t.token('enterprise', enterprises.pingtan)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ travellers: [{ name: '赵六', idNo: '11010519491231002X' }] }),
  });

describe('decisions the gateway must hold back', () => {
  it('forwards the unaltered allow (the wrapper changes nothing by itself)', async () => {
    const response = await transfer();
    expect(response.status, response.body).toBe(200);
    expect(t.upstream.received).toHaveLength(1);
  });

  it('refuses a transfer held for review and says so', async () => {
    // Decision's type has no `review` yet: the cast stands for the policy that will return it.
    override.apply = (decision) => ({ ...decision, decision: 'review' }) as unknown as Decision;
    const response = await transfer();
    expect(response.status, response.body).toBe(451);
    expect(response.headers['x-xborder-decision']).toBe('review');
    expect(t.upstream.received).toHaveLength(0);
  });

  it('refuses a mask with nothing to mask by rather than forward the original body', async () => {
    override.apply = (decision) => ({ ...decision, decision: 'mask', masking: null });
    const response = await transfer();
    expect(response.status, response.body).toBe(451);
    expect(t.upstream.received).toHaveLength(0);
  });

  it('still forwards a report-only decision as it came (not enforced)', async () => {
    override.apply = (decision) => ({ ...decision, decision: 'review', enforced: false }) as unknown as Decision;
    const response = await transfer();
    expect(response.status, response.body).toBe(200);
    expect(t.upstream.received).toHaveLength(1);
  });
});

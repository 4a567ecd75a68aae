/**
 * The counters' year is the calendar year in Asia/Shanghai (UTC+8): a person sent just after
 * midnight on 1 January in Beijing — still 31 December in UTC — starts the new year's count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enterprises, send, startGateway, type TestGateway } from './helpers.ts';

let now = new Date('2026-12-31T15:30:00.000Z'); // 23:30 on 31 December 2026 in Beijing
let t: TestGateway;
beforeAll(async () => {
  t = await startGateway({ options: { clock: () => now } });
});
afterAll(() => t.close());

const sendPerson = async () => {
  const token = await t.token('enterprise', enterprises.pingtan, { at: now });
  const body = JSON.stringify({ travellers: [{ name: '王五', idNo: '11010519491231002X' }] });
  const response = await send(t.url, { path: '/x/partner/orders', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
  expect(response.status).toBe(200);
};

describe('the counters’ calendar year', () => {
  it('is Asia/Shanghai’s: 00:30 on 1 January there counts in the new year though UTC is still in the old one', async () => {
    const { store } = t.gateway.context;
    await sendPerson();
    expect((await store.counters(enterprises.pingtan, 2026)).total.nonSensitive).toBe(1);
    await sendPerson();
    expect((await store.counters(enterprises.pingtan, 2026)).total.nonSensitive).toBe(1);
    expect((await store.counters(enterprises.pingtan, 2027)).total.nonSensitive).toBe(0);

    now = new Date('2026-12-31T16:30:00.000Z'); // 00:30 on 1 January 2027 in Beijing
    await sendPerson();
    expect((await store.counters(enterprises.pingtan, 2027)).total.nonSensitive).toBe(1);
    expect((await store.counters(enterprises.pingtan, 2026)).total.nonSensitive).toBe(1);
  });
});

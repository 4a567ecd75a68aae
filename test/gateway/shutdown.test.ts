/** Stopping the gateway is bounded by shutdownGraceMs, whatever an upstream does (README: Running it). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/audit/index.ts';
import { loadSettings } from '../../src/config.ts';
import { shanghaiYear } from '../../src/domain.ts';
import { createGateway, loadDevIssuerKey, mintDevToken } from '../../src/gateway/index.ts';
import { enterprises, pinnedAt, send, writePolicy } from './helpers.ts';

let dir: string;
let received = () => {};
const arrived = new Promise<void>((resolve) => (received = resolve));
// Reads the whole request, then never answers: a recipient hung past any grace.
const hung = createServer((req) => {
  req.resume();
  req.on('end', () => received());
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xborder-shutdown-'));
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  hung.closeAllConnections();
  hung.close();
  await rm(dir, { recursive: true, force: true });
});

describe('stopping with a transfer held by its upstream', () => {
  it('ends the transfer when the grace is over, records its outcome, counts its people and stops', { timeout: 30_000 }, async () => {
    const origin = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    const policyDir = await writePolicy(dir, origin, origin);
    const dataDir = join(dir, 'data');
    const settings = loadSettings({ cwd: dir, env: {}, overrides: { port: 0, host: '127.0.0.1', dataDir, policies: policyDir, nodeId: 'stop-1', shutdownGraceMs: 300 } });
    const gateway = await createGateway({ settings, env: { XB_TEST_PARTNER_TOKEN: 't' }, clock: () => pinnedAt, logger: false });
    const { url } = await gateway.start();
    const token = await mintDevToken((await loadDevIssuerKey(dataDir))!, { role: 'enterprise', sub: enterprises.pingtan }, pinnedAt);
    const cut = send(url, {
      path: '/x/partner/held',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ travellers: [{ name: '赵六', idNo: '11010519491231002X' }] }),
    }).catch((error: unknown) => error);
    await arrived;

    const started = Date.now();
    await gateway.stop();
    // The upstream's headers timeout (30 s by default) must not stretch the stop past the grace.
    expect(Date.now() - started).toBeLessThan(3_000);
    await cut;

    const store = await openStore({ nodeId: 'stop-1', dataDir, readOnly: true });
    try {
      const { records } = await store.query({ enterprise: enterprises.pingtan }, { limit: 10 });
      expect(records.map((record) => record.kind)).toEqual(['decision', 'outcome']);
      expect(records[1]).toMatchObject({ status: null, error: 'XB_ERR_SHUTTING_DOWN' });
      // Its body had left: its people count (the safe side of the thresholds, CLARIFICATIONS 7).
      const counted = await store.counters(enterprises.pingtan, shanghaiYear(pinnedAt));
      expect(counted.total.nonSensitive).toBe(1);
      expect(counted.byTally.nonSensitive.reserved).toBe(0);
    } finally {
      await store.close();
    }
  });
});

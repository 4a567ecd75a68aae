import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config.ts';
import { serve, type Serving } from '../../src/gateway/index.ts';
import { pinnedAt, send, startUpstream, writePolicy, type Upstream } from './helpers.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

let dir: string;
let upstream: Upstream;
let serving: Serving;
let policyDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xborder-sig-'));
  upstream = await startUpstream();
  policyDir = await writePolicy(dir, upstream.origin, upstream.origin);
  const settings = loadSettings({ cwd: dir, env: {}, overrides: { port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), policies: policyDir, nodeId: 'sig-1' } });
  serving = await serve({ settings, env: { XB_TEST_PARTNER_TOKEN: 't' }, clock: () => pinnedAt, logger: false });
});
afterAll(async () => {
  await serving.stop();
  await upstream.close();
  await rm(dir, { recursive: true, force: true });
});

const version = async () => (await send(serving.url, { method: 'GET', path: '/readyz' })).json<{ policyVersion: string }>().policyVersion;
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('SIGHUP', () => {
  it('keeps the active policy when the files are broken, and swaps to a good one atomically', async () => {
    const first = await version();
    const file = join(policyDir, 'policies', 'enterprises.yaml');
    const good = await readFile(file, 'utf8');
    await writeFile(file, 'enterprises:\n  - id: not-a-uscc\n');
    process.emit('SIGHUP', 'SIGHUP');
    await settle();
    expect(await version()).toBe(first);
    const metrics = (await send(serving.url, { method: 'GET', path: '/metrics' })).body;
    expect(metrics).toContain('xborder_policy_reloads_total{result="refused"} 1');

    await writeFile(file, good.replace('平潭测试旅行社', '平潭测试旅行社（更名）'));
    process.emit('SIGHUP', 'SIGHUP');
    await settle();
    expect(await version()).not.toBe(first);
  });
});

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/audit/index.ts';
import { main } from '../../src/cli.ts';
import { enterprises, send, startUpstream, writePolicy, type Upstream } from './helpers.ts';

const bin = fileURLToPath(new URL('../../bin/xborder.js', import.meta.url));
let dir: string;
let upstream: Upstream;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xborder-proc-'));
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
  await rm(dir, { recursive: true, force: true });
});

function cliIo(env: NodeJS.ProcessEnv) {
  let out = '';
  let err = '';
  return { io: { stdout: (text: string) => void (out += text), stderr: (text: string) => void (err += text), stdin: process.stdin, env, cwd: dir }, out: () => out, err: () => err };
}

describe('xborder serve as a process', () => {
  it('mints a token with `xborder token`, serves, logs one redacted line per transfer, and on SIGTERM finishes the transfer in flight and exits 0', { timeout: 60_000 }, async () => {
    const slow = await startUpstream();
    const policyDir = await writePolicy(dir, slow.origin, upstream.origin);
    // The slow upstream answers after 700 ms, so SIGTERM lands while the transfer is in flight.
    const { createServer } = await import('node:http');
    const delayed = createServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('{"late":true}'), 700));
    });
    await new Promise<void>((resolve) => delayed.listen(0, '127.0.0.1', resolve));
    await slow.close();
    const port = (delayed.address() as { port: number }).port;
    const { writeFile, readFile } = await import('node:fs/promises');
    const destinations = join(policyDir, 'policies', 'destinations.yaml');
    await writeFile(destinations, (await readFile(destinations, 'utf8')).replaceAll(slow.origin, `http://127.0.0.1:${port}`));

    const env = { ...process.env, XBORDER_PORT: '0', XBORDER_HOST: '127.0.0.1', XBORDER_DATA_DIR: join(dir, 'data'), XBORDER_POLICIES: policyDir, XBORDER_NODE_ID: 'proc-1', XB_TEST_PARTNER_TOKEN: 'secret-xyz' };
    const minted = cliIo(env);
    expect(await main(['token', '--role', 'enterprise', '--sub', enterprises.pingtan, '--ttl', '10m'], minted.io)).toBe(0);
    const token = minted.out().trim();
    expect(token.split('.')).toHaveLength(3);
    expect(await main(['token', '--role', 'regulator', '--sub', 'x'], cliIo(env).io)).toBe(2);

    const child = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const inFlight = send(url, {
      path: '/x/partner/slow',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ travellers: [{ name: '赵六', idNo: '11010519491231002X' }] }),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status, response.body).toBe(200);
    expect(response.body).toBe('{"late":true}');
    expect(await exited).toBe(0);
    delayed.close();

    const decisionId = String(response.headers['x-xborder-decision-id']);
    const store = await openStore({ nodeId: 'proc-1', dataDir: join(dir, 'data'), readOnly: true });
    const { records } = await store.query({ decisionId }, { limit: 5 });
    await store.close();
    expect(records.map((record) => record.kind).sort()).toEqual(['decision', 'outcome']);

    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const transfer = lines.filter((line) => line.msg === 'transfer');
    expect(transfer).toHaveLength(1);
    expect(transfer[0]).toMatchObject({ decisionId, enterprise: enterprises.pingtan, destination: 'partner', decision: 'allow', status: 200 });
    expect(typeof transfer[0]!.latencyMs).toBe('number');
    expect(stdout).not.toContain('11010519491231002X');
    expect(stdout).not.toContain(token);
    expect(stdout).not.toContain('secret-xyz');
  });
});

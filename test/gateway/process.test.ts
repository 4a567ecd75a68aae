import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/audit/index.ts';
import { shanghaiYear } from '../../src/domain.ts';
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

/** `xborder serve` as a child process, once it listens; `readLog: false` leaves its stdout pipe unread. */
async function serve(env: NodeJS.ProcessEnv, { readLog = true } = {}) {
  const child = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  if (readLog) child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  else child.stdout.pause();
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? -9 : null))));
  return { child, url, output: () => stdout, exited };
}

/** An upstream that answers each request after `ms`; `received` resolves once a request has arrived whole. */
async function delayedUpstream(ms: number) {
  const { createServer } = await import('node:http');
  let arrived = () => {};
  const received = new Promise<void>((resolve) => (arrived = resolve));
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrived();
      setTimeout(() => res.end('{"late":true}'), ms).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, received, close: () => {
      server.closeAllConnections();
      server.close();
    } };
}

describe('xborder serve as a process', () => {
  it('mints a token with `xborder token`, serves, logs one redacted line per transfer, and on SIGTERM finishes the transfer in flight and exits 0', { timeout: 60_000 }, async () => {
    // The upstream answers after 700 ms, so SIGTERM lands while the transfer is in flight.
    const delayed = await delayedUpstream(700);
    const policyDir = await writePolicy(dir, delayed.origin, upstream.origin);

    const env = { ...process.env, XBORDER_PORT: '0', XBORDER_HOST: '127.0.0.1', XBORDER_DATA_DIR: join(dir, 'data'), XBORDER_POLICIES: policyDir, XBORDER_NODE_ID: 'proc-1', XB_TEST_PARTNER_TOKEN: 'secret-xyz' };
    const minted = cliIo(env);
    expect(await main(['token', '--role', 'enterprise', '--sub', enterprises.pingtan, '--ttl', '10m'], minted.io)).toBe(0);
    const token = minted.out().trim();
    expect(token.split('.')).toHaveLength(3);
    expect(await main(['token', '--role', 'regulator', '--sub', 'x'], cliIo(env).io)).toBe(2);

    const { child, url, output, exited } = await serve(env);

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

    const stdout = output();
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const transfer = lines.filter((line) => line.msg === 'transfer');
    expect(transfer).toHaveLength(1);
    expect(transfer[0]).toMatchObject({ decisionId, enterprise: enterprises.pingtan, destination: 'partner', decision: 'allow', status: 200 });
    expect(typeof transfer[0]!.latencyMs).toBe('number');
    expect(stdout).not.toContain('11010519491231002X');
    expect(stdout).not.toContain(token);
    expect(stdout).not.toContain('secret-xyz');
  });

  it('keeps draining through a SIGHUP or a second SIGTERM that arrives while it stops, and still exits 0', { timeout: 60_000 }, async () => {
    const here = await mkdtemp(join(tmpdir(), 'xborder-proc-drain-'));
    const delayed = await delayedUpstream(1_000);
    try {
      const policyDir = await writePolicy(here, delayed.origin, upstream.origin);
      const env = { ...process.env, XBORDER_PORT: '0', XBORDER_HOST: '127.0.0.1', XBORDER_DATA_DIR: join(here, 'data'), XBORDER_POLICIES: policyDir, XBORDER_NODE_ID: 'proc-3', XB_TEST_PARTNER_TOKEN: 'secret-xyz' };
      const minted = cliIo(env);
      expect(await main(['token', '--role', 'enterprise', '--sub', enterprises.pingtan, '--ttl', '10m'], minted.io)).toBe(0);
      const { child, url, exited } = await serve(env);
      const inFlight = send(url, {
        path: '/x/partner/slow',
        headers: { authorization: `Bearer ${minted.out().trim()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ greeting: 'hello' }),
      });
      await delayed.received;
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));
      // A reload by the configuration tool, an impatient supervisor: neither may cut the drain.
      child.kill('SIGHUP');
      child.kill('SIGTERM');
      const response = await inFlight;
      expect(response.status, response.body).toBe(200);
      expect(await exited).toBe(0);
    } finally {
      delayed.close();
      await rm(here, { recursive: true, force: true });
    }
  });

  it('exits 0 on SIGTERM while the reader of its log pipe has stopped reading', { timeout: 60_000 }, async () => {
    const here = await mkdtemp(join(tmpdir(), 'xborder-proc-logpipe-'));
    try {
      const policyDir = await writePolicy(here, upstream.origin, upstream.origin);
      const env = { ...process.env, XBORDER_PORT: '0', XBORDER_HOST: '127.0.0.1', XBORDER_DATA_DIR: join(here, 'data'), XBORDER_POLICIES: policyDir, XBORDER_NODE_ID: 'proc-4' };
      // Nobody reads the child's stdout: once the pipe's buffer (64 KiB) is full, log writes get EAGAIN.
      const { child, url, exited } = await serve(env, { readLog: false });
      // Each refused API request logs a line of about 150 bytes.
      for (let round = 0; round < 10; round++) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => send(url, { method: 'GET', path: `/audit/records/${round}-${i}` })));
      }
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 5_000))]);
      child.kill('SIGKILL');
      expect(code).toBe(0);
    } finally {
      await rm(here, { recursive: true, force: true });
    }
  });

  it('finishes on restart a transfer it was killed in the middle of: counted, with an outcome record saying the outcome is unknown', { timeout: 60_000 }, async () => {
    const here = await mkdtemp(join(tmpdir(), 'xborder-proc-kill-'));
    // The upstream holds the transfer open long past the kill: it was sent, its answer never came.
    const held = await delayedUpstream(60_000);
    try {
      const policyDir = await writePolicy(here, held.origin, upstream.origin);
      const dataDir = join(here, 'data');
      const env = { ...process.env, XBORDER_PORT: '0', XBORDER_HOST: '127.0.0.1', XBORDER_DATA_DIR: dataDir, XBORDER_POLICIES: policyDir, XBORDER_NODE_ID: 'proc-2', XB_TEST_PARTNER_TOKEN: 'secret-xyz' };
      const minted = cliIo(env);
      expect(await main(['token', '--role', 'enterprise', '--sub', enterprises.pingtan, '--ttl', '10m'], minted.io)).toBe(0);
      const first = await serve(env);
      const lost = send(first.url, {
        path: '/x/partner/held',
        headers: { authorization: `Bearer ${minted.out().trim()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ travellers: [{ name: '赵六', idNo: '11010519491231002X' }] }),
      }).catch((error: unknown) => error);
      await held.received;
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe(-9);
      expect(await lost).toBeInstanceOf(Error);

      const second = await serve(env);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      const lines = second.output().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toContainEqual(expect.objectContaining({ level: 40, settled: 1, released: 0 }));

      const store = await openStore({ nodeId: 'proc-2', dataDir, readOnly: true });
      try {
        const { records } = await store.query({ enterprise: enterprises.pingtan }, { limit: 10 });
        expect(records.map((record) => record.kind)).toEqual(['decision', 'outcome']);
        expect(records[1]).toMatchObject({ decisionId: records[0]!.decisionId, status: null, error: 'OUTCOME_UNKNOWN_NODE_STOPPED' });
        const year = shanghaiYear(new Date(records[0]!.at));
        const counted = await store.counters(enterprises.pingtan, year);
        expect(counted.total.nonSensitive).toBe(1);
        expect(counted.byTally.nonSensitive.reserved).toBe(0);
      } finally {
        await store.close();
      }
    } finally {
      held.close();
      await rm(here, { recursive: true, force: true });
    }
  });
});

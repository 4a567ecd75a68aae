/**
 * The gateway's cost over a bare proxy, measured in the same run on loopback (issue 5 "Speed"):
 *   (a) a bare pass-through proxy of hono + undici (same body handling and streaming as the
 *       gateway, nothing else) and (b) the gateway on the allow path, audit committed per request,
 * with 1 KB and 64 KB JSON bodies holding personal information (8 and 569 travellers, each with a
 * name, a resident ID and a mobile), the same bytes to the same upstream for both. Prints req/s of
 * each, the ratio b/a, p50/p99 latency, the server's CPU per request (every thread, and the main
 * thread alone, which saturates first: both vary less with the shared machine's load than req/s),
 * and the p99 latency b adds over a at half of b's saturating load.
 * Both servers under test run at once, each in its own process; autocannon and the upstream share
 * this one. Half load is paced: one request every 2/capacity seconds, each one's latency counted
 * from when it was due. (autocannon's rate limit sends each second's quota at once, from
 * connections that each wait for their previous answer: a stall of the server then delayed the
 * next requests instead of showing in their latency.) Saturation is measured in XB_BENCH_ROUNDS alternating rounds (default 2) and the best
 * round of each side counts. Every request repeats the same body, so after the first one its
 * people are already counted: this is the steady state of a sender's recurring customers.
 *
 *   npx tsx bench/gateway.ts            (about 70 s; XB_BENCH_SIZES=1024 for one size,
 *                                        XB_BENCH_PROFILE=DIR for V8 CPU profiles of the servers)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { travellersBody } from './lib/detect-data.ts';

const here = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const enterprise = '91350128MA8TP0101N';
const seconds = Number(process.env.XB_BENCH_SECONDS ?? 5);
const halfSeconds = Math.max(3, seconds - 1);
const rounds = Number(process.env.XB_BENCH_ROUNDS ?? 2);
const connections = 32;

// ---------------------------------------------------------------- server under test (child)
/**
 * The main thread's CPU seconds (user + system) from /proc (Linux; Node 20 has no per-thread
 * figure): unlike its event loop's busy time, it does not grow when a neighbour takes the core.
 */
function mainThreadCpu(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function serveUnderTest(kind: 'bare' | 'gateway', upstream: string, dir: string): Promise<void> {
  // CPU of every thread, and of the main thread alone: the one that saturates first.
  process.on('message', () => process.send!({ ...process.cpuUsage(), mainSeconds: mainThreadCpu() }));
  if (kind === 'bare') {
    const { Hono } = await import('hono');
    const { getRequestListener } = await import('@hono/node-server');
    const { RESPONSE_ALREADY_SENT } = await import('@hono/node-server/utils/response');
    const { Pool } = await import('undici');
    const pool = new Pool(upstream, { connections: 128, pipelining: 1 });
    const app = new Hono<{ Bindings: { incoming: IncomingMessage; outgoing: ServerResponse } }>();
    app.all('/x/*', async (c) => {
      const { incoming, outgoing } = c.env;
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const headers = { 'content-type': String(incoming.headers['content-type']), 'content-length': String(body.length) };
      const answer = await pool.request({ path: incoming.url!.replace(/^\/x\/[^/]+/, ''), method: 'POST', headers, body });
      outgoing.writeHead(answer.statusCode, answer.headers as Record<string, string>);
      for await (const chunk of answer.body) outgoing.write(chunk);
      outgoing.end();
      return RESPONSE_ALREADY_SENT;
    });
    const server = createServer(getRequestListener(app.fetch));
    server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
    process.on('SIGTERM', () => process.exit(0));
    return;
  }
  const pino = (await import('pino')).default;
  const { loadSettings } = await import('../src/config.ts');
  const { createGateway } = await import('../src/gateway/index.ts');
  const settings = loadSettings({ cwd: dir, env: {}, overrides: { port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), policies: join(dir, 'policy'), nodeId: 'bench' } });
  // A production-like log line per request, written to /dev/null.
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const gateway = await createGateway({ settings, logger, env: { XB_TEST_PARTNER_TOKEN: 'x' } });
  const { port } = await gateway.start();
  console.log(JSON.stringify({ port }));
  process.on('SIGTERM', () => void gateway.stop().then(() => process.exit(0)));
}

// ---------------------------------------------------------------- load generator (parent)

interface Server {
  child: ChildProcess;
  url: string;
  /** CPU seconds (user + system) the server process has used so far: every thread, and the main thread. */
  cpu(): Promise<{ all: number; main: number }>;
}

async function start(kind: 'bare' | 'gateway', upstream: string, dir: string): Promise<Server> {
  // XB_BENCH_PROFILE=DIR writes V8 CPU profiles of each server under test into DIR/bare and
  // DIR/gateway (one file per thread: the main thread's is the large one).
  const profile = process.env.XB_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.XB_BENCH_PROFILE, kind)}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', here, '--serve', kind, upstream, dir], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], cwd: root });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`${kind} exited ${code}`)));
  });
  const cpu = () =>
    new Promise<{ all: number; main: number }>((resolve) => {
      child.once('message', (usage: { user: number; system: number; mainSeconds: number }) => resolve({ all: (usage.user + usage.system) / 1e6, main: usage.mainSeconds }));
      child.send('cpu');
    });
  return { child, url: `http://127.0.0.1:${port}`, cpu };
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU per request, µs (every thread of the server process). */
  cpuUs: number;
  /** Server CPU per request, µs, of the main thread alone (it saturates first). */
  mainUs: number;
}

async function load(server: Server, body: string, token: string, duration = seconds): Promise<Load> {
  const cpuBefore = await server.cpu();
  const result = await autocannon({
    url: `${server.url}/x/partner/orders`,
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    connections,
    duration,
  });
  const cpuAfter = await server.cpu();
  const perRequest = (seconds: number) => (seconds * 1e6) / Math.max(1, result.requests.total);
  const [cpuUs, mainUs] = [perRequest(cpuAfter.all - cpuBefore.all), perRequest(cpuAfter.main - cpuBefore.main)];
  // A refused or failed request is not a transfer: the figures would flatter whoever failed.
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${server.url} answered ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuUs, mainUs };
}

/**
 * Open-loop load at `rate` requests a second, evenly spaced: each request leaves when it is due
 * whether or not earlier ones have been answered, and its latency runs from when it was due, so
 * a stalled server cannot hide its queue by slowing the sender (coordinated omission).
 */
async function pacedLoad(server: Server, body: string, token: string, rate: number, duration: number): Promise<{ p50: number; p99: number }> {
  const pool = new Pool(server.url, { connections: 256 });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const latencies: number[] = [];
  const answers: Promise<void>[] = [];
  let failures = 0;
  const started = performance.now();
  try {
    for (let i = 0; i < rate * duration; i++) {
      const due = started + (i * 1000) / rate;
      const early = due - performance.now();
      if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
      answers.push(
        pool.request({ path: '/x/partner/orders', method: 'POST', body, headers }).then(
          async (response) => {
            await response.body.dump();
            if (response.statusCode !== 200) failures += 1;
            latencies.push(performance.now() - due);
          },
          () => void (failures += 1),
        ),
      );
    }
    await Promise.all(answers);
  } finally {
    await pool.close();
  }
  if (failures > 0) throw new Error(`${server.url} failed ${failures} paced requests`);
  latencies.sort((x, y) => x - y);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

async function stop(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

const best = (runs: Load[]): Load => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
const range = (values: number[], digits = 0): string => {
  const low = Math.min(...values).toFixed(digits);
  const high = Math.max(...values).toFixed(digits);
  return low === high ? low : `${low}–${high}`;
};

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'xborder-bench-'));
  const answer = Buffer.from('{"accepted":true}');
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  await cp(join(root, 'test/fixtures/gateway'), join(dir, 'policy'), { recursive: true });
  const destinations = join(dir, 'policy/policies/destinations.yaml');
  await writeFile(destinations, (await readFile(destinations, 'utf8')).replaceAll('__UPSTREAM__', origin).replaceAll('__OTHER__', origin));

  const { loadDevIssuerKey, mintDevToken } = await import('../src/gateway/index.ts');
  const token = await mintDevToken((await loadDevIssuerKey(join(dir, 'data')))!, { role: 'enterprise', sub: enterprise, ttlSeconds: 3600 });

  try {
    for (const size of (process.env.XB_BENCH_SIZES ?? '1024,65536').split(',').map(Number)) {
      const body = travellersBody(size);
      const label = `${Math.round(body.length / 1024)} KB`;
      const bare = await start('bare', origin, dir);
      const gateway = await start('gateway', origin, dir).catch(async (error: unknown) => {
        await stop(bare);
        throw error;
      });
      const a: Load[] = [];
      const b: Load[] = [];
      let half = 0;
      let aHalf: { p50: number; p99: number };
      let bHalf: { p50: number; p99: number };
      try {
        const probe = await fetch(`${gateway.url}/x/partner/orders`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
        if (probe.headers.get('x-xborder-decision') !== 'allow') throw new Error(`the bench body is not on the allow path: ${probe.status} ${await probe.text()}`);
        await load(bare, body, token, 1); // warm-up (JIT, pools)
        await load(gateway, body, token, 1);
        // Alternating rounds: a neighbour's burst on this shared machine then hits both sides,
        // and the best round of each is its capacity (noise only ever takes throughput away).
        for (let round = 0; round < rounds; round++) {
          a.push(await load(bare, body, token));
          b.push(await load(gateway, body, token));
        }
        half = Math.max(10, Math.floor(best(b).rps / 2));
        aHalf = await pacedLoad(bare, body, token, half, halfSeconds);
        bHalf = await pacedLoad(gateway, body, token, half, halfSeconds);
      } finally {
        await stop(bare);
        await stop(gateway);
      }
      const [ab, bb] = [best(a), best(b)];
      console.log(
        [
          `${label.padEnd(6)} bare ${ab.rps.toFixed(0).padStart(6)} req/s (p50 ${ab.p50} ms, p99 ${ab.p99} ms, ${ab.cpuUs.toFixed(0)} µs CPU/req, ${ab.mainUs.toFixed(0)} on the main thread)`,
          `gateway ${bb.rps.toFixed(0).padStart(6)} req/s (p50 ${bb.p50} ms, p99 ${bb.p99} ms, ${bb.cpuUs.toFixed(0)} µs CPU/req, ${bb.mainUs.toFixed(0)} on the main thread)`,
          `ratio b/a ${(bb.rps / ab.rps).toFixed(2)} (rounds ${range(b.map((run, i) => run.rps / a[i]!.rps), 2)})`,
          `paced at ${half} req/s: p50 bare ${aHalf.p50.toFixed(1)} ms, gateway ${bHalf.p50.toFixed(1)} ms; p99 bare ${aHalf.p99.toFixed(1)} ms, gateway ${bHalf.p99.toFixed(1)} ms, added ${(bHalf.p99 - aHalf.p99).toFixed(1)} ms`,
        ].join(' | '),
      );
    }
  } finally {
    upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt !== -1) {
  await serveUnderTest(process.argv[serveAt + 1] as 'bare' | 'gateway', process.argv[serveAt + 2]!, process.argv[serveAt + 3]!);
} else {
  await main();
}

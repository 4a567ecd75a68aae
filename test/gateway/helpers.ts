/**
 * Real servers for the gateway specifications: an upstream that records what reaches it, the
 * gateway on 127.0.0.1 port 0 with SQLite in a temp dir, and the fixture policy with the
 * upstreams' origins written in.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings, type SettingsInput } from '../../src/config.ts';
import { createGateway, loadDevIssuerKey, mintDevToken, type Gateway, type GatewayOptions, type Role } from '../../src/gateway/index.ts';
import type { Zone } from '../../src/domain.ts';

export const fixtureDir = fileURLToPath(new URL('../fixtures/gateway/', import.meta.url));
/** Pinned time of every test (CLARIFICATIONS 21): inside the fixture filings' validity. */
export const pinnedAt = new Date('2026-06-01T02:00:00Z');

export const enterprises = {
  pingtan: '91350128MA8TP0101N',
  xiamenMasking: '91350206MA8XM01018',
  reportOnly: '91350128MA8TP03038',
  filed: '91350105MA8FQ0101P',
} as const;

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Upstream {
  origin: string;
  received: Received[];
  close(): Promise<void>;
}

export async function startUpstream(answer: (received: Received) => { status?: number; body?: string; headers?: Record<string, string> } = () => ({})): Promise<Upstream> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      const { status = 200, body = JSON.stringify({ received: true }), headers = {} } = answer(entry);
      res.writeHead(status, { 'content-type': 'application/json', connection: 'keep-alive', 'keep-alive': 'timeout=5', 'x-upstream': 'yes', ...headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Copies the fixture policy into `dir` with the upstream origins filled in. */
export async function writePolicy(dir: string, upstream: string, other: string): Promise<string> {
  const root = join(dir, 'policy');
  await cp(fixtureDir, root, { recursive: true });
  const file = join(root, 'policies', 'destinations.yaml');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replaceAll('__UPSTREAM__', upstream).replaceAll('__OTHER__', other));
  return root;
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dataDir: string;
  policyDir: string;
  upstream: Upstream;
  other: Upstream;
  token(role: Role, sub: string, options?: { zones?: Zone[]; ttlSeconds?: number; at?: Date }): Promise<string>;
  close(): Promise<void>;
}

export async function startGateway(
  { settings = {}, options = {}, answer }: { settings?: SettingsInput; options?: Partial<GatewayOptions>; answer?: Parameters<typeof startUpstream>[0] } = {},
): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'xborder-gw-'));
  const upstream = await startUpstream(answer);
  const other = await startUpstream();
  const policyDir = await writePolicy(dir, upstream.origin, other.origin);
  const dataDir = join(dir, 'data');
  const env = { XB_TEST_PARTNER_TOKEN: 'partner-secret-123' };
  const resolved = loadSettings({
    cwd: dir,
    env: {},
    overrides: { port: 0, host: '127.0.0.1', dataDir, policies: policyDir, nodeId: 'gw-test', checkpoint: { intervalMs: 60_000 }, ...settings },
  });
  const gateway = await createGateway({ settings: resolved, env, clock: () => pinnedAt, logger: false, ...options });
  const { url } = await gateway.start();
  const key = (await loadDevIssuerKey(dataDir))!;
  return {
    gateway,
    url,
    dataDir,
    policyDir,
    upstream,
    other,
    token: (role, sub, { zones, ttlSeconds, at = pinnedAt } = {}) =>
      mintDevToken(key, { role, sub, ...(zones ? { zones } : {}), ...(ttlSeconds ? { ttlSeconds } : {}) }, at),
    close: async () => {
      await gateway.stop();
      await upstream.close();
      await other.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** A request with the target sent exactly as written (no client-side URL normalisation). */
export function send(
  url: string,
  { method = 'POST', path, headers = {}, body }: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSubjectKey, openStore, type AuditStore } from '../../src/audit/index.ts';
import { XborderError } from '../../src/errors.ts';
import { enterprises, send, startGateway, type TestGateway } from './helpers.ts';

/**
 * A real store that can be switched off, as if its database went away (`down`), or as if its
 * writer had stopped for good (`broken`: a dead writer thread, a failed fsync).
 */
function switchable(store: AuditStore): { store: AuditStore; down: { value: boolean }; broken: { value: boolean } } {
  const down = { value: false };
  const broken = { value: false };
  const stopped = new XborderError('XB_ERR_AUDIT_UNAVAILABLE', 'xborder: the audit writer thread has stopped');
  const failing = new Set(['append', 'reserveSubjects', 'reservePeople', 'ping', 'counters']);
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (broken.value && property === 'failure') return stopped;
        if (down.value && failing.has(String(property))) return Promise.reject(new Error('connection refused'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, down, broken };
}

let t: TestGateway;
let realStore: AuditStore;
let down: { value: boolean };
let broken: { value: boolean };
let token: string;
let admin: string;

beforeAll(async () => {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'xborder-ops-store-'));
  // The gateway's own subject key: the store hashes the people it reserves with it.
  const subjectKey = await loadSubjectKey({ dataDir: dir, env: {} });
  realStore = await openStore({ nodeId: 'gw-ops', dataDir: dir, checkpointIntervalMs: 0, subjectKey });
  const wrapped = switchable(realStore);
  down = wrapped.down;
  broken = wrapped.broken;
  t = await startGateway({ options: { store: wrapped.store } });
  token = await t.token('enterprise', enterprises.pingtan);
  admin = await t.token('admin', 'ops-team');
});
afterAll(async () => {
  await t.close();
  await realStore.close();
});

const transfer = (body: unknown, authorization = `Bearer ${token}`) =>
  send(t.url, { path: '/x/partner/orders', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('fail closed', () => {
  it('answers 503 and forwards nothing while the audit store is unreachable, and is not ready', async () => {
    down.value = true;
    try {
      const before = t.upstream.received.length;
      const response = await transfer({ travellers: [{ name: '张三', idNo: '11010519491231002X' }] });
      expect(response.status).toBe(503);
      expect(response.json()).toMatchObject({ code: 'XB_ERR_AUDIT_UNAVAILABLE' });
      expect(t.upstream.received.length).toBe(before);
      const ready = await send(t.url, { method: 'GET', path: '/readyz' });
      expect(ready.status).toBe(503);
      expect(ready.json()).toMatchObject({ ready: false, store: 'unreachable' });
    } finally {
      down.value = false;
    }
    expect((await transfer({ greeting: 'hello' })).status).toBe(200);
    // Unreachable is for readiness; the process itself is still alive.
    expect((await send(t.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('fails liveness with the reason once the store can never write again, so a supervisor restarts it', async () => {
    broken.value = true;
    try {
      const live = await send(t.url, { method: 'GET', path: '/healthz' });
      expect(live.status).toBe(503);
      expect(live.json()).toMatchObject({ status: 'failed', code: 'XB_ERR_AUDIT_UNAVAILABLE', detail: expect.stringContaining('writer thread has stopped') });
    } finally {
      broken.value = false;
    }
    expect((await send(t.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });
});

describe('policy reload', () => {
  it('refuses a broken policy with its issues and keeps serving the old one', async () => {
    const ready = (await send(t.url, { method: 'GET', path: '/readyz' })).json<{ policyVersion: string }>();
    const file = join(t.policyDir, 'policies', 'gateway.yaml');
    await writeFile(file, 'settings:\n  denyUninspectable: maybe\nzones: {}\n');
    const refused = await send(t.url, { method: 'POST', path: '/admin/reload', headers: { authorization: `Bearer ${admin}` } });
    expect(refused.status).toBe(422);
    const problem = refused.json<{ code: string; issues: { file: string; line: number; field: string }[]; activePolicyVersion: string }>();
    expect(problem.code).toBe('XB_ERR_POLICY_INVALID');
    expect(problem.issues.some((issue) => issue.file.endsWith('gateway.yaml') && issue.line === 2)).toBe(true);
    expect(problem.activePolicyVersion).toBe(ready.policyVersion);
    expect((await send(t.url, { method: 'GET', path: '/readyz' })).json()).toMatchObject({ policyVersion: ready.policyVersion });
    expect((await transfer({ greeting: 'still served' })).status).toBe(200);
    const metrics = (await send(t.url, { method: 'GET', path: '/metrics' })).body;
    expect(metrics).toContain('xborder_policy_reloads_total{result="refused"} 1');
  });

  it('reloads a valid policy atomically and only for an admin', async () => {
    const file = join(t.policyDir, 'policies', 'gateway.yaml');
    await writeFile(file, 'settings:\n  denyUninspectable: true\nzones:\n  pingtan: { ruleSets: [national] }\n  fuzhou: { ruleSets: [national] }\n  xiamen: { ruleSets: [national] }\n  outside-ftz: { ruleSets: [national] }\n');
    const forbidden = await send(t.url, { method: 'POST', path: '/admin/reload', headers: { authorization: `Bearer ${token}` } });
    expect(forbidden.status).toBe(403);
    const before = (await send(t.url, { method: 'GET', path: '/readyz' })).json<{ policyVersion: string }>().policyVersion;
    const reloaded = await send(t.url, { method: 'POST', path: '/admin/reload', headers: { authorization: `Bearer ${admin}` } });
    expect(reloaded.status).toBe(200);
    const after = reloaded.json<{ policyVersion: string }>().policyVersion;
    expect(after).not.toBe(before);
    expect((await send(t.url, { method: 'GET', path: '/metrics' })).body).toContain(`xborder_policy_info{version="${after}"} 1`);
  });
});

describe('operations endpoints', () => {
  it('serves liveness, readiness with the policy version, and Prometheus metrics of decisions', async () => {
    expect((await send(t.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
    const ready = await send(t.url, { method: 'GET', path: '/readyz' });
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ ready: true, policyVersion: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const metrics = await send(t.url, { method: 'GET', path: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toMatch(/xborder_decisions_total\{decision="allow",zone="pingtan",mechanism="exempt",enforced="true"\} \d+/);
    expect(metrics.body).toContain('# TYPE xborder_request_duration_seconds histogram');
    expect(metrics.body).toMatch(/xborder_scan_duration_seconds_count \d+/);
    expect(metrics.body).toMatch(/xborder_audit_commit_seconds_bucket\{le="\+Inf"\} \d+/);
    expect(metrics.body).toMatch(/xborder_bytes_inspected_total \d+/);
    expect(metrics.body).toContain('xborder_refusals_total{code="XB_ERR_AUDIT_UNAVAILABLE"} 1');
  });

  it('publishes an OpenAPI document generated from the validating schemas', async () => {
    const response = await send(t.url, { method: 'GET', path: '/openapi.json' });
    const document = response.json<{ openapi: string; paths: Record<string, Record<string, { parameters?: { name: string; schema: { enum?: string[] } }[] }>> }>();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/x/{destination}/{path}', '/audit/records', '/audit/records/{id}', '/audit/checkpoints', '/audit/consistency', '/audit/keys', '/counters', '/admin/reload', '/readyz', '/metrics']));
    const purpose = document.paths['/x/{destination}/{path}']!.post!.parameters!.find((parameter) => parameter.name === 'x-xborder-purpose');
    expect(purpose?.schema.enum).toContain('hr-management');
    const limit = document.paths['/audit/records']!.get!.parameters!.find((parameter) => parameter.name === 'limit');
    expect(limit).toBeDefined();
  });

  it('answers unknown routes with a problem+json 404', async () => {
    const response = await send(t.url, { method: 'GET', path: '/nothing-here' });
    expect(response.status).toBe(404);
    expect(response.json()).toMatchObject({ code: 'XB_ERR_NOT_FOUND' });
  });
});

import { join } from 'node:path';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDecisionId, verifyInclusion } from '../../src/audit/index.ts';
import { decisionRecord, runCli } from '../audit/helpers.ts';
import { enterprises, send, startGateway, type TestGateway } from './helpers.ts';

let t: TestGateway;
const ids: Record<string, string> = {};
let xiamenRegulator: string;
let pingtanEnterprise: string;

beforeAll(async () => {
  t = await startGateway();
  const body = JSON.stringify({ travellers: [{ name: '李四', idNo: '11010519491231002X' }] });
  for (const [name, id] of [['pingtan', enterprises.pingtan], ['xiamen', enterprises.xiamenMasking], ['fuzhou', enterprises.filed]] as const) {
    const response = await send(t.url, { path: '/x/partner/orders', headers: { authorization: `Bearer ${await t.token('enterprise', id)}`, 'content-type': 'application/json' }, body });
    expect(response.status).toBe(200);
    ids[name] = String(response.headers['x-xborder-decision-id']);
  }
  xiamenRegulator = await t.token('regulator', 'xiamen-cac', { zones: ['xiamen'] });
  pingtanEnterprise = await t.token('enterprise', enterprises.pingtan);
  await t.gateway.context.store.checkpointNow();
});
afterAll(() => t.close());

const get = (path: string, token: string | null, accept?: string) =>
  send(t.url, { method: 'GET', path, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(accept ? { accept } : {}) } });

describe('the regulator API', () => {
  it('shows a regulator only the records of the zones in its token', async () => {
    const response = await get('/audit/records?kind=decision', xiamenRegulator);
    expect(response.status).toBe(200);
    const { records } = response.json<{ records: { zone: string; decisionId: string }[] }>();
    expect(records.length).toBeGreaterThan(0);
    expect(new Set(records.map((record) => record.zone))).toEqual(new Set(['xiamen']));
    expect(records.map((record) => record.decisionId)).toContain(ids.xiamen);
    expect((await get('/audit/records?zone=pingtan', xiamenRegulator)).status).toBe(403);
  });

  it('shows an enterprise only its own records and refuses other tokens', async () => {
    const { records } = (await get('/audit/records', pingtanEnterprise)).json<{ records: { enterprise: string }[] }>();
    expect(records.length).toBeGreaterThan(0);
    expect(new Set(records.map((record) => record.enterprise))).toEqual(new Set([enterprises.pingtan]));
    expect((await get(`/audit/records?enterprise=${enterprises.filed}`, pingtanEnterprise)).status).toBe(403);
    expect((await get('/audit/records', await t.token('admin', 'ops'))).status).toBe(403);
    expect((await get('/audit/records', null)).status).toBe(401);
  });

  it('pages with a cursor', async () => {
    const regulator = await t.token('regulator', 'fujian-cac', { zones: ['pingtan', 'xiamen', 'fuzhou'] });
    const first = (await get('/audit/records?limit=2', regulator)).json<{ records: { id: string }[]; nextCursor: string | null }>();
    expect(first.records).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = (await get(`/audit/records?limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`, regulator)).json<{ records: { id: string }[] }>();
    expect(second.records.length).toBeGreaterThan(0);
    expect(second.records.map((record) => record.id)).not.toContain(first.records[0]!.id);
    expect((await get('/audit/records?limit=5000', regulator)).status).toBe(400);
  });

  it('serves one record with an inclusion proof that verifies, and hides records out of scope', async () => {
    const response = await get(`/audit/records/${ids.xiamen}`, xiamenRegulator);
    expect(response.status).toBe(200);
    const { record, proof } = response.json<{ record: { decisionId: string }; proof: { leafIndex: number; treeSize: number; leafHash: string; auditPath: string[]; root: string } }>();
    expect(record.decisionId).toBe(ids.xiamen);
    const hex = (value: string) => Uint8Array.from(Buffer.from(value, 'hex'));
    expect(verifyInclusion(hex(proof.leafHash), proof.leafIndex, proof.treeSize, proof.auditPath.map(hex), hex(proof.root))).toBe(true);
    expect((await get(`/audit/records/${ids.pingtan}`, xiamenRegulator)).status).toBe(404);
  });

  it('exports NDJSON and CSV streams limited to the scope', async () => {
    const ndjson = await get('/audit/records', xiamenRegulator, 'application/x-ndjson');
    expect(ndjson.headers['content-type']).toContain('application/x-ndjson');
    const lines = ndjson.body.trim().split('\n').map((line) => JSON.parse(line) as { zone: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line.zone === 'xiamen')).toBe(true);
    const csv = await get('/audit/records', xiamenRegulator, 'text/csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toMatch(/^id,node,leafIndex/);
    expect(csv.body).not.toContain(enterprises.pingtan);
  });

  it('serves checkpoints, consistency proofs and the public keys', async () => {
    const { checkpoints } = (await get('/audit/checkpoints?node=gw-test', xiamenRegulator)).json<{ checkpoints: { size: number }[] }>();
    expect(checkpoints.length).toBeGreaterThan(0);
    const size = checkpoints.at(-1)!.size;
    const consistency = await get(`/audit/consistency?node=gw-test&from=1&to=${size}`, xiamenRegulator);
    expect(consistency.status).toBe(200);
    expect(consistency.json<{ proof: string[] }>().proof).toBeInstanceOf(Array);
    expect((await get('/audit/consistency?from=3&to=1', xiamenRegulator)).status).toBe(400);
    const keys = (await get('/audit/keys', null)).json<{ keys: { kid: string }[] }>();
    expect(keys.keys[0]!.kid).toBeTruthy();
  });

  it('shows counters: an enterprise its own, a regulator those of its zones', async () => {
    const own = (await get('/counters', pingtanEnterprise)).json<{ year: number; enterprises: { enterprise: string; total: { nonSensitive: number } }[] }>();
    expect(own.year).toBe(2026);
    expect(own.enterprises).toHaveLength(1);
    expect(own.enterprises[0]).toMatchObject({ enterprise: enterprises.pingtan, total: { nonSensitive: 1 } });
    expect((await get(`/counters?enterprise=${enterprises.filed}`, pingtanEnterprise)).status).toBe(403);
    const zone = (await get('/counters', xiamenRegulator)).json<{ enterprises: { enterprise: string; zone: string }[] }>();
    expect(zone.enterprises.map((entry) => entry.enterprise)).toEqual([enterprises.xiamenMasking]);
  });
});

describe('the public keys at /audit/keys', () => {
  it('are a JWKS, served without a token, that verifies every checkpoint the node signed', async () => {
    const served = await get('/audit/keys', null);
    expect(served.status).toBe(200);
    const jwks = served.json<JSONWebKeySet>();
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
    const { checkpoints } = (await get('/audit/checkpoints?node=gw-test', xiamenRegulator)).json<{ checkpoints: { origin: string; size: number; root: string; jws: string }[] }>();
    expect(checkpoints.length).toBeGreaterThan(0);
    // jose picks the key by the JWS header's kid, as any third party's JWKS client would.
    const keySet = createLocalJWKSet(jwks);
    for (const checkpoint of checkpoints) {
      const { payload } = await compactVerify(checkpoint.jws, keySet);
      expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.root });
    }
  });
});

describe('consistency proofs beyond what a node signed', () => {
  it('are a 404 problem, not a 500 claiming the log was tampered with', async () => {
    const { checkpoints } = (await get('/audit/checkpoints?node=gw-test', xiamenRegulator)).json<{ checkpoints: { size: number }[] }>();
    const size = checkpoints.at(-1)!.size;
    for (const path of [`/audit/consistency?node=gw-test&from=1&to=${size + 1000}`, '/audit/consistency?node=no-such-node&from=1&to=2']) {
      const response = await get(path, xiamenRegulator);
      expect(response.status, path).toBe(404);
      expect(response.json(), path).toMatchObject({ code: 'XB_ERR_NOT_FOUND' });
    }
  });
});

describe('time ranges', () => {
  it('reads a bare date as that day in China Standard Time, not UTC', async () => {
    // 01:30 on 1 June in Xiamen, still 31 May in UTC.
    const at = new Date('2026-05-31T17:30:00Z');
    const decisionId = newDecisionId(at);
    await t.gateway.context.store.append(decisionRecord({ at, decisionId, zone: 'xiamen', enterprise: enterprises.xiamenMasking }));
    const ids = async (query: string) =>
      (await get(`/audit/records?kind=decision&${query}`, xiamenRegulator)).json<{ records: { decisionId: string }[] }>().records.map((r) => r.decisionId);
    expect(await ids('from=2026-06-01&to=2026-06-02')).toContain(decisionId);
    expect(await ids('to=2026-06-01')).not.toContain(decisionId);
    expect(await ids('from=2026-05-31&to=2026-06-01')).not.toContain(decisionId);
    expect(await ids(`from=${encodeURIComponent('2026-06-01T01:30:00+08:00')}&to=${encodeURIComponent('2026-06-01T01:30:00.001+08:00')}`)).toEqual([decisionId]);
  });
});

describe('counter imports', () => {
  it("show to the regulator of the enterprise's zone, the zone taken from the policy", async () => {
    const flags = ['--db', join(t.dataDir, 'xborder.db'), '--data-dir', t.dataDir, '--policies', t.policyDir];
    const imported = await runCli('counters import', [...flags, '--enterprise', enterprises.xiamenMasking, '--year', '2026', '--general', '5', '--reason', 'before the gateway']);
    expect(imported.code).toBe(0);
    const { records } = (await get('/audit/records?kind=counter-import', xiamenRegulator)).json<{ records: { enterprise: string; zone: string }[] }>();
    expect(records).toEqual([expect.objectContaining({ enterprise: enterprises.xiamenMasking, zone: 'xiamen' })]);
  });
});

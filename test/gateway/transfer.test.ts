import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../src/audit/index.ts';
import { enterprises, send, startGateway, type TestGateway } from './helpers.ts';

let t: TestGateway;
let tokens: Record<keyof typeof enterprises, string>;

beforeAll(async () => {
  t = await startGateway();
  tokens = {
    pingtan: await t.token('enterprise', enterprises.pingtan),
    xiamenMasking: await t.token('enterprise', enterprises.xiamenMasking),
    reportOnly: await t.token('enterprise', enterprises.reportOnly),
    filed: await t.token('enterprise', enterprises.filed),
  };
});
afterAll(() => t.close());

const traveller = { name: '张三', idNo: '11010519491231002X', mobile: '13812345678' };
const patient = { ...traveller, diagnosis: '高血压' };

/** The records of a decision; the outcome record follows the response, so wait for it briefly. */
async function recordsOf(decisionId: string, kinds = 1): Promise<StoredRecord[]> {
  for (let attempt = 0; ; attempt++) {
    const page = await t.gateway.context.store.query({ decisionId }, { limit: 10 });
    if (page.records.length >= kinds || attempt > 50) return page.records;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function transfer(token: string, body: unknown, { path = '/x/partner/orders/42', headers = {} }: { path?: string; headers?: Record<string, string> } = {}) {
  return send(t.url, {
    path,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('a transfer through the gateway', () => {
  it('allows non-sensitive personal information under 100,000 people, forwarding the original bytes with credentials swapped', async () => {
    const before = t.upstream.received.length;
    const body = { travellers: [traveller] };
    const response = await transfer(tokens.pingtan, body, { headers: { 'x-xborder-dataset': 'bookings', 'x-xborder-purpose': 'hr-management', connection: 'keep-alive, x-secret-hop', 'x-secret-hop': 'h' } });
    expect(response.status).toBe(200);
    expect(response.headers['x-xborder-decision']).toBe('allow');
    expect(response.headers['x-upstream']).toBe('yes');
    const decisionId = String(response.headers['x-xborder-decision-id']);
    const received = t.upstream.received.slice(before);
    expect(received).toHaveLength(1);
    const [hit] = received;
    expect(hit!.url).toBe('/api/v1/orders/42');
    expect(hit!.body).toBe(JSON.stringify(body));
    expect(hit!.headers.authorization).toBeUndefined();
    expect(Object.keys(hit!.headers).filter((name) => name.startsWith('x-xborder-'))).toEqual([]);
    expect(hit!.headers['x-secret-hop']).toBeUndefined();
    expect(hit!.headers['x-partner-token']).toBe('partner-secret-123');
    expect(hit!.headers.forwarded).toMatch(/^for=127\.0\.0\.1;by="gw-test";proto=http/);

    const records = await recordsOf(decisionId, 2);
    expect(records.map((record) => record.kind).sort()).toEqual(['decision', 'outcome']);
    const decision = records.find((record) => record.kind === 'decision')!;
    expect(decision).toMatchObject({ decision: 'allow', mechanism: 'exempt', enterprise: enterprises.pingtan, zone: 'pingtan', destination: 'partner', dataset: 'bookings', purpose: 'hr-management', path: '/partner/orders/42' });
    expect(JSON.stringify(decision)).not.toContain('11010519491231002X');
    expect(records.find((record) => record.kind === 'outcome')).toMatchObject({ status: 200 });
  });

  it('masks sensitive data when the zone policy removes every identifier, and the upstream receives only the masked body', async () => {
    const before = t.upstream.received.length;
    const response = await transfer(tokens.xiamenMasking, { patients: [patient], note: 'ok' });
    expect(response.status).toBe(200);
    expect(response.headers['x-xborder-decision']).toBe('mask');
    const [hit] = t.upstream.received.slice(before);
    expect(hit).toBeDefined();
    expect(hit!.body).not.toContain('11010519491231002X');
    expect(hit!.body).not.toContain('13812345678');
    expect(hit!.body).not.toContain('高血压');
    expect(hit!.body).toContain('110105********002X');
    expect(hit!.body).toContain('138****5678');
    expect(Number(hit!.headers['content-length'])).toBe(Buffer.byteLength(hit!.body));
    expect(JSON.parse(hit!.body)).toMatchObject({ note: 'ok' });
    const records = await recordsOf(String(response.headers['x-xborder-decision-id']));
    const decision = records.find((record) => record.kind === 'decision');
    expect(decision).toMatchObject({ decision: 'mask', subjects: 1, sensitiveSubjects: 1 });
    expect(decision && 'masking' in decision && decision.masking?.drop).toContain('health');
  });

  it("drops a minor's record (known from the resident ID's birth date) before the masked body leaves", async () => {
    const before = t.upstream.received.length;
    const child = { name: '李小华', idNo: '350203201501010014', mobile: '13912345678' };
    const response = await transfer(tokens.xiamenMasking, { players: [child, traveller] });
    expect(response.headers['x-xborder-decision']).toBe('mask');
    const [hit] = t.upstream.received.slice(before);
    expect(hit).toBeDefined();
    const forwarded = JSON.parse(hit!.body) as { players: { idNo: string }[] };
    expect(forwarded.players.map((player) => player.idNo)).toEqual(['110105********002X']);
    expect(hit!.body).not.toContain('350203');
  });

  it('masks a gzip body: the upstream receives the masked text, uncompressed, with its length recomputed', async () => {
    const { gzipSync } = await import('node:zlib');
    const before = t.upstream.received.length;
    const response = await send(t.url, {
      path: '/x/partner/orders',
      headers: { authorization: `Bearer ${tokens.xiamenMasking}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.from(JSON.stringify({ patients: [patient] }))),
    });
    expect(response.headers['x-xborder-decision']).toBe('mask');
    const [hit] = t.upstream.received.slice(before);
    expect(hit!.headers['content-encoding']).toBeUndefined();
    expect(Number(hit!.headers['content-length'])).toBe(Buffer.byteLength(hit!.body));
    expect(JSON.parse(hit!.body)).toEqual({ patients: [{ name: '***', idNo: '110105********002X', mobile: '138****5678', diagnosis: '' }] });
  });

  it('denies sensitive data without a filing: 451 problem+json with the legal basis, nothing reaches the upstream', async () => {
    const before = t.upstream.received.length;
    const response = await transfer(tokens.pingtan, { patients: [patient] });
    expect(response.status).toBe(451);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers['x-xborder-decision']).toBe('deny');
    const problem = response.json<{ code: string; decisionId: string; mechanism: string; rules: { id: string; legalBasis: string }[]; reasons: { zh: string; en: string } }>();
    expect(problem.code).toBe('XB_ERR_TRANSFER_DENIED');
    expect(problem.decisionId).toBe(response.headers['x-xborder-decision-id']);
    expect(problem.mechanism).toBe('contract-or-certification');
    expect(problem.rules[0]!.legalBasis).toContain('第八条');
    expect(problem.reasons.zh).toMatch(/拒绝出境/);
    expect(t.upstream.received.length).toBe(before);
    const records = await recordsOf(problem.decisionId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ kind: 'decision', decision: 'deny', enforced: true });
  });

  it('allows sensitive data covered by a valid standard contract, naming the filing', async () => {
    const response = await transfer(tokens.filed, { patients: [patient] });
    expect(response.status).toBe(200);
    expect(response.headers['x-xborder-decision']).toBe('allow');
    const [decision] = (await recordsOf(String(response.headers['x-xborder-decision-id']))).filter((record) => record.kind === 'decision');
    expect(decision).toMatchObject({ mechanism: 'contract-or-certification', filing: { kind: 'standard-contract', ref: '闽网信备〔2026〕9001号' } });
  });

  it('forwards a would-be denial for a report-only enterprise and records it as not enforced', async () => {
    const before = t.upstream.received.length;
    const response = await transfer(tokens.reportOnly, { patients: [patient] });
    expect(response.status).toBe(200);
    expect(response.headers['x-xborder-decision']).toBe('deny');
    expect(response.headers['x-xborder-enforced']).toBe('false');
    expect(t.upstream.received.length).toBe(before + 1);
    const records = await recordsOf(String(response.headers['x-xborder-decision-id']));
    expect(records.find((record) => record.kind === 'decision')).toMatchObject({ decision: 'deny', enforced: false });
  });

  it('scans the query string and the configured headers, and records the path without query values', async () => {
    const response = await transfer(tokens.pingtan, { ok: true }, { path: '/x/partner/search?mobile=13812345678&page=2', headers: { 'x-customer-note': 'customer id card 11010519491231002X' } });
    const records = await recordsOf(String(response.headers['x-xborder-decision-id']));
    const decision = records.find((record) => record.kind === 'decision');
    expect(decision && 'path' in decision ? decision.path : '').toBe('/partner/search?mobile=&page=');
    const types = decision && 'findings' in decision ? decision.findings.map((finding) => finding.type) : [];
    expect(types).toEqual(expect.arrayContaining(['cn_mobile', 'cn_resident_id']));
    // Each finding names where it was: the query parameter, the header.
    const paths = decision && 'findings' in decision ? decision.findings.flatMap((finding) => finding.paths) : [];
    expect(paths).toEqual(expect.arrayContaining(['url:query:mobile', 'header:x-customer-note']));
    expect(JSON.stringify(decision)).not.toContain('13812345678');
  });

  it('finds a value percent-encoded twice in the path, and records the path with it starred', async () => {
    const twice = [...'13812345678'].map((digit) => `%25${digit.charCodeAt(0).toString(16)}`).join('');
    const response = await transfer(tokens.pingtan, { ok: true }, { path: `/x/partner/customers/${twice}/orders` });
    const records = await recordsOf(String(response.headers['x-xborder-decision-id']));
    const decision = records.find((record) => record.kind === 'decision');
    const found = decision && 'findings' in decision ? decision.findings.find((finding) => finding.type === 'cn_mobile') : undefined;
    expect(found?.paths).toEqual(['url:path']);
    expect(decision && 'path' in decision ? decision.path : '').toBe('/partner/customers/***/orders');
    expect(JSON.stringify(decision)).not.toContain('13812345678');
  });

  it('inspects and records a malformed JSON body, then refuses it as uninspectable', async () => {
    const before = t.upstream.received.length;
    const response = await send(t.url, {
      path: '/x/partner/orders',
      headers: { authorization: `Bearer ${tokens.pingtan}`, 'content-type': 'application/json' },
      body: '{"idNo": "11010519491231002X", "name": "张三",',
    });
    expect(response.status).toBe(451);
    expect(t.upstream.received.length).toBe(before);
    const [decision] = await recordsOf(String(response.headers['x-xborder-decision-id']));
    expect(decision).toMatchObject({ kind: 'decision', decision: 'deny' });
    expect(decision && 'findings' in decision ? decision.findings.map((finding) => finding.type) : []).toContain('cn_resident_id');
  });

  describe('an XML transfer, read element by element', () => {
    const xmlPatients = (patients: (typeof patient)[]) =>
      `<?xml version="1.0" encoding="UTF-8"?><patients>${patients
        .map((p) => `<patient><name>${p.name}</name><idNo>${p.idNo}</idNo><mobile>${p.mobile}</mobile><diagnosis>${p.diagnosis}</diagnosis></patient>`)
        .join('')}</patients>`;
    const sendXml = (token: string, body: string) =>
      send(t.url, { path: '/x/partner/orders', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml; charset=utf-8' }, body });

    it('denies the diagnoses of two patients without a filing and records two sensitive people at XPath paths', async () => {
      const before = t.upstream.received.length;
      const second = { ...patient, name: '李四', idNo: '110105198808080015', mobile: '13987654321' };
      const response = await sendXml(tokens.pingtan, xmlPatients([patient, second]));
      expect(response.status).toBe(451);
      expect(t.upstream.received.length).toBe(before);
      const [decision] = await recordsOf(String(response.headers['x-xborder-decision-id']));
      expect(decision).toMatchObject({ kind: 'decision', decision: 'deny', records: 2 });
      const findings = decision && 'findings' in decision ? decision.findings : [];
      expect(findings.find((finding) => finding.type === 'health')).toMatchObject({ count: 2, sensitive: true, paths: ['/patients/patient/diagnosis'] });
      // Two people, not one free-text person: the counters see both (CLARIFICATIONS 1).
      expect(decision).toMatchObject({ subjects: 2, sensitiveSubjects: 2 });
      expect(JSON.stringify(decision)).not.toContain('高血压');
    });

    it('masks an XML body for the masking zone: names, identifiers and diagnoses leave masked', async () => {
      const before = t.upstream.received.length;
      const response = await sendXml(tokens.xiamenMasking, xmlPatients([patient]));
      expect(response.status).toBe(200);
      expect(response.headers['x-xborder-decision']).toBe('mask');
      const [hit] = t.upstream.received.slice(before);
      expect(hit!.body).toContain('<idNo>110105********002X</idNo>');
      expect(hit!.body).not.toContain('高血压');
      expect(hit!.body).not.toContain(patient.name);
    });

    it('refuses a truncated XML body as uninspectable, after recording it', async () => {
      const before = t.upstream.received.length;
      const response = await sendXml(tokens.pingtan, xmlPatients([{ ...patient, diagnosis: '' }]).slice(0, -20));
      expect(response.status).toBe(451);
      expect(t.upstream.received.length).toBe(before);
      const [decision] = await recordsOf(String(response.headers['x-xborder-decision-id']));
      expect(decision).toMatchObject({ kind: 'decision', decision: 'deny' });
    });
  });

  it('answers 502 when the upstream cannot be reached after the decision, and records the outcome', async () => {
    await t.other.close();
    const response = await transfer(tokens.pingtan, { hello: 'world' }, { path: '/x/other/ping' });
    expect(response.status).toBe(502);
    expect(response.json()).toMatchObject({ code: 'XB_ERR_UPSTREAM' });
    const records = await recordsOf(String(response.headers['x-xborder-decision-id']), 2);
    expect(records.map((record) => record.kind).sort()).toEqual(['decision', 'outcome']);
    expect(records.find((record) => record.kind === 'outcome')).toMatchObject({ status: null, error: 'ECONNREFUSED' });
  });

  it('works in process through app.request as well (no Node server bindings)', async () => {
    const before = t.upstream.received.length;
    const response = await t.gateway.app.request('/x/partner/in-process?q=1', {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.pingtan}`, 'content-type': 'application/json' },
      body: JSON.stringify({ greeting: 'hello' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-xborder-decision')).toBe('allow');
    expect(await response.json()).toEqual({ received: true });
    expect(t.upstream.received.slice(before).map((hit) => hit.url)).toEqual(['/api/v1/in-process?q=1']);
  });

  it('passes GET, PUT, PATCH and DELETE through and refuses other methods', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const response = await send(t.url, { method, path: '/x/partner/items/7', headers: { authorization: `Bearer ${tokens.pingtan}` }, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{"a":1}' }) });
      expect(response.status, method).toBe(200);
      expect(t.upstream.received.at(-1)).toMatchObject({ method, url: '/api/v1/items/7' });
    }
    const options = await send(t.url, { method: 'OPTIONS', path: '/x/partner/items/7', headers: { authorization: `Bearer ${tokens.pingtan}` } });
    expect(options.status).toBe(405);
  });
});

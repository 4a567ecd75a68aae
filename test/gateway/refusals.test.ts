import { gzipSync } from 'node:zlib';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devIssuer, loadDevIssuerKey } from '../../src/gateway/index.ts';
import { enterprises, pinnedAt, send, startGateway, type TestGateway } from './helpers.ts';

let t: TestGateway;
let token: string;

beforeAll(async () => {
  t = await startGateway({ settings: { maxInspectBytes: 64 * 1024, maxDecodedBytes: 1024 * 1024 } });
  token = await t.token('enterprise', enterprises.pingtan);
});
afterAll(() => t.close());

const now = Math.floor(pinnedAt.getTime() / 1000);
const nothingForwarded = () => t.upstream.received.length + t.other.received.length;

function post(path: string, authorization: string | null, body = '{"hello":"world"}', headers: Record<string, string> = {}) {
  return send(t.url, {
    path,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}), ...headers },
    body,
  });
}

describe('refused before anything is decided', () => {
  async function expectUnauthenticated(authorization: string | null) {
    const before = nothingForwarded();
    const response = await post('/x/partner/orders', authorization);
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'XB_ERR_UNAUTHENTICATED', status: 401 });
    expect(response.headers['x-xborder-decision']).toBe('refused');
    expect(response.headers['x-xborder-decision-id']).toBeTruthy();
    expect(nothingForwarded()).toBe(before);
  }

  it('refuses a request without a token', () => expectUnauthenticated(null));

  it('refuses an expired token', async () => {
    const expired = await t.token('enterprise', enterprises.pingtan, { at: new Date(pinnedAt.getTime() - 3 * 3600_000), ttlSeconds: 3600 });
    await expectUnauthenticated(`Bearer ${expired}`);
  });

  it('refuses a token from an issuer it does not trust, and one forged under the development issuer', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const claims = { role: 'enterprise' };
    const sign = (issuer: string) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(issuer).setAudience('xborder').setSubject(enterprises.pingtan).setIssuedAt(now).setExpirationTime(now + 600).sign(privateKey);
    await expectUnauthenticated(`Bearer ${await sign('https://issuer.example')}`);
    await expectUnauthenticated(`Bearer ${await sign(devIssuer)}`);
  });

  it('refuses a token for another audience', async () => {
    const key = (await loadDevIssuerKey(t.dataDir))!;
    const other = await new SignJWT({ role: 'enterprise' }).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).setIssuer(devIssuer).setAudience('another-service').setSubject(enterprises.pingtan).setExpirationTime(now + 600).sign(key.privateKey);
    await expectUnauthenticated(`Bearer ${other}`);
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const unsigned = new UnsecuredJWT({ role: 'enterprise' }).setIssuer(devIssuer).setAudience('xborder').setSubject(enterprises.pingtan).setExpirationTime(now + 600).encode();
    await expectUnauthenticated(`Bearer ${unsigned}`);
  });

  it('refuses an HS256 token signed with the public key (key confusion)', async () => {
    const key = (await loadDevIssuerKey(t.dataDir))!;
    for (const secret of [JSON.stringify(key.publicJwk), String(key.publicJwk.x), Buffer.from(String(key.publicJwk.x), 'base64url').toString('latin1')]) {
      const forged = await new SignJWT({ role: 'enterprise' })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .setIssuer(devIssuer)
        .setAudience('xborder')
        .setSubject(enterprises.pingtan)
        .setExpirationTime(now + 600)
        .sign(new TextEncoder().encode(secret));
      await expectUnauthenticated(`Bearer ${forged}`);
    }
    expect((await exportJWK((await generateKeyPair('EdDSA', { crv: 'Ed25519' })).publicKey)).kty).toBe('OKP');
  });

  it('refuses a token whose subject is not a registered enterprise, and a non-enterprise token', async () => {
    const unknown = await post('/x/partner/orders', `Bearer ${await t.token('enterprise', '91350128MA8ZZZZZZZ')}`);
    expect(unknown.status).toBe(403);
    expect(unknown.json()).toMatchObject({ code: 'XB_ERR_UNKNOWN_ENTERPRISE' });
    const regulator = await post('/x/partner/orders', `Bearer ${await t.token('regulator', 'cac-fujian', { zones: ['pingtan'] })}`);
    expect(regulator.status).toBe(403);
    expect(regulator.json()).toMatchObject({ code: 'XB_ERR_FORBIDDEN' });
  });

  it('refuses an unregistered destination with 404 and forwards nothing', async () => {
    const before = nothingForwarded();
    const response = await post('/x/evil-example/steal', `Bearer ${token}`);
    expect(response.status).toBe(404);
    expect(response.json()).toMatchObject({ code: 'XB_ERR_UNKNOWN_DESTINATION' });
    expect(nothingForwarded()).toBe(before);
  });

  it.each([
    '/x/partner/../other/x',
    '/x/partner/%2e%2e/%2e%2e/private',
    '/x/partner/%2E%2E/x',
    '/x/partner/a%2fb',
    '/x/partner/a%2F..%2Fb',
    '/x/partner/a%5c..%5cb',
    '/x/partner/a\\..\\b',
    '/x/partner//127.0.0.1:1/x',
    '/x/partner/%252e%252e/x',
    '/x/partner/.',
    '/x/partner/a%00b',
    '/x/%2e%2e/partner',
  ])('keeps the path %s from leaving the destination base path (400, nothing forwarded)', async (path) => {
    const before = nothingForwarded();
    const response = await post(path, `Bearer ${token}`);
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ code: 'XB_ERR_PATH_REJECTED' });
    expect(nothingForwarded()).toBe(before);
  });

  it('does not let an absolute request target choose the host', async () => {
    const before = nothingForwarded();
    const response = await post(`${t.other.origin}/private/x`, `Bearer ${token}`);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(nothingForwarded()).toBe(before);
  });

  it('refuses an undeclared purpose with 400 problem+json', async () => {
    const response = await post('/x/partner/orders', `Bearer ${token}`, '{}', { 'x-xborder-purpose': 'marketing' });
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ code: 'XB_ERR_BAD_INPUT' });
  });
});

describe('bodies the gateway cannot inspect are refused and recorded', () => {
  async function expectRecordedRefusal(response: Awaited<ReturnType<typeof post>>, code: string, status: number) {
    expect(response.status).toBe(status);
    const problem = response.json<{ code: string; decisionId: string }>();
    expect(problem.code).toBe(code);
    expect(problem.decisionId).toBe(response.headers['x-xborder-decision-id']);
    const { records } = await t.gateway.context.store.query({ decisionId: problem.decisionId }, { limit: 5 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ kind: 'decision', decision: 'deny', error: code });
  }

  it('answers 413 beyond maxInspectBytes', async () => {
    const before = nothingForwarded();
    const big = JSON.stringify({ filler: 'x'.repeat(70 * 1024) });
    await expectRecordedRefusal(await post('/x/partner/orders', `Bearer ${token}`, big), 'XB_ERR_BODY_TOO_LARGE', 413);
    expect(nothingForwarded()).toBe(before);
  });

  it('stops a gzip bomb at the decode limit', async () => {
    const before = nothingForwarded();
    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const response = await send(t.url, {
      path: '/x/partner/orders',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    });
    await expectRecordedRefusal(response, 'XB_ERR_DECODE_LIMIT', 413);
    expect(nothingForwarded()).toBe(before);
  });

  it('records a body its declared encoding cannot undo (corrupt gzip) as uninspectable, and forwards nothing', async () => {
    const before = nothingForwarded();
    const gz = gzipSync(Buffer.from(JSON.stringify({ travellers: [{ name: '赵六', idNo: '11010519491231002X' }] })));
    const response = await send(t.url, {
      path: '/x/partner/orders',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gz.subarray(0, gz.length - 12),
    });
    await expectRecordedRefusal(response, 'XB_ERR_UNSUPPORTED_ENCODING', 415);
    expect(nothingForwarded()).toBe(before);
  });

  it('answers 415 for an encoding it cannot decode (zstd)', async () => {
    const response = await send(t.url, {
      path: '/x/partner/orders',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'zstd' },
      body: Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]),
    });
    await expectRecordedRefusal(response, 'XB_ERR_UNSUPPORTED_ENCODING', 415);
  });

  it('denies a binary body (denyUninspectable) and forwards a gzip JSON body it could decode', async () => {
    const binary = await send(t.url, {
      path: '/x/partner/upload',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 1, 2, 3, 255, 254, 0, 7, 8, 9, 0, 0]),
    });
    expect(binary.status).toBe(451);
    const before = t.upstream.received.length;
    const gz = gzipSync(Buffer.from('{"greeting":"hello"}'));
    const ok = await send(t.url, {
      path: '/x/partner/orders',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gz,
    });
    expect(ok.status).toBe(200);
    expect(t.upstream.received.length).toBe(before + 1);
    // allow forwards the original bytes, encoding included
    expect(t.upstream.received.at(-1)!.headers['content-encoding']).toBe('gzip');
  });
});

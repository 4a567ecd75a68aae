import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config.ts';
import { isXborderError } from '../../src/errors.ts';
import { Counter, createAuthenticator, Histogram, loadDevIssuerKey, mintDevToken, parseTransferTarget, Registry, upstreamTarget } from '../../src/gateway/index.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';

describe('settings', () => {
  it('start from the embedded defaults', () => {
    const settings = loadSettings({ cwd: '/srv/xb', env: {} });
    expect(settings).toMatchObject({ port: 8080, dataDir: '/srv/xb/data', maxInspectBytes: 16 * 1024 * 1024, nodeId: 'node-1' });
  });

  it('take XBORDER_* variables over the file, and name a bad setting and its source', () => {
    expect(loadSettings({ env: { XBORDER_PORT: '9090', XBORDER_SCAN_HEADERS: 'X-Note, Referer' } })).toMatchObject({ port: 9090, scanHeaders: ['x-note', 'referer'] });
    try {
      loadSettings({ env: { XBORDER_MAX_INSPECT_BYTES: 'lots' } });
      expect.unreachable();
    } catch (error) {
      expect(isXborderError(error, 'XB_ERR_CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(/setting maxInspectBytes \(from XBORDER_MAX_INSPECT_BYTES\)/);
    }
    expect(() => loadSettings({ env: { XBORDER_JWKS_URL: 'https://idp.example/jwks' } })).toThrow(/token\.issuer/);
  });

  it('refuse a JWKS URL over plain HTTP unless it is on this machine: swapped keys would admit any token', () => {
    const issuer = 'https://idp.example';
    expect(() => loadSettings({ env: { XBORDER_TOKEN_ISSUER: issuer, XBORDER_JWKS_URL: 'http://idp.example/jwks' } })).toThrow(/token\.jwksUrl.*must be an https:\/\/ URL/);
    for (const url of ['https://idp.example/jwks', 'http://127.0.0.1:8443/jwks', 'http://localhost/jwks', 'http://[::1]:80/jwks']) {
      expect(loadSettings({ env: { XBORDER_TOKEN_ISSUER: issuer, XBORDER_JWKS_URL: url } }).token.jwksUrl).toBe(url);
    }
  });

  it('name the command line as the source of a bad option (serve --port abc)', () => {
    expect(() => loadSettings({ env: { XBORDER_PORT: '9090' }, overrides: { port: 'abc' } })).toThrow(/setting port \(from the command line\)/);
  });
});

describe('upstream URLs', () => {
  it('join validated segments under the base path and keep the query', () => {
    const route = parseTransferTarget('/x/hk-bank/accounts/%E5%BC%A0/statements?from=2026-01&x=1');
    expect(route.destinationId).toBe('hk-bank');
    expect(upstreamTarget('https://bank.example:8443/api/v2/', route)).toEqual({ origin: 'https://bank.example:8443', path: '/api/v2/accounts/%E5%BC%A0/statements?from=2026-01&x=1' });
    expect(upstreamTarget('https://bank.example', parseTransferTarget('/x/hk-bank'))).toEqual({ origin: 'https://bank.example', path: '/' });
  });
});

describe('tokens', () => {
  it('are minted by a 0600 development key and cached only until they expire', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'xborder-auth-'));
    const key = (await loadDevIssuerKey(dir))!;
    expect((await stat(join(dir, 'keys', 'dev-issuer.jwk.json'))).mode & 0o777).toBe(0o600);
    let now = new Date('2026-06-01T00:00:00Z');
    const authenticate = await createAuthenticator({ audience: 'xborder', clockToleranceSec: 0, devKey: key, clock: () => now });
    const token = await mintDevToken(key, { role: 'regulator', sub: 'cac', zones: ['xiamen'], ttlSeconds: 60 }, now);
    expect(await authenticate(`Bearer ${token}`)).toMatchObject({ role: 'regulator', sub: 'cac', zones: ['xiamen'] });
    expect(await authenticate(`Bearer ${token}`)).toMatchObject({ sub: 'cac' });
    now = new Date(now.getTime() + 61_000);
    await expect(authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: 'XB_ERR_UNAUTHENTICATED' });
  });
});

describe("the operator's issuer", () => {
  it('is trusted through a JWKS file (ES256 and RS256), while development tokens are not when the dev key is off', async () => {
    const { exportJWK, generateKeyPair, SignJWT } = await import('jose');
    const { writeFile } = await import('node:fs/promises');
    const dir = await mkdtemp(join(tmpdir(), 'xborder-jwks-'));
    const es = await generateKeyPair('ES256');
    const rs = await generateKeyPair('RS256');
    const jwks = { keys: [{ ...(await exportJWK(es.publicKey)), kid: 'es', alg: 'ES256' }, { ...(await exportJWK(rs.publicKey)), kid: 'rs', alg: 'RS256' }] };
    const jwksFile = join(dir, 'jwks.json');
    await writeFile(jwksFile, JSON.stringify(jwks));
    const at = new Date('2026-06-01T00:00:00Z');
    const authenticate = await createAuthenticator({ audience: 'xborder', clockToleranceSec: 0, operator: { issuer: 'https://idp.example', jwksFile }, clock: () => at });
    const sign = (alg: 'ES256' | 'RS256', key: import('jose').CryptoKey, kid: string) =>
      new SignJWT({ role: 'admin' }).setProtectedHeader({ alg, kid }).setIssuer('https://idp.example').setAudience('xborder').setSubject('ops').setExpirationTime(Math.floor(at.getTime() / 1000) + 60).sign(key);
    expect(await authenticate(`Bearer ${await sign('ES256', es.privateKey, 'es')}`)).toMatchObject({ role: 'admin', issuer: 'https://idp.example' });
    expect(await authenticate(`Bearer ${await sign('RS256', rs.privateKey, 'rs')}`)).toMatchObject({ role: 'admin' });
    const devKey = (await loadDevIssuerKey(dir))!;
    await expect(authenticate(`Bearer ${await mintDevToken(devKey, { role: 'admin', sub: 'me' }, at)}`)).rejects.toMatchObject({ code: 'XB_ERR_UNAUTHENTICATED' });
  });
});

describe('metrics', () => {
  it('render counters and cumulative histogram buckets in the Prometheus text format', () => {
    const registry = new Registry();
    const counter = registry.register(new Counter('c_total', 'help', ['zone']));
    const histogram = registry.register(new Histogram('h_seconds', 'help', [], [0.1, 1]));
    counter.inc({ zone: 'xiamen' });
    counter.inc({ zone: 'xiamen' }, 2);
    histogram.observe({}, 0.05);
    histogram.observe({}, 0.5);
    const text = registry.render();
    expect(text).toContain('c_total{zone="xiamen"} 3');
    expect(text).toContain('h_seconds_bucket{le="0.1"} 1');
    expect(text).toContain('h_seconds_bucket{le="1"} 2');
    expect(text).toContain('h_seconds_bucket{le="+Inf"} 2');
    expect(text).toContain('h_seconds_count 2');
  });
});

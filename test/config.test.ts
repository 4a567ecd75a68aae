import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, unknownVariables } from '../src/config.ts';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'xborder-config-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});
afterEach(async () => {
  await rm(join(cwd, 'xborder.yaml'), { force: true });
});

async function fromFile(yaml: string) {
  await writeFile(join(cwd, 'xborder.yaml'), yaml);
  return () => loadSettings({ cwd, env: {} });
}

describe('settings', () => {
  it('refuse an empty or blank port rather than listening on a random one (Number("") is 0)', async () => {
    expect(() => loadSettings({ cwd, env: {}, overrides: { port: '' } })).toThrow(/setting port \(from the command line\)/);
    expect(() => loadSettings({ cwd, env: { XBORDER_PORT: ' ' } })).toThrow(/setting port \(from XBORDER_PORT\)/);
    expect(await fromFile('port:\n')).toThrow(/setting port \(from .*xborder\.yaml\)/);
    expect(() => loadSettings({ cwd, env: { XBORDER_MAX_INSPECT_BYTES: '0x10' } })).toThrow(/setting maxInspectBytes/);
    expect(loadSettings({ cwd, env: { XBORDER_PORT: '0' } }).port).toBe(0);
    expect((await fromFile('port: 9090\n'))().port).toBe(9090);
  });

  it('name a misspelt key inside token, upstream or checkpoint: token.jwksURL would leave the development issuer trusted', async () => {
    expect(await fromFile('token:\n  issuer: https://idp.example\n  jwksURL: https://idp.example/jwks\n')).toThrow(/setting token .*jwksURL/);
    expect(await fromFile('upstream:\n  connectTimeout: 100\n')).toThrow(/setting upstream .*connectTimeout/);
    expect(await fromFile('checkpoint:\n  everyRecords: 10\n')).toThrow(/setting checkpoint .*everyRecords/);
  });

  it('refuse a duration a Node timer cannot hold: past 2^31-1 ms it fires after 1 ms', async () => {
    expect(() => loadSettings({ cwd, env: { XBORDER_SHUTDOWN_GRACE_MS: '3000000000' } })).toThrow(/setting shutdownGraceMs \(from XBORDER_SHUTDOWN_GRACE_MS\)/);
    expect(() => loadSettings({ cwd, env: { XBORDER_UPSTREAM_BODY_TIMEOUT_MS: '2147483648' } })).toThrow(/setting upstream\.bodyTimeoutMs/);
    expect(loadSettings({ cwd, env: { XBORDER_SHUTDOWN_GRACE_MS: '2147483647' } }).shutdownGraceMs).toBe(2_147_483_647);
  });

  it('name XBORDER_* variables that are no setting: a misspelt XBORDER_JWKS_URI would leave the development issuer trusted', () => {
    const env = { XBORDER_JWKS_URI: 'https://idp.example/jwks', XBORDER_PORT: '9090', XBORDER_SUBJECT_KEY_FILE: '/k', XBORDER_CONFIG: 'x.yaml', XBORDER_DATABASE_SCHEMA: 's', HOME: '/root' };
    expect(unknownVariables(env)).toEqual(['XBORDER_JWKS_URI']);
  });
});

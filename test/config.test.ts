import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../src/config.ts';

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
  it('name a misspelt key inside token, upstream or checkpoint: token.jwksURL would leave the development issuer trusted', async () => {
    expect(await fromFile('token:\n  issuer: https://idp.example\n  jwksURL: https://idp.example/jwks\n')).toThrow(/setting token .*jwksURL/);
    expect(await fromFile('upstream:\n  connectTimeout: 100\n')).toThrow(/setting upstream .*connectTimeout/);
    expect(await fromFile('checkpoint:\n  everyRecords: 10\n')).toThrow(/setting checkpoint .*everyRecords/);
  });
});

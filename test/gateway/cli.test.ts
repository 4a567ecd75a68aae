import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import type { CommandIo } from '../../src/shared/cli-support.ts';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'xborder-token-cli-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

function io(): CommandIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
    stdin: Readable.from([]),
    env: {},
    cwd,
  };
  return captured;
}

describe('xborder token', () => {
  it('mints a token on stdout', async () => {
    const capture = io();
    expect(await main(['token', '--role', 'admin', '--sub', 'ops', '--ttl', '30m'], capture)).toBe(0);
    expect(capture.out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it.each([
    [['--ttl', '0'], /--ttl/],
    [['--ttl', '400d'], /--ttl/],
    [['--sub', 'x'.repeat(65)], /--sub/],
  ])('refuses %j in one line naming the option, exit 2, not a stack trace', async (bad, named) => {
    const capture = io();
    expect(await main(['token', '--role', 'admin', '--sub', 'ops', ...bad], capture)).toBe(2);
    expect(capture.out).toBe('');
    expect(capture.err).toMatch(named);
    expect(capture.err.split('\n')).toHaveLength(2);
  });
});

import { describe, expect, it } from 'vitest';
import { concerns, main } from '../src/cli.ts';
import type { CommandIo } from '../src/shared/cli-support.ts';

function io(): CommandIo & { out: string; err: string } {
  const capture = {
    out: '',
    err: '',
    stdout: (text: string) => void (capture.out += text),
    stderr: (text: string) => void (capture.err += text),
    stdin: process.stdin,
    env: {},
    cwd: process.cwd(),
  };
  return capture;
}

describe('the xborder dispatcher', () => {
  it("keeps each concern's command names and summaries, which help prints without loading the concern", async () => {
    for (const concern of concerns) {
      const commands = await concern.load();
      const declared = Object.fromEntries(Object.entries(commands).map(([name, command]) => [name, command.summary]));
      expect(concern.summaries).toEqual(declared);
    }
  });

  it('lists every command in help, and names an unknown one in one line with exit 2', async () => {
    const help = io();
    expect(await main(['--help'], help)).toBe(0);
    const lines = help.out.split('\n');
    for (const concern of concerns) {
      for (const [name, summary] of Object.entries(concern.summaries)) {
        expect(lines.some((line) => line.startsWith(`  xborder ${name} `) && line.endsWith(`  ${summary}`)), name).toBe(true);
      }
    }
    const unknown = io();
    expect(await main(['constructor'], unknown)).toBe(2);
    expect(unknown.err.trim().split('\n')).toHaveLength(1);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { concerns, main } from '../src/cli.ts';
import type { CommandIo } from '../src/shared/cli-support.ts';

// Records the option names each command hands its parser, so the tests below hold every
// command's --help to the options it really accepts rather than to a list kept by hand.
const parsed = vi.hoisted(() => ({ options: [] as string[][] }));
vi.mock('../src/shared/cli-support.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/shared/cli-support.ts')>();
  return {
    ...original,
    parseOptions: (argv: string[], options: Parameters<typeof original.parseOptions>[1], allowPositionals?: boolean) => {
      parsed.options.push(Object.keys(options ?? {}));
      return original.parseOptions(argv, options, allowPositionals);
    },
  };
});

const commandNames = concerns.flatMap((concern) => Object.keys(concern.summaries));
const summaryOf = (name: string): string => concerns.find((concern) => Object.hasOwn(concern.summaries, name))!.summaries[name]!;

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

  it.each(commandNames)('answers "%s --help" and -h with its usage on stdout, exit 0, without running it', async (name) => {
    const words = name.split(' ');
    for (const flag of ['--help', '-h']) {
      // After an argument that would make the command fail: help wins, and nothing runs.
      const capture = io();
      expect(await main([...words, 'no-such-file.json', flag], capture), flag).toBe(0);
      expect(capture.err).toBe('');
      const [synopsis, summary] = capture.out.split('\n');
      expect(synopsis).toMatch(new RegExp(`^usage: xborder ${name}( |$)`));
      expect(summary).toBe(summaryOf(name));
    }
  });

  it.each(commandNames)('lists in "%s --help" exactly the options its parser accepts', async (name) => {
    const words = name.split(' ');
    const help = io();
    expect(await main([...words, '--help'], help)).toBe(0);
    const [synopsis = '', , ...rest] = help.out.split('\n');
    const described = rest.map((line) => /^ {2}(--[a-z-]+)(?: |$)/.exec(line)?.[1]).filter((flag) => flag !== undefined);

    parsed.options.length = 0;
    const rejected = io();
    expect(await main([...words, '--no-such-option'], rejected)).toBe(2);
    const accepted = parsed.options[0]?.map((option) => `--${option}`) ?? [];
    expect(accepted.length, 'the command parses its options first').toBeGreaterThan(0);

    expect([...described].sort()).toEqual([...accepted].sort());
    for (const option of accepted) expect(synopsis, option).toMatch(new RegExp(`${option}\\b`));
  });

  it.each(commandNames)('rejects an unknown option of "%s" in one line that points at its --help, exit 2', async (name) => {
    const capture = io();
    expect(await main([...name.split(' '), '--no-such-option'], capture)).toBe(2);
    expect(capture.out).toBe('');
    expect(capture.err.split('\n')).toHaveLength(2);
    expect(capture.err).toMatch(/^xborder: Unknown option '--no-such-option'/);
    expect(capture.err.endsWith(`; run "xborder ${name} --help"\n`), capture.err).toBe(true);
  });

  it('prints the usage on stderr when called with no command, exit 2: a failure is no result for stdout', async () => {
    const bare = io();
    expect(await main([], bare)).toBe(2);
    expect(bare.out).toBe('');
    expect(bare.err).toMatch(/^usage:\n {2}xborder /);
  });

  it('takes -h after -- as an argument, not a request for help', async () => {
    const capture = io();
    expect(await main(['scan', '--', '-h'], capture)).toBe(2);
    expect(capture.out).toBe('');
    expect(capture.err).toBe('xborder: no such file: -h; run "xborder scan --help"\n');
  });
});

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how a command was called: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What a command writes to; tests pass their own to capture output. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  /** One line for `xborder help`. */
  summary: string;
  /**
   * What `xborder <name> --help` prints after its `usage: xborder <name>` prefix: the synopsis (the
   * options and positionals) on the first line, then one line per option its parser accepts,
   * saying what it does and its default. Build it with `usage()`.
   */
  usage: string;
  /** Runs the command and returns its exit code. Throws UsageError for bad options. */
  run: (argv: string[], io: CommandIo) => Promise<number>;
}

/** node:util parseArgs, with its errors turned into UsageError so they print as one line. */
export function parseOptions<T extends ParseArgsConfig['options']>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A command's `usage` text: its synopsis, then each `[flag, what it does]` as an aligned line. */
export function usage(synopsis: string, options: readonly (readonly [flag: string, text: string])[]): string {
  const width = Math.max(...options.map(([flag]) => flag.length));
  return [synopsis, ...options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`)].join('\n');
}

/** Whether the arguments ask for help: `--help` or `-h` anywhere before a `--` separator. */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** `xborder <name> --help`: the synopsis line, the one-line summary, then the option lines. */
export function helpText(name: string, command: Command): string {
  const [synopsis = '', ...options] = command.usage.split('\n');
  const head = `usage: xborder ${name}${synopsis === '' ? '' : ` ${synopsis}`}\n${command.summary}\n`;
  return options.length === 0 ? head : `${head}\n${options.join('\n')}\n`;
}

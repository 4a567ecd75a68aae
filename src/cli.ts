/**
 * The `xborder` command. Each concern contributes its commands from its own `cli.ts`; this file
 * only dispatches, so the concerns never edit a shared switch.
 */
import { isXborderError } from './errors.ts';
import { UsageError, type Command, type CommandIo } from './shared/cli-support.ts';
import { detectCommands } from './detect/cli.ts';
import { policyCommands } from './policy/cli.ts';
import { auditCommands } from './audit/cli.ts';
import { gatewayCommands } from './gateway/cli.ts';

const commands: Record<string, Command> = {
  ...detectCommands,
  ...policyCommands,
  ...auditCommands,
  ...gatewayCommands,
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, command]) => `  xborder ${name.padEnd(width)}  ${command.summary}`);
  return `usage:\n${lines.join('\n')}\n`;
}

/** Finds the longest command name that prefixes argv ("audit verify" before "audit"). */
function resolve(argv: string[]): { command: Command; rest: string[] } | null {
  for (let words = Math.min(3, argv.length); words > 0; words--) {
    const command = commands[argv.slice(0, words).join(' ')];
    if (command) return { command, rest: argv.slice(words) };
  }
  return null;
}

export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.stdout(usage());
    return argv.length === 0 ? 2 : 0;
  }
  const found = resolve(argv);
  if (!found) {
    io.stderr(`xborder: unknown command "${argv.join(' ')}"; run "xborder help"\n`);
    return 2;
  }
  try {
    return await found.command.run(found.rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`xborder: ${error.message}\n`);
      return 2;
    }
    if (isXborderError(error)) {
      io.stderr(`xborder: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function processIo(): CommandIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * The `xborder` command. Each concern contributes its commands from its own `cli.ts`; this file
 * only dispatches, so the concerns never edit a shared switch. A concern's module is imported
 * only when one of its commands runs: `xborder scan` of a 1 GB file must not carry the gateway,
 * the audit stores and their drivers in memory (CLARIFICATIONS 20). The summaries here are what
 * `xborder help` prints without loading anything; test/cli.test.ts keeps them equal to the
 * concerns' own.
 */
import { isXborderError } from './errors.ts';
import { asksForHelp, helpText, UsageError, type Command, type CommandIo } from './shared/cli-support.ts';

export interface Concern {
  /** Each command's name and one-line summary, as the concern's cli.ts declares them. */
  summaries: Record<string, string>;
  load: () => Promise<Record<string, Command>>;
}

export const concerns: Concern[] = [
  {
    summaries: { scan: 'scan a file (or stdin) for personal information and print the findings as JSON' },
    load: async () => (await import('./detect/cli.ts')).detectCommands,
  },
  {
    summaries: {
      'policy check': 'validate the policy files; print each problem as file:line:column, else a summary and the version',
      'policy test': 'run the policy test cases of policies/tests/*.yaml; print each failure with expected against got',
      check: 'what-if: scan a payload and print the decision JSON (--enterprise, --destination, --prior general=N,sensitive=M); writes nothing',
    },
    load: async () => (await import('./policy/cli.ts')).policyCommands,
  },
  {
    summaries: {
      'audit verify': 'recompute the audit trees and check every signed checkpoint (or an export file, offline)',
      'audit export': 'write records, checkpoints and public keys to one NDJSON file (--out FILE)',
      'audit proof': 'print the inclusion proof of a decision against the latest signed checkpoint (JSON)',
      'counters show': "show an enterprise's distinct subjects this year, per class and tally",
      'counters import': "seed this year's totals counted before the gateway (recorded in the audit log)",
    },
    load: async () => (await import('./audit/cli.ts')).auditCommands,
  },
  {
    summaries: {
      serve: 'run the gateway (settings: xborder.yaml, XBORDER_* env; default port 8080)',
      token: 'mint a development token: --role enterprise|regulator|admin --sub ID [--zones a,b] [--ttl 1h]',
    },
    load: async () => (await import('./gateway/cli.ts')).gatewayCommands,
  },
];

const summaries: Record<string, string> = Object.assign({}, ...concerns.map((concern) => concern.summaries));

function usage(): string {
  const width = Math.max(...Object.keys(summaries).map((name) => name.length));
  const lines = Object.entries(summaries)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, summary]) => `  xborder ${name.padEnd(width)}  ${summary}`);
  return `usage:\n${lines.join('\n')}\n`;
}

/** Finds the longest command name that prefixes argv ("audit verify" before "audit"), and loads its concern. */
async function resolve(argv: string[]): Promise<{ name: string; command: Command; rest: string[] } | null> {
  for (let words = Math.min(3, argv.length); words > 0; words--) {
    const name = argv.slice(0, words).join(' ');
    const concern = concerns.find((candidate) => Object.hasOwn(candidate.summaries, name));
    if (concern === undefined) continue;
    const command = (await concern.load())[name];
    if (command) return { name, command, rest: argv.slice(words) };
  }
  return null;
}

export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
  if (argv.length === 0) {
    io.stderr(usage());
    return 2;
  }
  if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.stdout(usage());
    return 0;
  }
  const found = await resolve(argv);
  if (!found) {
    io.stderr(`xborder: unknown command "${argv.join(' ')}"; run "xborder help"\n`);
    return 2;
  }
  if (asksForHelp(found.rest)) {
    io.stdout(helpText(found.name, found.command));
    return 0;
  }
  try {
    return await found.command.run(found.rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`xborder: ${error.message.replace(/\.$/, '')}; run "xborder ${found.name} --help"\n`);
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

/**
 * The xborder commands the demo runs: `xborder serve` as a real child process (what an operator
 * starts), and the one-shot commands (`token`, `counters import`, `audit verify`) through the
 * same dispatcher as bin/xborder.js, in this process, so that each does not pay a second start-up.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.ts';
import { XborderError } from '../../src/errors.ts';

const bin = fileURLToPath(new URL('../../bin/xborder.js', import.meta.url));

/** The caller's XBORDER_* settings must not reach the demo (a database URL would send it to PostgreSQL). */
export function cleanEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('XBORDER_')) env[name] = value;
  return { ...env, ...extra };
}

export interface GatewayProcess {
  url: string;
  /** Everything the process wrote (pino lines and messages), for a failure report. */
  output(): string;
  /** SIGTERM, then the exit code (null when it had to be killed). */
  stop(): Promise<number | null>;
}

export function startGatewayProcess({ cwd, args, env, timeoutMs = 20_000 }: { cwd: string; args: string[]; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async function stopGateway(): Promise<number | null> {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new XborderError('XB_ERR_INTERNAL', `xborder serve did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = () => {
      const match = /gateway listening on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stderr.off('data', onData);
      resolve({ url: match[1]!, output: () => output, stop });
    };
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new XborderError('XB_ERR_INTERNAL', `xborder serve exited with ${code} before listening:\n${output}`));
    });
  });
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `xborder <argv>` in `cwd` with `env`, as bin/xborder.js would. */
export async function xborder(argv: string[], { cwd, env }: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stdin: process.stdin,
    env,
    cwd,
  });
  return { code, stdout, stderr };
}

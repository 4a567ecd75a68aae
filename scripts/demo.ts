/**
 * `npm run demo`: the three hubs of issue 6 end to end. Starts `xborder serve` on its embedded
 * defaults in a temporary folder (SQLite and development keys under ./data), a mock overseas
 * recipient per destination, seeds counters with `xborder counters import`, sends every
 * scenario as a real HTTP transfer with a real token, prints what happened against what the
 * law expects, verifies the audit log with `xborder audit verify`, and cleans up.
 * Exit code 1 when any outcome differs, the log does not verify, or the gateway stops uncleanly.
 * `--keep` leaves the temporary folder for a look at the database.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shanghaiYear } from '../src/domain.ts';
import { createIdentities } from './demo/identities.ts';
import { cleanEnvironment, startGatewayProcess, xborder, type GatewayProcess } from './demo/processes.ts';
import { copyPolicyWithRecipients, destinationIds, startRecipients, type Recipients } from './demo/recipients.ts';
import { timeline, type ImportStep } from './demo/scenarios.ts';
import { formatNotes, formatProgress, formatTable } from './demo/table.ts';
import { runTransfer, type Row, type TransferContext } from './demo/transfers.ts';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const say = (text = ''): void => void process.stdout.write(`${text}\n`);
const shown = (argv: string[]): string => argv.map((arg) => (/[\s"]/.test(arg) ? JSON.stringify(arg) : arg)).join(' ');

async function demo({ keep }: { keep: boolean }): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'xborder-demo-'));
  let recipients: Recipients | null = null;
  let gateway: GatewayProcess | null = null;
  const failures: string[] = [];
  try {
    recipients = await startRecipients(await destinationIds(repositoryRoot));
    await copyPolicyWithRecipients(repositoryRoot, join(dir, 'policy'), recipients);
    say(`xborder demo — the three hubs of the Fujian FTZ (Pingtan, Fuzhou, Xiamen), in ${dir}`);
    say('The repository policy is copied to ./policy with each destination\'s upstream rewritten to its mock recipient:');
    for (const recipient of recipients.byDestination.values()) say(`  ${recipient.destination.padEnd(20)} → ${recipient.origin}`);

    // The clinical partner's upstream credential comes from the environment (destinations.yaml: env:TW_PARTNER_TOKEN).
    const credentials = { 'tw-clinical-partner': { 'x-partner-token': randomBytes(12).toString('hex') } };
    const env = cleanEnvironment({ TW_PARTNER_TOKEN: credentials['tw-clinical-partner']['x-partner-token'], XBORDER_LOG_LEVEL: 'warn' });
    const serveArgs = ['--host', '127.0.0.1', '--port', '0', '--policies', './policy'];
    gateway = await startGatewayProcess({ cwd: dir, args: serveArgs, env });
    say(`$ xborder serve ${shown(serveArgs)}`);
    say(`  gateway listening on ${gateway.url} (SQLite, subject key and development keys under ./data)`);

    const run = (argv: string[]) => xborder(argv, { cwd: dir, env });
    const tokens = new Map<string, Promise<string>>();
    const ctx: TransferContext = {
      gateway: gateway.url,
      credentials,
      recipient: (destination) => recipients!.byDestination.get(destination)!,
      token: (enterprise) => {
        let token = tokens.get(enterprise);
        if (!token) {
          token = run(['token', '--role', 'enterprise', '--sub', enterprise, '--ttl', '15m']).then((result) => {
            if (result.code !== 0) throw new Error(`xborder token failed: ${result.stderr}`);
            return result.stdout.trim();
          });
          tokens.set(enterprise, token);
        }
        return token;
      },
    };
    say('$ xborder token --role enterprise --sub <USCC> --ttl 15m   (one development token per enterprise)');

    const at = new Date();
    const rows: Row[] = [];
    for (const step of timeline(createIdentities(), at)) {
      if (step.kind === 'import') await seed(step, shanghaiYear(at), run, failures);
      else {
        const row = await runTransfer(ctx, step);
        say(formatProgress(row));
        rows.push(row);
      }
    }

    say();
    say(formatTable(rows));
    say();
    say(formatNotes(rows));
    say('The in-force variant of the Pingtan list (data outside it leaves exempt under Art. 6) is a policy test:');
    say('test/policy/zone-lists.test.ts runs test/fixtures/policy/pingtan-in-force.yaml on a copy set to in-force.');
    const differing = rows.filter((row) => row.differences.length > 0);
    if (differing.length > 0) failures.push(`${differing.length} of ${rows.length} transfers differ from the expected outcome: ${differing.map((row) => row.step.id).join(', ')}`);

    const exit = await gateway.stop();
    gateway = null;
    say();
    say(`gateway stopped (exit ${exit}); the final checkpoint is signed`);
    if (exit !== 0) failures.push(`xborder serve exited with ${exit}`);

    say('$ xborder audit verify');
    const verified = await run(['audit', 'verify']);
    say((verified.stdout + verified.stderr).trimEnd());
    if (verified.code !== 0) failures.push(`xborder audit verify exited with ${verified.code}`);

    say();
    if (failures.length === 0) say(`demo OK: ${rows.length} transfers as expected, audit log verified`);
    else for (const failure of failures) say(`demo FAILED: ${failure}`);
    return failures.length === 0 ? 0 : 1;
  } catch (error) {
    say(`demo FAILED: ${error instanceof Error ? error.message : String(error)}`);
    if (gateway) say(`gateway output:\n${gateway.output().slice(-4000)}`);
    return 1;
  } finally {
    await gateway?.stop();
    await recipients?.close();
    if (keep) say(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

/** Seeds this year's totals counted before the gateway, as an operator would (CLARIFICATIONS 6). */
async function seed(step: ImportStep, year: number, run: (argv: string[]) => ReturnType<typeof xborder>, failures: string[]): Promise<void> {
  const argv = ['counters', 'import', '--enterprise', step.enterprise, '--year', String(year), '--general', String(step.general), '--reason', step.reason];
  const result = await run(argv);
  say(`$ xborder ${shown(argv)}`);
  say(`  ${(result.code === 0 ? result.stdout : result.stderr).trim()}`);
  if (result.code !== 0) failures.push(`counters import for ${step.enterprise} exited with ${result.code}`);
}

process.exitCode = await demo({ keep: process.argv.includes('--keep') });

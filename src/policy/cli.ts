/**
 * `xborder policy check`, `xborder policy test`, `xborder check`: the operators' tools for writing
 * policy files, testing them as data, and asking "what would the gateway decide?" (never writes a store).
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { datasetName, purposes, type Purpose } from '../domain.ts';
import { isXborderError } from '../errors.ts';
import { parseOptions, usage, UsageError, type Command, type CommandIo } from '../shared/cli-support.ts';
import { describeFailure, loadCaseFiles, runCase } from './cases.ts';
import { dateInShanghai, evaluateTransfer, parsePrior } from './evaluate.ts';
import { defaultPolicyDir } from './files.ts';
import { loadPolicy } from './load.ts';
import type { LoadedPolicy, PolicyIssue } from './types.ts';
import { formatIssue } from './yaml-source.ts';

const policiesOption = { policies: { type: 'string' } } as const;
const policiesLine = ['--policies DIR', 'the folder holding policies/ and negative-list/, or policies/ itself; default: $XBORDER_POLICIES, else the policies shipped with xborder'] as const;

function policyDir(option: string | undefined, io: CommandIo): string {
  return option !== undefined ? resolve(io.cwd, option) : defaultPolicyDir(io.env);
}

/** Loads the policy or prints every located problem; null means "exit 1". */
async function loadOrReport(dir: string, io: CommandIo): Promise<LoadedPolicy | null> {
  try {
    return await loadPolicy(dir, { env: io.env });
  } catch (error) {
    if (!isXborderError(error, 'XB_ERR_POLICY_INVALID')) throw error;
    const issues = (error.details?.['issues'] ?? []) as PolicyIssue[];
    for (const issue of issues) io.stderr(`${formatIssue(issue)}\n`);
    io.stderr(`xborder: ${issues.length} problem(s) in the policy files under ${dir}\n`);
    return null;
  }
}

const policyCheck: Command = {
  summary: 'validate the policy files; print each problem as file:line:column, else a summary and the version',
  usage: usage('[--policies DIR]', [policiesLine]),
  async run(argv, io) {
    const { values } = parseOptions(argv, policiesOption, false);
    const dir = policyDir(values.policies, io);
    const policy = await loadOrReport(dir, io);
    if (!policy) return 1;
    const lines = [`policy OK under ${policy.root}`, `version ${policy.version}`, `${policy.enterprises.size} enterprises, ${policy.destinations.size} destinations`];
    for (const set of policy.ruleSets.values()) {
      const from = set.meta.effectiveFrom ? ` from ${set.meta.effectiveFrom}` : '';
      const examples = set.rules.filter((r) => r.example).length;
      lines.push(`rule set ${set.meta.id}: ${set.meta.status}${from}, ${set.rules.length} rules${examples > 0 ? ` (${examples} examples)` : ''}`);
    }
    for (const [zone, config] of policy.zones) lines.push(`zone ${zone}: ${config.ruleSets.map((s) => s.meta.id).join(' + ')}${config.masking ? ', masking' : ''}`);
    for (const warning of policy.warnings) lines.push(`warning: ${warning}`);
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  },
};

const policyTest: Command = {
  summary: 'run the policy test cases of policies/tests/*.yaml; print each failure with expected against got',
  usage: usage('[--policies DIR]', [policiesLine]),
  async run(argv, io) {
    const { values } = parseOptions(argv, policiesOption, false);
    const dir = policyDir(values.policies, io);
    const policy = await loadOrReport(dir, io);
    if (!policy) return 1;
    const { files, issues } = await loadCaseFiles(dir);
    for (const issue of issues) io.stderr(`${formatIssue(issue)}\n`);
    let passed = 0;
    let failed = 0;
    for (const file of files) {
      for (const c of file.cases) {
        const result = await runCase(policy, file, c);
        if (result.passed) passed++;
        else {
          failed++;
          io.stdout(describeFailure(result));
        }
      }
    }
    io.stdout(`${passed} passed, ${failed} failed (${files.length} files, policy ${policy.version.slice(0, 12)})\n`);
    return failed > 0 || issues.length > 0 ? 1 : 0;
  },
};

const contentTypes: Record<string, string> = {
  '.json': 'application/json',
  '.ndjson': 'application/x-ndjson',
  '.jsonl': 'application/x-ndjson',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
};

async function readStdin(stdin: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

const check: Command = {
  summary: 'what-if: scan a payload and print the decision JSON (--enterprise, --destination, --prior general=N,sensitive=M); writes nothing',
  usage: usage(
    '--enterprise ID --destination ID [--purpose P] [--dataset NAME] [--prior general=N,sensitive=M] [--at YYYY-MM-DD] [--content-type TYPE] [--policies DIR] [FILE|-]',
    [
      ['--enterprise ID', 'the sending enterprise (its USCC in policies/enterprises.yaml); required'],
      ['--destination ID', 'the receiving destination (policies/destinations.yaml); required'],
      ['--purpose P', `the declared exemption scenario, as X-Xborder-Purpose: ${purposes.join(', ')}; default: none`],
      ['--dataset NAME', 'the dataset the payload belongs to, as X-Xborder-Dataset (letters, digits, . _ : -); default: none'],
      ['--prior general=N,sensitive=M', "this year's distinct subjects before this transfer (either part optional); default: general=0,sensitive=0"],
      ['--at YYYY-MM-DD', 'the transfer date (Asia/Shanghai): which rule sets are in force, and the counting year; default: today'],
      ['--content-type TYPE', "the payload's media type; default: from FILE's extension (.json .ndjson .jsonl .csv .txt), else told from the body"],
      policiesLine,
      ['FILE|-', 'the payload to scan; default: - (standard input)'],
    ],
  ),
  async run(argv, io) {
    const { values, positionals } = parseOptions(argv, {
      ...policiesOption,
      enterprise: { type: 'string' },
      destination: { type: 'string' },
      purpose: { type: 'string' },
      dataset: { type: 'string' },
      prior: { type: 'string' },
      at: { type: 'string' },
      'content-type': { type: 'string' },
    });
    if (!values.enterprise) throw new UsageError('check: --enterprise ID is required');
    if (!values.destination) throw new UsageError('check: --destination ID is required');
    if (values.purpose !== undefined && !(purposes as readonly string[]).includes(values.purpose)) {
      throw new UsageError(`check: --purpose must be one of ${purposes.join(', ')}`);
    }
    // What the gateway answers 400 to would otherwise get a decision here.
    if (values.dataset !== undefined && !datasetName.pattern.test(values.dataset)) throw new UsageError(`check: --dataset "${values.dataset}": ${datasetName.message}`);
    if (positionals.length > 1) throw new UsageError('check: give one payload FILE, or - for standard input');
    let prior: { general: number; sensitive: number };
    let at: Date;
    try {
      prior = values.prior !== undefined ? parsePrior(values.prior) : { general: 0, sensitive: 0 };
      at = values.at !== undefined ? dateInShanghai(values.at) : new Date();
    } catch (error) {
      throw new UsageError(`check: ${error instanceof Error ? error.message : String(error)}`);
    }
    const file = positionals[0] ?? '-';
    let body: Uint8Array;
    try {
      body = file === '-' ? await readStdin(io.stdin) : await readFile(resolve(io.cwd, file));
    } catch (error) {
      throw new UsageError(`check: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const policy = await loadOrReport(policyDir(values.policies, io), io);
    if (!policy) return 1;
    try {
      const { decision } = await evaluateTransfer(policy, {
        enterprise: values.enterprise,
        destination: values.destination,
        purpose: (values.purpose as Purpose | undefined) ?? null,
        dataset: values.dataset ?? null,
        prior,
        at,
        body,
        contentType: values['content-type'] ?? contentTypes[extname(file).toLowerCase()],
      });
      io.stdout(`${JSON.stringify(decision, null, 2)}\n`);
      return 0;
    } catch (error) {
      if (isXborderError(error, 'XB_ERR_UNKNOWN_ENTERPRISE') || isXborderError(error, 'XB_ERR_UNKNOWN_DESTINATION')) throw new UsageError(`check: ${error.message}`);
      throw error;
    }
  },
};

export const policyCommands: Record<string, Command> = {
  'policy check': policyCheck,
  'policy test': policyTest,
  check,
};

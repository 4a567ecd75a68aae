/**
 * Policy test cases kept as data (`policies/tests/*.yaml`), run like unit tests: each case scans
 * its payload and decides it against the policy, and says what it expects (OPA-style policy tests).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { datasetName, decisionKinds, mechanisms, purposes } from '../domain.ts';
import { dateInShanghai, evaluateTransfer, parsePrior } from './evaluate.ts';
import { resolveLayout } from './files.ts';
import type { LoadedPolicy, PolicyIssue } from './types.ts';
import { parseYamlSource, zodIssues } from './yaml-source.ts';

const dateText = z.union([z.string(), z.date().transform((d) => d.toISOString().slice(0, 10))]);

export const policyCaseSchema = z
  .object({
    name: z.string().min(1),
    enterprise: z.string().min(1),
    destination: z.string().min(1),
    purpose: z.enum(purposes).optional(),
    dataset: z.string().regex(datasetName.pattern, datasetName.message).optional(),
    /** This year's totals before the transfer: `{ general, sensitive }` or `general=N,sensitive=M`. */
    prior: z.union([z.string(), z.object({ general: z.number().int().nonnegative().default(0), sensitive: z.number().int().nonnegative().default(0) }).strict()]).optional(),
    at: dateText.optional(),
    payload: z.unknown().optional(),
    payloadFile: z.string().min(1).optional(),
    contentType: z.string().min(1).optional(),
    expect: z
      .object({
        decision: z.enum(decisionKinds),
        mechanism: z.enum(mechanisms).optional(),
        rulesInclude: z.array(z.string().min(1)).optional(),
      })
      .strict(),
  })
  .strict()
  .refine((c) => (c.payload === undefined) !== (c.payloadFile === undefined), { message: 'expected exactly one of payload and payloadFile', path: ['payload'] });
export type PolicyCase = z.infer<typeof policyCaseSchema>;

const caseFileSchema = z.object({ defaults: z.object({ at: dateText.optional() }).strict().optional(), cases: z.array(policyCaseSchema) }).strict();

export interface CaseFile {
  file: string;
  dir: string;
  cases: (PolicyCase & { at?: string })[];
}

/** Reads every case file of the policy folder; problems are returned located, not thrown. */
export async function loadCaseFiles(policyDir: string): Promise<{ files: CaseFile[]; issues: PolicyIssue[] }> {
  const layout = resolveLayout(policyDir);
  const testsDir = join(layout.policiesDir, 'tests');
  const files: CaseFile[] = [];
  const issues: PolicyIssue[] = [];
  if (!existsSync(testsDir)) return { files, issues };
  for (const name of (await readdir(testsDir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort()) {
    const path = join(testsDir, name);
    const source = parseYamlSource(relative(layout.root, path), await readFile(path, 'utf8'));
    if (source.errors.length > 0) {
      issues.push(...source.errors);
      continue;
    }
    const parsed = caseFileSchema.safeParse(source.value ?? {});
    if (!parsed.success) {
      issues.push(...zodIssues(source, parsed.error));
      continue;
    }
    const at = parsed.data.defaults?.at;
    files.push({ file: source.file, dir: dirname(path), cases: parsed.data.cases.map((c) => ({ ...c, at: c.at ?? at })) });
  }
  return { files, issues };
}

export interface CaseResult {
  name: string;
  file: string;
  passed: boolean;
  expected: PolicyCase['expect'];
  got: { decision: string; mechanism: string; rules: string[]; reasons: string } | null;
  error: string | null;
}

function payloadOf(c: PolicyCase): { body: string; contentType: string | undefined } {
  if (typeof c.payload === 'string') return { body: c.payload, contentType: c.contentType };
  return { body: JSON.stringify(c.payload), contentType: c.contentType ?? 'application/json' };
}

export async function runCase(policy: LoadedPolicy, file: CaseFile, c: PolicyCase & { at?: string }): Promise<CaseResult> {
  const base = { name: c.name, file: file.file, expected: c.expect };
  try {
    const payload = c.payloadFile !== undefined ? { body: await readFile(resolve(file.dir, c.payloadFile)), contentType: c.contentType } : payloadOf(c);
    const prior = typeof c.prior === 'string' ? parsePrior(c.prior) : (c.prior ?? { general: 0, sensitive: 0 });
    const { decision } = await evaluateTransfer(policy, {
      enterprise: c.enterprise,
      destination: c.destination,
      purpose: c.purpose ?? null,
      dataset: c.dataset ?? null,
      prior,
      at: c.at !== undefined ? dateInShanghai(c.at) : new Date(),
      body: payload.body,
      contentType: payload.contentType,
    });
    const got = { decision: decision.decision, mechanism: decision.mechanism, rules: decision.rules.map((r) => r.id), reasons: decision.reasons.en };
    const passed =
      got.decision === c.expect.decision &&
      (c.expect.mechanism === undefined || got.mechanism === c.expect.mechanism) &&
      (c.expect.rulesInclude ?? []).every((id) => got.rules.includes(id));
    return { ...base, passed, got, error: null };
  } catch (error) {
    return { ...base, passed: false, got: null, error: error instanceof Error ? error.message : String(error) };
  }
}

export function describeFailure(result: CaseResult): string {
  const e = result.expected;
  const expected = `decision=${e.decision}${e.mechanism ? ` mechanism=${e.mechanism}` : ''}${e.rulesInclude ? ` rules⊇[${e.rulesInclude.join(', ')}]` : ''}`;
  const got = result.got ? `decision=${result.got.decision} mechanism=${result.got.mechanism} rules=[${result.got.rules.join(', ')}]` : `error: ${result.error}`;
  const why = result.got ? `\n  reasons:  ${result.got.reasons}` : '';
  return `FAIL ${result.file}: ${result.name}\n  expected: ${expected}\n  got:      ${got}${why}\n`;
}

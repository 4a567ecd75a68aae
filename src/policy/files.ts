/**
 * Where the policy files are, and reading them: `--policies DIR` names the folder holding
 * `policies/` and `negative-list/`, or `policies/` itself (CLARIFICATIONS 22).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XborderError } from '../errors.ts';
import { parseYamlSource, type YamlSource } from './yaml-source.ts';

export interface PolicyLayout {
  root: string;
  policiesDir: string;
  negativeListDir: string;
}

/** The repository's own policies, found from this file rather than the working directory. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

export function defaultPolicyDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['XBORDER_POLICIES'];
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : packageRoot;
}

export function resolveLayout(dir: string): PolicyLayout {
  const full = resolve(dir);
  if (existsSync(join(full, 'policies', 'gateway.yaml'))) {
    return { root: full, policiesDir: join(full, 'policies'), negativeListDir: join(full, 'negative-list') };
  }
  if (existsSync(join(full, 'gateway.yaml'))) {
    const root = dirname(full);
    return { root, policiesDir: full, negativeListDir: join(root, 'negative-list') };
  }
  throw new XborderError('XB_ERR_POLICY_INVALID', `no policies/gateway.yaml under ${full}: expected the folder holding policies/ and negative-list/, or policies/ itself`, {
    details: { issues: [{ file: basename(full), line: 1, column: 1, field: '(folder)', message: 'expected policies/gateway.yaml here' }] },
  });
}

async function yamlFilesIn(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const names = await readdir(dir);
  return names.filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort().map((n) => join(dir, n));
}

export interface PolicySources {
  gateway: YamlSource | null;
  enterprises: YamlSource | null;
  destinations: YamlSource | null;
  calendars: YamlSource[];
  ruleSets: YamlSource[];
  /** Every source, keyed by its path relative to the root, for the version hash. */
  all: YamlSource[];
  missing: string[];
}

export async function readSources(layout: PolicyLayout): Promise<PolicySources> {
  const rel = (path: string) => relative(layout.root, path).split('\\').join('/');
  const read = async (path: string): Promise<YamlSource> => parseYamlSource(rel(path), await readFile(path, 'utf8'));
  const missing: string[] = [];
  const optional = async (name: string) => {
    const path = join(layout.policiesDir, name);
    if (!existsSync(path)) {
      missing.push(rel(path));
      return null;
    }
    return read(path);
  };
  const gateway = await optional('gateway.yaml');
  const enterprises = await optional('enterprises.yaml');
  const destinations = await optional('destinations.yaml');
  const calendars = await Promise.all((await yamlFilesIn(join(layout.policiesDir, 'calendar'))).map(read));
  const ruleSets = await Promise.all((await yamlFilesIn(layout.negativeListDir)).map(read));
  const all = [gateway, enterprises, destinations, ...calendars, ...ruleSets].filter((s): s is YamlSource => s !== null);
  return { gateway, enterprises, destinations, calendars, ruleSets, all, missing };
}

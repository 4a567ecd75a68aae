/**
 * Checks that span files: what one schema cannot see. Each problem is located in the file an
 * operator has to edit.
 */
import type { PolicySources } from './files.ts';
import { regionProblem } from './regions.ts';
import type { DestinationEntry, Enterprise, GatewayFile, RuleSetFile } from './schema.ts';
import type { PolicyIssue } from './types.ts';
import { issueAt, type YamlSource } from './yaml-source.ts';

const usccCharset = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** GB 32100-2015 check character: weights 3^i mod 31, check = (31 − sum mod 31) mod 31. */
export function usccCheckCharacterValid(id: string): boolean {
  if (id.length !== 18) return false;
  let sum = 0;
  let weight = 1;
  for (let i = 0; i < 17; i++) {
    const value = usccCharset.indexOf(id[i] ?? '');
    if (value < 0) return false;
    sum += value * weight;
    weight = (weight * 3) % 31;
  }
  return usccCharset[(31 - (sum % 31)) % 31] === id[17];
}

/** A list item with its position in the file, kept when its neighbours fail validation. */
export interface Indexed<T> {
  index: number;
  item: T;
}

interface CrossCheckInput {
  sources: PolicySources;
  gateway: GatewayFile | null;
  enterprisesFile: Indexed<Enterprise>[] | null;
  destinationsFile: Indexed<DestinationEntry>[] | null;
  ruleSetFiles: { source: YamlSource; file: RuleSetFile }[];
  brokenRuleSetIds: ReadonlySet<string>;
  issues: PolicyIssue[];
  warnings: string[];
  env: NodeJS.ProcessEnv;
}

function duplicates<T>(items: readonly Indexed<T>[], key: (item: T) => string, report: (index: number, first: number) => void): void {
  const seen = new Map<string, number>();
  items.forEach(({ item, index }) => {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) report(index, first);
    else seen.set(k, index);
  });
}

export function crossCheck(input: CrossCheckInput): void {
  const { sources, gateway, enterprisesFile, destinationsFile, ruleSetFiles, brokenRuleSetIds, issues, warnings, env } = input;

  // Rule sets: ids unique across files, rule ids unique across every set (audit records name them).
  const ruleSetIds = new Map<string, string>();
  const ruleSetKinds = new Map<string, RuleSetFile['ruleSet']['kind']>();
  const ruleIds = new Map<string, string>();
  for (const { source, file } of ruleSetFiles) {
    const earlier = ruleSetIds.get(file.ruleSet.id);
    if (earlier) issues.push(issueAt(source, ['ruleSet', 'id'], `duplicate rule set id "${file.ruleSet.id}" (also in ${earlier})`));
    else {
      ruleSetIds.set(file.ruleSet.id, source.file);
      ruleSetKinds.set(file.ruleSet.id, file.ruleSet.kind);
    }
    if (file.ruleSet.status === 'in-force' && file.ruleSet.effectiveFrom === null) {
      issues.push(issueAt(source, ['ruleSet', 'effectiveFrom'], 'expected the date an in-force list took effect (Art. 6: approved and filed)'));
    }
    file.rules.forEach((rule, i) => {
      const other = ruleIds.get(rule.id);
      if (other) issues.push(issueAt(source, ['rules', i, 'id'], `duplicate rule id "${rule.id}" (also in ${other})`));
      else ruleIds.set(rule.id, source.file);
    });
  }

  if (gateway && sources.gateway) {
    for (const [zone, config] of Object.entries(gateway.zones)) {
      config?.ruleSets.forEach((id, i) => {
        if (!ruleSetIds.has(id) && !brokenRuleSetIds.has(id)) issues.push(issueAt(sources.gateway!, ['zones', zone, 'ruleSets', i], `unknown rule set "${id}" (known: ${[...ruleSetIds.keys()].join(', ') || 'none'})`));
        // Art. 6 relieves processors inside a free trade zone only: a zone list outside it would grant relief the law does not.
        if (zone === 'outside-ftz' && ruleSetKinds.get(id) === 'zone-list') {
          issues.push(issueAt(sources.gateway!, ['zones', zone, 'ruleSets', i], `"${id}" is an FTZ negative list: Art. 6 relieves only processors inside the free trade zone, so outside-ftz applies national rules only`));
        }
      });
      // The national rules (core and important data, CIIOs, Arts. 5(4), 7, 8) bind every processor: a
      // zone without them would let core or important data without PI leave as unregulated.
      const broken = config?.ruleSets.some((id) => brokenRuleSetIds.has(id)) ?? false;
      if (config && !broken && !config.ruleSets.some((id) => ruleSetKinds.get(id) === 'national')) {
        issues.push(issueAt(sources.gateway!, ['zones', zone, 'ruleSets'], `expected the national rule set among the rule sets of ${zone}: the national rules bind every processor`));
      }
    }
  }

  const destinationIds = new Set<string>();
  if (destinationsFile && sources.destinations) {
    const source = sources.destinations;
    duplicates(destinationsFile, (d) => d.id, (index, first) =>
      issues.push(issueAt(source, ['destinations', index, 'id'], `duplicate destination id (first at destinations[${first}])`)),
    );
    destinationsFile.forEach(({ item: d, index: i }) => {
      destinationIds.add(d.id);
      const problem = regionProblem(d.region);
      if (problem) issues.push(issueAt(source, ['destinations', i, 'region'], problem));
      for (const [header, ref] of Object.entries(d.upstreamHeaders ?? {})) {
        const name = ref.slice('env:'.length);
        if (env[name] === undefined || env[name] === '') warnings.push(`${source.file}: destination ${d.id} header ${header}: environment variable ${name} is not set; the header is not sent`);
      }
    });
  }

  if (enterprisesFile && sources.enterprises) {
    const source = sources.enterprises;
    duplicates(enterprisesFile, (e) => e.id, (index, first) =>
      issues.push(issueAt(source, ['enterprises', index, 'id'], `duplicate enterprise id (first at enterprises[${first}])`)),
    );
    enterprisesFile.forEach(({ item: enterprise, index: i }) => {
      if (!usccCheckCharacterValid(enterprise.id)) {
        // Example ids and early Fujian pilot codes fail the check character yet are real (REGULATION.md §5).
        warnings.push(`${source.file}: enterprise ${enterprise.id}: the GB 32100 check character does not match (example or early pilot code?)`);
      }
      if (gateway && !gateway.zones[enterprise.zone]) {
        issues.push(issueAt(source, ['enterprises', i, 'zone'], `unknown zone "${enterprise.zone}": gateway.yaml configures ${Object.keys(gateway.zones).join(', ')}`));
      }
      enterprise.filings.forEach((filing, f) => {
        filing.destinations?.forEach((id, d) => {
          if (destinationsFile && !destinationIds.has(id)) {
            issues.push(issueAt(source, ['enterprises', i, 'filings', f, 'destinations', d], `unknown destination "${id}" (not in destinations.yaml)`));
          }
        });
      });
    });
  }
}

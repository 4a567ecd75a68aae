/**
 * loadPolicy: every file parsed, validated and cross-checked; all problems collected and thrown
 * together, so an operator fixes them in one pass. A policy is only ever returned whole.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { XborderError } from '../errors.ts';
import { canonicalJson } from '../shared/canonical-json.ts';
import { createCalendar } from './calendar.ts';
import { crossCheck } from './cross-check.ts';
import { readSources, resolveLayout } from './files.ts';
import { buildRuleIndex } from './rule-index.ts';
import {
  calendarFileSchema,
  destinationSchema,
  enterpriseSchema,
  gatewayFileSchema,
  ruleSetFileSchema,
  type CalendarFile,
  type Enterprise,
  type RuleSetFile,
} from './schema.ts';
import type { Indexed } from './cross-check.ts';
import type { CompiledRuleSet, Destination, LoadedPolicy, PolicyIssue, ZonePolicy } from './types.ts';
import { zodIssues, type YamlSource } from './yaml-source.ts';

export interface LoadOptions {
  /** Where `env:NAME` references of destinations are resolved. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

function validate<S extends z.ZodType>(source: YamlSource | null, schema: S, issues: PolicyIssue[]): z.infer<S> | null {
  if (source === null) return null;
  if (source.errors.length > 0) {
    issues.push(...source.errors);
    return null;
  }
  const parsed = schema.safeParse(source.value ?? {});
  if (!parsed.success) {
    issues.push(...zodIssues(source, parsed.error));
    return null;
  }
  return parsed.data;
}

/**
 * A file holding one list: each item validated on its own, so one bad enterprise does not hide
 * the duplicate id or unknown destination of the next (all issues at once).
 */
function validateList<S extends z.ZodType>(source: YamlSource | null, key: string, item: S, issues: PolicyIssue[]): Indexed<z.infer<S>>[] | null {
  if (source === null) return null;
  if (source.errors.length > 0) {
    issues.push(...source.errors);
    return null;
  }
  const envelope = z.object({ [key]: z.array(z.unknown()) }).strict().safeParse(source.value ?? {});
  if (!envelope.success) {
    issues.push(...zodIssues(source, envelope.error));
    return null;
  }
  const out: Indexed<z.infer<S>>[] = [];
  (envelope.data[key] as unknown[]).forEach((raw, index) => {
    const parsed = item.safeParse(raw);
    if (parsed.success) out.push({ index, item: parsed.data });
    else issues.push(...zodIssues(source, parsed.error, [key, index]));
  });
  return out;
}

/** SHA-256 over the canonical parsed content of every policy file (CLARIFICATIONS 22). */
function policyVersion(sources: readonly YamlSource[]): string {
  const content: Record<string, unknown> = {};
  for (const source of sources) content[source.file] = source.value ?? null;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

export async function loadPolicy(dir: string, options: LoadOptions = {}): Promise<LoadedPolicy> {
  const env = options.env ?? process.env;
  const layout = resolveLayout(dir);
  const sources = await readSources(layout);
  const issues: PolicyIssue[] = sources.missing.map((file) => ({ file, line: 1, column: 1, field: '(file)', message: 'file is missing' }));

  const gateway = validate(sources.gateway, gatewayFileSchema, issues);
  const enterprisesFile = validateList(sources.enterprises, 'enterprises', enterpriseSchema, issues);
  const destinationsFile = validateList(sources.destinations, 'destinations', destinationSchema, issues);
  const calendars = sources.calendars.map((s) => validate(s, calendarFileSchema, issues));
  const ruleSetFiles: { source: YamlSource; file: RuleSetFile }[] = [];
  // Ids of rule set files that failed validation: already reported, so a zone naming one is not reported again.
  const brokenRuleSetIds = new Set<string>();
  for (const source of sources.ruleSets) {
    const file = validate(source, ruleSetFileSchema, issues);
    if (file) ruleSetFiles.push({ source, file });
    else {
      const id = (source.value as { ruleSet?: { id?: unknown } } | undefined)?.ruleSet?.id;
      if (typeof id === 'string') brokenRuleSetIds.add(id);
    }
  }

  const warnings: string[] = [];
  crossCheck({ sources, gateway, enterprisesFile, destinationsFile, ruleSetFiles, brokenRuleSetIds, issues, warnings, env });
  if (issues.length > 0 || !gateway || !enterprisesFile || !destinationsFile) {
    throw new XborderError('XB_ERR_POLICY_INVALID', `policy files under ${layout.root} have ${issues.length} problem(s)`, { details: { issues } });
  }

  const ruleSets = new Map<string, CompiledRuleSet>();
  for (const { file } of ruleSetFiles) ruleSets.set(file.ruleSet.id, { meta: file.ruleSet, rules: file.rules, index: buildRuleIndex(file.rules) });
  const zones = new Map<string, ZonePolicy>();
  for (const [zone, config] of Object.entries(gateway.zones)) {
    if (!config) continue;
    zones.set(zone, {
      ruleSets: config.ruleSets.map((id) => ruleSets.get(id)).filter((r): r is CompiledRuleSet => r !== undefined),
      masking: config.masking ?? null,
    });
  }
  const enterprises = new Map<string, Enterprise>(enterprisesFile.map(({ item }) => [item.id, item]));
  const destinations = new Map<string, Destination>(
    destinationsFile.map(({ item: d }) => {
      const destination: Destination = { id: d.id, upstream: d.upstream, region: d.region, recipient: d.recipient, direction: d.direction };
      if (d.purposes) destination.purposes = d.purposes;
      if (d.upstreamHeaders) {
        const headers: Record<string, string> = {};
        for (const [name, ref] of Object.entries(d.upstreamHeaders)) {
          const value = env[ref.slice('env:'.length)];
          if (value !== undefined && value !== '') headers[name] = value;
        }
        destination.upstreamHeaders = headers;
      }
      return [d.id, destination];
    }),
  );
  const merged: CalendarFile = { years: {} };
  for (const calendar of calendars) if (calendar) Object.assign(merged.years, calendar.years);

  return {
    version: policyVersion(sources.all),
    enterprises,
    destinations,
    settings: gateway.settings,
    warnings,
    root: layout.root,
    ruleSets,
    zones,
    calendar: createCalendar(merged),
  };
}

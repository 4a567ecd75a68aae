/**
 * The policy files as zod schemas. Types are inferred from these, so the files, the loader and
 * decide() cannot drift apart. Cross-file checks (unknown zone, duplicate ids, …) live in
 * cross-check.ts; these schemas only say what one file must look like.
 */
import { z } from 'zod';
import {
  filingKinds,
  grades,
  isCalendarDay,
  mechanisms,
  personalFieldTypes,
  purposes,
  sensitiveCategories,
  valueTypes,
  zones,
} from '../domain.ts';
import { addMonths } from './calendar.ts';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD').refine(isCalendarDay, 'expected a real calendar date');

export const dataTypeSchema = z.enum([...valueTypes, ...sensitiveCategories, ...personalFieldTypes, 'unscanned_binary']);

const range = z
  .object({ atLeast: z.number().int().nonnegative().optional(), below: z.number().int().positive().optional() })
  .strict()
  .refine((r) => r.atLeast !== undefined || r.below !== undefined, 'expected atLeast and/or below');

/** What a rule can look at. Every stated condition must hold (AND); list conditions match any item. */
export const conditionsSchema = z
  .object({
    typesAny: z.array(dataTypeSchema).min(1).optional(),
    typesAll: z.array(dataTypeSchema).min(1).optional(),
    categories: z.array(z.enum(sensitiveCategories)).min(1).optional(),
    fields: z.array(z.string().min(1)).min(1).optional(),
    grades: z.array(z.enum(grades)).min(1).optional(),
    industries: z.array(z.string().min(1)).min(1).optional(),
    ciio: z.boolean().optional(),
    regions: z.array(z.string().min(2)).min(1).optional(),
    purposes: z.array(z.enum(purposes)).min(1).optional(),
    datasets: z.array(z.string().min(1)).min(1).optional(),
    /** Whether the transfer carries personal information at all. */
    personalInformation: z.boolean().optional(),
    /** Cumulative distinct subjects this calendar year, this transfer included (Arts. 5(4), 7, 8). */
    subjects: z.object({ nonSensitive: range.optional(), sensitive: range.optional() }).strict().optional(),
    /** Records in this one transfer. */
    records: range.optional(),
  })
  .strict();
export type RuleConditions = z.infer<typeof conditionsSchema>;

/**
 * What a matched rule does, i.e. which step of DESIGN.md §5 it feeds:
 * prohibit (1), important (2), exemption (3), ciio (4), row (5, zone lists), threshold (6).
 */
export const ruleEffects = ['prohibit', 'important', 'exemption', 'ciio', 'row', 'threshold'] as const;
export type RuleEffect = (typeof ruleEffects)[number];

export const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.\-_()]*$/, 'expected a lower-case rule id (letters, digits, . - _ ( ))'),
    title: z.string().min(1).optional(),
    effect: z.enum(ruleEffects).default('row'),
    // Row structure of the published FTZ lists (Tianjin, Beijing, Shanghai; REGULATION.md §2).
    industry: z.string().optional(),
    scenario: z.string().optional(),
    category: z.string().optional(),
    subCategory: z.string().optional(),
    description: z.string().optional(),
    examples: z.array(z.string()).optional(),
    grade: z.enum(grades).optional(),
    mechanism: z.enum(mechanisms),
    conditions: conditionsSchema.default({}),
    legalBasis: z.string().min(1, 'every rule cites its legal basis'),
    source: z.url({ message: 'expected the source URL of the legal text' }),
    /** A row adapted from another region's list, shipped as an example in a draft list. */
    example: z.boolean().default(false),
    adaptedFrom: z.string().optional(),
    note: z.string().optional(),
  })
  .strict();
export type Rule = z.infer<typeof ruleSchema>;

export const ruleSetFileSchema = z
  .object({
    ruleSet: z
      .object({
        id: z.string().regex(/^[a-z0-9-]+$/, 'expected a lower-case rule set id'),
        /** national: the 2024 Provisions, always applied; zone-list: an FTZ negative list (Art. 6). */
        kind: z.enum(['national', 'zone-list']).default('zone-list'),
        title: z.string().min(1),
        status: z.enum(['draft', 'in-force']),
        jurisdiction: z.string().min(1),
        effectiveFrom: isoDate.nullable().default(null),
        /** The list does not relieve CIIOs (Shanghai 2024 list, Lingang ICV conditions; CLARIFICATIONS 9). */
        excludesCiio: z.boolean(),
        source: z.url(),
        note: z.string().optional(),
      })
      .strict(),
    rules: z.array(ruleSchema),
  })
  .strict();
export type RuleSetFile = z.infer<typeof ruleSetFileSchema>;

export const maskingSchema = z
  .object({
    redact: z.array(dataTypeSchema).default([]),
    drop: z.array(dataTypeSchema).default([]),
    dropMinorRecords: z.boolean().default(false),
  })
  .strict();
export type MaskingSettings = z.infer<typeof maskingSchema>;

export const gatewayFileSchema = z
  .object({
    settings: z
      .object({
        bareResidentIdSensitive: z.boolean().default(false),
        countExemptSubjects: z.boolean().default(true),
        denyUninspectable: z.boolean().default(true),
        scanHeaders: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ bareResidentIdSensitive: false, countExemptSubjects: true, denyUninspectable: true, scanHeaders: [] }),
    zones: z.partialRecord(
      z.enum(zones),
      z
        .object({
          ruleSets: z.array(z.string().min(1)).min(1),
          masking: maskingSchema.optional(),
        })
        .strict(),
    ),
  })
  .strict();
export type GatewayFile = z.infer<typeof gatewayFileSchema>;

/**
 * The latest validUntil the law allows a filing, or null where it sets none (a standard
 * contract runs for the term the parties agree). The last day is the issue date's anniversary,
 * inclusive, so a result printed "2026-03-22 to 2029-03-22" loads.
 */
function legalValidity(filing: { kind: string; validFrom: string; extensions?: number | undefined }): { until: string; why: string } | null {
  if (filing.kind === 'security-assessment') {
    const extensions = filing.extensions ?? 0;
    const years = 3 * (1 + extensions);
    const extended = extensions === 0 ? 'add `extensions: N` when the CAC extended it' : `${extensions} extension(s) of 3 years`;
    return { until: addMonths(filing.validFrom, 12 * years), why: `a security assessment result is valid 3 years from issue, ${extended} (《促进和规范数据跨境流动规定》第九条)` };
  }
  if (filing.kind === 'certification') {
    return { until: addMonths(filing.validFrom, 36), why: 'a personal information protection certificate is valid 3 years; a renewed one is a new filing (《个人信息出境认证办法》)' };
  }
  return null;
}
export const filingSchema = z
  .object({
    kind: z.enum(filingKinds),
    ref: z.string().min(1),
    destinations: z.array(z.string().min(1)).min(1).optional(),
    covers: z.array(z.string().min(1)).min(1).optional(),
    /** validFrom: the day the assessment result or certificate was issued, or the contract took effect. */
    validFrom: isoDate,
    validUntil: isoDate,
    /** Extensions of a security assessment's result granted by the CAC, 3 years each (Art. 9). */
    extensions: z.number().int().nonnegative().optional(),
  })
  .strict()
  .superRefine((filing, ctx) => {
    // CLARIFICATIONS 11: a contract and an assessment are with named recipients.
    if (filing.kind !== 'certification' && filing.destinations === undefined) {
      ctx.addIssue({ code: 'custom', path: ['destinations'], message: `expected the destinations a ${filing.kind} filing names` });
    }
    if (filing.validFrom > filing.validUntil) {
      ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'expected validUntil on or after validFrom' });
    }
    if (filing.extensions !== undefined && filing.kind !== 'security-assessment') {
      ctx.addIssue({ code: 'custom', path: ['extensions'], message: 'only a security assessment result is extended (《促进和规范数据跨境流动规定》第九条)' });
    }
    // A validity longer than the law gives would let transfers go on under an expired filing.
    const limit = legalValidity(filing);
    if (limit !== null && filing.validFrom <= filing.validUntil && filing.validUntil > limit.until) {
      ctx.addIssue({ code: 'custom', path: ['validUntil'], message: `expected ${limit.until} at the latest: ${limit.why}` });
    }
  });

export type Filing = z.infer<typeof filingSchema>;

/** GB 32100-2015 charset: digits and capitals without I, O, S, V, Z. */
export const usccPattern = /^[0-9A-HJ-NPQRTUWXY]{18}$/;

export const enterpriseSchema = z
  .object({
    id: z.string().regex(usccPattern, 'expected a unified social credit code: 18 characters of 0-9 A-H J-N P-R T U W-Y'),
    name: z.string().min(1),
    zone: z.enum(zones),
    industry: z.string().min(1),
    ciio: z.boolean(),
    mode: z.enum(['enforce', 'report-only']).default('enforce'),
    /** Data notified to this enterprise as important data (Art. 2): dataset names or data types. */
    notifiedImportant: z.array(z.string().min(1)).default([]),
    masking: maskingSchema.optional(),
    filings: z.array(filingSchema).default([]),
  })
  .strict();
export type Enterprise = z.infer<typeof enterpriseSchema>;

export const enterprisesFileSchema = z.object({ enterprises: z.array(enterpriseSchema) }).strict();

export const destinationSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case destination id (letters, digits, -)'),
    upstream: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
    region: z.string(),
    recipient: z.string().min(1),
    purposes: z.array(z.enum(purposes)).min(1).optional(),
    direction: z.enum(['outbound', 'inbound-pull']).default('outbound'),
    // Secrets never live in policy files: only references to the environment (CLARIFICATIONS 15).
    upstreamHeaders: z.record(z.string().min(1), z.string().regex(/^env:[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment reference env:NAME')).optional(),
  })
  .strict();
export type DestinationEntry = z.infer<typeof destinationSchema>;

export const destinationsFileSchema = z.object({ destinations: z.array(destinationSchema) }).strict();

export const calendarFileSchema = z
  .object({
    source: z.string().optional(),
    years: z.record(
      z.string().regex(/^\d{4}$/),
      z
        .object({
          source: z.string().min(1),
          holidays: z.array(isoDate),
          workdays: z.array(isoDate).default([]),
        })
        .strict(),
    ),
  })
  .strict();
export type CalendarFile = z.infer<typeof calendarFileSchema>;

/**
 * Gateway settings: embedded defaults, overlaid by an optional `xborder.yaml`, overlaid by
 * `XBORDER_*` environment variables. Parsed once by zod at start; a bad setting stops the start
 * with a message naming the setting and where it came from (pino's habit: fail early, name it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { XborderError } from './errors.ts';

/** The repository root: its `policies/` and `negative-list/` are the embedded default policy. */
const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const MiB = 1024 * 1024;
/**
 * A whole number, from YAML or as the digits of an environment variable or option. z.coerce would
 * read '', ' ' and a bare `port:` (null) as 0 — port 0 listens on any free port — and '0x10' or
 * '1e3' as numbers nobody wrote.
 */
const whole = (schema: z.ZodNumber) =>
  z.preprocess((value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value), schema);
const wholeNumber = () => z.number({ error: 'expected a whole number' }).int();
const port = whole(wholeNumber().min(0).max(65535));
const positiveInt = whole(wholeNumber().positive());
// Node's timers take at most 2^31-1 ms and fire after 1 ms beyond it: a long shutdown grace
// would cut transfers in flight at once.
const milliseconds = whole(wholeNumber().positive().max(2 ** 31 - 1, 'at most 2147483647 (a Node timer)'));
const flag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  return value;
}, z.boolean());
const nameList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((name) => name.trim()).filter(Boolean) : value),
  z.array(z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name').transform((name) => name.toLowerCase())),
);

export const settingsSchema = z
  .object({
    port: port.default(8080),
    host: z.string().min(1).default('0.0.0.0'),
    /** Each node keeps its own audit tree and signing key (CLARIFICATIONS 17): keep it stable across restarts. */
    nodeId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (at most 64)').default('node-1'),
    dataDir: z.string().min(1).default('./data'),
    /** Folder holding `policies/` and `negative-list/`, or `policies/` itself. */
    policies: z.string().min(1).default(repositoryRoot),
    /** PostgreSQL URL shared by several nodes; unset = embedded SQLite under dataDir. */
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
    /** Bodies are read whole before anything is forwarded, so this bounds memory per request. */
    maxInspectBytes: positiveInt.default(16 * MiB),
    /** Cap on a decoded (gunzipped) body: a gzip bomb stops here. */
    maxDecodedBytes: positiveInt.default(64 * MiB),
    token: z
      .object({
        issuer: z.string().min(1).optional(),
        audience: z.string().min(1).default('xborder'),
        jwksFile: z.string().min(1).optional(),
        // Keys fetched over plain HTTP could be swapped on the way, and with them every token
        // accepted: https, except from this machine itself.
        jwksUrl: z
          .url()
          .refine((url) => {
            const { protocol, hostname } = new URL(url);
            return protocol === 'https:' || (protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(hostname));
          }, 'must be an https:// URL (http:// only for 127.0.0.1, localhost or [::1])')
          .optional(),
        /** Trust the local development issuer (`xborder token`); defaults to on only when no JWKS is configured. */
        trustDevIssuer: flag.optional(),
        clockToleranceSec: whole(wholeNumber().min(0).max(300)).default(5),
      })
      // A misspelt key (jwksURL) would otherwise be dropped, and the development issuer trusted.
      .strict()
      .default({ audience: 'xborder', clockToleranceSec: 5 }),
    upstream: z
      .object({
        connectTimeoutMs: milliseconds.default(5_000),
        headersTimeoutMs: milliseconds.default(30_000),
        bodyTimeoutMs: milliseconds.default(30_000),
        keepAliveTimeoutMs: milliseconds.default(10_000),
        connections: positiveInt.default(128),
      })
      .strict()
      .default({ connectTimeoutMs: 5_000, headersTimeoutMs: 30_000, bodyTimeoutMs: 30_000, keepAliveTimeoutMs: 10_000, connections: 128 }),
    checkpoint: z
      .object({ every: positiveInt.optional(), intervalMs: milliseconds.optional() })
      .strict()
      .default({}),
    /** Header names whose values are scanned too, besides those of the policy settings (CLARIFICATIONS 14). */
    scanHeaders: nameList.default([]),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** SIGTERM waits this long for in-flight transfers before closing them. */
    shutdownGraceMs: milliseconds.default(15_000),
    /**
     * How long a caller may take to send a whole request, headers and body (Node's default);
     * a trickled upload would otherwise hold a connection and its buffered body for good.
     */
    requestTimeoutMs: milliseconds.default(300_000),
  })
  .strict()
  .superRefine((settings, context) => {
    if (settings.token.jwksFile && settings.token.jwksUrl) {
      context.addIssue({ code: 'custom', path: ['token', 'jwksUrl'], message: 'set jwksFile or jwksUrl, not both' });
    }
    if ((settings.token.jwksFile || settings.token.jwksUrl) && !settings.token.issuer) {
      context.addIssue({ code: 'custom', path: ['token', 'issuer'], message: 'required with a JWKS (the issuer whose tokens to trust)' });
    }
  });

export type Settings = z.output<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;

/** Environment variable → setting path. Every setting has one, so containers need no file. */
export const environmentSettings: Record<string, string[]> = {
  XBORDER_PORT: ['port'],
  XBORDER_HOST: ['host'],
  XBORDER_NODE_ID: ['nodeId'],
  XBORDER_DATA_DIR: ['dataDir'],
  XBORDER_POLICIES: ['policies'],
  XBORDER_DATABASE_URL: ['databaseUrl'],
  XBORDER_MAX_INSPECT_BYTES: ['maxInspectBytes'],
  XBORDER_MAX_DECODED_BYTES: ['maxDecodedBytes'],
  XBORDER_TOKEN_ISSUER: ['token', 'issuer'],
  XBORDER_TOKEN_AUDIENCE: ['token', 'audience'],
  XBORDER_JWKS_FILE: ['token', 'jwksFile'],
  XBORDER_JWKS_URL: ['token', 'jwksUrl'],
  XBORDER_TRUST_DEV_ISSUER: ['token', 'trustDevIssuer'],
  XBORDER_CLOCK_TOLERANCE_SEC: ['token', 'clockToleranceSec'],
  XBORDER_UPSTREAM_CONNECT_TIMEOUT_MS: ['upstream', 'connectTimeoutMs'],
  XBORDER_UPSTREAM_HEADERS_TIMEOUT_MS: ['upstream', 'headersTimeoutMs'],
  XBORDER_UPSTREAM_BODY_TIMEOUT_MS: ['upstream', 'bodyTimeoutMs'],
  XBORDER_UPSTREAM_KEEPALIVE_MS: ['upstream', 'keepAliveTimeoutMs'],
  XBORDER_UPSTREAM_CONNECTIONS: ['upstream', 'connections'],
  XBORDER_CHECKPOINT_EVERY: ['checkpoint', 'every'],
  XBORDER_CHECKPOINT_INTERVAL_MS: ['checkpoint', 'intervalMs'],
  XBORDER_SCAN_HEADERS: ['scanHeaders'],
  XBORDER_LOG_LEVEL: ['logLevel'],
  XBORDER_SHUTDOWN_GRACE_MS: ['shutdownGraceMs'],
  XBORDER_REQUEST_TIMEOUT_MS: ['requestTimeoutMs'],
};

export interface LoadSettingsOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Explicit file (`--config`); else `XBORDER_CONFIG`, else `xborder.yaml` in cwd when present. */
  file?: string;
  /** Programmatic overrides (tests, `serve --port`), applied last. */
  overrides?: SettingsInput;
}

export function loadSettings({ cwd = process.cwd(), env = process.env, file, overrides }: LoadSettingsOptions = {}): Settings {
  const fromFile = readSettingsFile(cwd, file ?? env.XBORDER_CONFIG);
  const raw: Record<string, unknown> = structuredClone(fromFile.values);
  const origins = new Map<string, string>();
  for (const [variable, path] of Object.entries(environmentSettings)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    setPath(raw, path, value);
    origins.set(path.join('.'), variable);
  }
  if (overrides) {
    mergeInto(raw, overrides as Record<string, unknown>);
    for (const path of leafPaths(overrides as Record<string, unknown>)) origins.set(path, 'the command line');
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(root)';
      const origin = origins.get(name) ?? (fromFile.path ? fromFile.path : 'defaults');
      return `setting ${name} (from ${origin}): ${issue.message}`;
    });
    throw new XborderError('XB_ERR_CONFIG_INVALID', problems.join('; '), { details: { problems } });
  }
  const settings = parsed.data;
  settings.dataDir = resolve(cwd, settings.dataDir);
  settings.policies = resolve(cwd, settings.policies);
  if (settings.token.jwksFile) settings.token.jwksFile = resolve(cwd, settings.token.jwksFile);
  return settings;
}

function readSettingsFile(cwd: string, file: string | undefined): { path: string | null; values: Record<string, unknown> } {
  const path = file ? resolve(cwd, file) : resolve(cwd, 'xborder.yaml');
  if (!existsSync(path)) {
    if (file) throw new XborderError('XB_ERR_CONFIG_INVALID', `settings file ${path} does not exist`);
    return { path: null, values: {} };
  }
  let values: unknown;
  try {
    values = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new XborderError('XB_ERR_CONFIG_INVALID', `settings file ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (values === null || values === undefined) return { path, values: {} };
  if (typeof values !== 'object' || Array.isArray(values)) {
    throw new XborderError('XB_ERR_CONFIG_INVALID', `settings file ${path}: expected a mapping of settings`);
  }
  return { path, values: values as Record<string, unknown> };
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) mergeInto(existing, value);
    else target[key] = isPlainObject(value) ? structuredClone(value) : value;
  }
}

function leafPaths(source: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(source).flatMap(([key, value]) => {
    if (value === undefined) return [];
    const path = prefix ? `${prefix}.${key}` : key;
    return isPlainObject(value) ? leafPaths(value, path) : [path];
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** XBORDER_* variables read outside the settings: the settings file, the subject key, the CLI's schema, a test switch. */
const otherVariables = new Set(['XBORDER_CONFIG', 'XBORDER_SUBJECT_KEY', 'XBORDER_SUBJECT_KEY_FILE', 'XBORDER_DATABASE_SCHEMA', 'XBORDER_REPORT_RSS']);

/**
 * XBORDER_* variables nothing reads. A misspelt one is otherwise ignored without a word, and
 * XBORDER_JWKS_URI for XBORDER_JWKS_URL leaves the development issuer trusted.
 */
export function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('XBORDER_') && !Object.hasOwn(environmentSettings, name) && !otherVariables.has(name))
    .sort();
}

/** Whether the local development issuer is trusted: explicit setting, else only when no JWKS is configured. */
export function trustsDevIssuer(settings: Settings): boolean {
  return settings.token.trustDevIssuer ?? !(settings.token.jwksFile || settings.token.jwksUrl);
}

/** Shared fixtures for the audit specifications: records, backends, raw SQL for tampering. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach } from 'vitest';
import { newDecisionId, openStore, type AuditRecordInput, type AuditStore, type OpenStoreOptions } from '../../src/audit/index.ts';
import type { Zone } from '../../src/domain.ts';

export const pgUrl = process.env.XBORDER_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const at = new Date('2026-03-01T08:00:00.000Z');
export const fixedClock = (): Date => at;

export function decisionRecord(overrides: Partial<Extract<AuditRecordInput, { kind: 'decision' }>> = {}): AuditRecordInput {
  return {
    kind: 'decision',
    decisionId: newDecisionId(at),
    at,
    enterprise: '91350128MA0000001X',
    zone: 'pingtan',
    destination: 'hk-crm',
    region: 'HK',
    method: 'POST',
    path: '/x/hk-crm/v1/customers',
    purpose: null,
    dataset: null,
    findings: [{ type: 'cn_mobile', count: 3, grade: 'pi', sensitive: false, paths: ['$.customers[*].mobile'] }],
    records: 3,
    subjects: 3,
    sensitiveSubjects: 0,
    decision: 'allow',
    enforced: true,
    mechanism: 'exempt',
    filing: null,
    rules: ['national.art5-4'],
    reasons: { zh: '豁免', en: 'exempt' },
    warnings: [],
    counters: { before: { nonSensitive: 0, sensitive: 0 }, after: { nonSensitive: 3, sensitive: 0 } },
    masking: null,
    policyVersion: 'test-policy',
    bytes: 512,
    ...overrides,
  };
}

export function outcomeRecord(decisionId: string): AuditRecordInput {
  return { kind: 'outcome', decisionId, at, status: 200, error: null, latencyMs: 12, bytesReturned: 64 };
}

export function zoneOf(i: number): Zone {
  return (['pingtan', 'fuzhou', 'xiamen'] as const)[i % 3]!;
}

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${pgUrl} is required when CI=true`);
    console.warn(`\n  SKIPPED: PostgreSQL audit tests — no server at ${pgUrl} (set CI=true to require it)\n`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A backend under test: where its database lives, and how to reset it between tests. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  options(extra?: Partial<OpenStoreOptions>): OpenStoreOptions & { dataDir: string };
  /** CLI flags selecting this database. */
  flags(): string[];
  reset(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Stores opened per test on `backend`: every store a test opens is closed after it (closing is
 * idempotent, so a test may close its own first) and the backend reset.
 */
export function storesPerTest(backend: Backend): (extra?: Partial<OpenStoreOptions>) => Promise<AuditStore> {
  const opened: AuditStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await backend.reset();
  });
  afterAll(() => backend.dispose());
  return async (extra = {}) => {
    const store = await openStore(backend.options(extra));
    opened.push(store);
    return store;
  };
}

export function sqliteBackend(): Backend {
  let dir = mkdtempSync(join(tmpdir(), 'xb-audit-'));
  return {
    name: 'sqlite',
    options: (extra = {}) => ({ nodeId: 'node-a', dataDir: dir, checkpointIntervalMs: 0, clock: fixedClock, ...extra }),
    flags: () => ['--db', join(dir, 'xborder.db'), '--data-dir', dir],
    async reset() {
      rmSync(dir, { recursive: true, force: true });
      dir = mkdtempSync(join(tmpdir(), 'xb-audit-'));
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresBackend(file: string): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'xb-audit-pg-'));
  let n = 0;
  const base = `xb_audit_${file}_${process.pid}`;
  let schema = `${base}_${n}`;
  return {
    name: 'postgres',
    options: (extra = {}) => ({ nodeId: 'node-a', dataDir: dir, databaseUrl: pgUrl, schema, checkpointIntervalMs: 0, clock: fixedClock, ...extra }),
    flags: () => ['--database-url', pgUrl, '--schema', schema, '--data-dir', dir],
    async reset() {
      await dropSchema(schema);
      n += 1;
      schema = `${base}_${n}`;
    },
    async dispose() {
      await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one of the audit CLI commands in process, capturing its output. */
export async function runCli(words: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { auditCommands } = await import('../../src/audit/cli.ts');
  const command = auditCommands[words];
  if (!command) throw new Error(`no command ${words}`);
  let stdout = '';
  let stderr = '';
  const code = await command.run(argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stdin: process.stdin,
    env,
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}

/**
 * Committed audit appends per second with group commit at 1, 16 and 256 concurrent writers,
 * against a plain loop of single-row INSERT transactions in the same run (issue 4).
 * SQLite always; PostgreSQL when XBORDER_DATABASE_URL or the local test server answers.
 *   npx tsx bench/audit.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { newDecisionId, openStore, type AuditRecordInput, type OpenStoreOptions } from '../src/audit/index.ts';
import { openDriver } from '../src/audit/store.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const pgUrl = process.env.XBORDER_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A decision record as the gateway writes it: decided now, so its id sorts after the last one. */
function record(i: number): AuditRecordInput {
  const at = new Date();
  return {
    kind: 'decision', decisionId: newDecisionId(at), at, enterprise: '91350128MA0000001X', zone: 'pingtan',
    destination: 'hk-crm', region: 'HK', method: 'POST', path: '/x/hk-crm/v1/customers', purpose: null, dataset: null,
    findings: [{ type: 'cn_mobile', count: 3, grade: 'pi', sensitive: false, paths: ['$.customers[*].mobile'] }],
    records: 3, subjects: 3, sensitiveSubjects: 0, decision: 'allow', enforced: true, mechanism: 'exempt', filing: null,
    rules: ['national.art5-4'], reasons: { zh: '豁免', en: 'exempt' }, warnings: [],
    counters: { before: { nonSensitive: i, sensitive: 0 }, after: { nonSensitive: i + 3, sensitive: 0 } },
    masking: null, policyVersion: 'bench', bytes: 512,
  };
}

async function groupCommit(options: OpenStoreOptions, writers: number): Promise<{ rate: number; cpuPerRecord: number }> {
  const store = await openStore(options);
  // Committed appends per second from `writers` loops, each waiting for its append to resolve.
  const run = async (ms: number) => {
    let done = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const end = start + ms;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (performance.now() < end) {
          await store.append(record(done));
          done += 1;
        }
      }),
    );
    const used = process.cpuUsage(cpu);
    return { rate: done / ((performance.now() - start) / 1000), cpuPerRecord: (used.user + used.system) / done };
  };
  try {
    // A fresh store's writer thread starts cold, and the share of records prepared on the main
    // thread takes up to a second to settle (prepare-share.ts): 1.5 s of the same load first.
    await run(1500);
    return await run(seconds * 1000);
  } finally {
    await store.close();
  }
}

const singleRowInsert = `INSERT INTO audit_records (node, leaf_index, kind, decision_id, zone, seq, enterprise, destination, decision, mechanism, at, data_types, body, leaf_hash)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The baseline: one INSERT, one COMMIT (one fsync) per record, as a naive logger would do. */
async function singleRowLoop(options: OpenStoreOptions): Promise<number> {
  const driver = await openDriver(options);
  const body = JSON.stringify(record(0));
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await driver.transaction((tx) =>
      tx.run(singleRowInsert, ['baseline', done, 'decision', newDecisionId(), 'pingtan', done + 1, 'E', 'hk-crm', 'allow', 'exempt', new Date().toISOString(), '', body, '00']),
    );
    done += 1;
  }
  const rate = done / ((performance.now() - start) / 1000);
  await driver.close();
  return rate;
}

async function postgresUp(): Promise<boolean> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function suite(name: string, options: (run: string) => OpenStoreOptions, cleanup: (run: string) => Promise<void>): Promise<void> {
  const baseline = await singleRowLoop(options('baseline'));
  await cleanup('baseline');
  console.log(`${name.padEnd(10)} single-row INSERT transactions (baseline)  ${baseline.toFixed(0).padStart(8)} records/s`);
  for (const writers of [1, 16, 256]) {
    const { rate, cpuPerRecord } = await groupCommit(options(`w${writers}`), writers);
    await cleanup(`w${writers}`);
    console.log(
      `${name.padEnd(10)} group commit, ${String(writers).padStart(3)} concurrent writers        ${rate.toFixed(0).padStart(8)} records/s  ×${(rate / baseline).toFixed(1)} baseline` +
        `  (${cpuPerRecord.toFixed(0)} µs CPU a record: user + system, every thread)`,
    );
  }
}

const dir = mkdtempSync(join(tmpdir(), 'xb-bench-audit-'));
try {
  await suite(
    'sqlite',
    (run) => ({ nodeId: 'bench', dataDir: join(dir, run), checkpointIntervalMs: 1000 }),
    async (run) => rmSync(join(dir, run), { recursive: true, force: true }),
  );
  if (await postgresUp()) {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    try {
      await suite(
        'postgres',
        (run) => ({ nodeId: 'bench', dataDir: join(dir, `pg-${run}`), databaseUrl: pgUrl, schema: `xb_bench_audit_${process.pid}_${run}`, checkpointIntervalMs: 1000 }),
        async (run) => void (await admin.query(`DROP SCHEMA IF EXISTS xb_bench_audit_${process.pid}_${run} CASCADE`)),
      );
    } finally {
      await admin.end();
    }
  } else console.log(`postgres   skipped: no server at ${pgUrl}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Versioned migrations, run on open inside one transaction. Append new versions at the end;
 * never edit a released one (the applied versions are recorded in `schema_migrations`).
 */
import type { SqlDriver } from './sql.ts';

interface Migration {
  version: number;
  statements: string[];
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    statements: [
      // One row per leaf. `body` is the canonical JSON that was hashed; the other columns are
      // copies for filtering and are checked against the body by `audit verify`.
      `CREATE TABLE audit_records (
        node TEXT NOT NULL, leaf_index BIGINT NOT NULL, kind TEXT NOT NULL, decision_id TEXT NOT NULL,
        zone TEXT NOT NULL, seq BIGINT NOT NULL, enterprise TEXT, destination TEXT, decision TEXT,
        mechanism TEXT, at TEXT NOT NULL, data_types TEXT NOT NULL, body TEXT NOT NULL, leaf_hash TEXT NOT NULL,
        PRIMARY KEY (node, leaf_index))`,
      'CREATE INDEX audit_records_decision ON audit_records (decision_id)',
      'CREATE INDEX audit_records_at ON audit_records (at, node, leaf_index)',
      'CREATE INDEX audit_records_enterprise ON audit_records (enterprise, at)',
      'CREATE UNIQUE INDEX audit_records_zone_seq ON audit_records (node, zone, seq)',
      `CREATE TABLE audit_checkpoints (
        node TEXT NOT NULL, size BIGINT NOT NULL, root TEXT NOT NULL, time TEXT NOT NULL,
        kid TEXT NOT NULL, jws TEXT NOT NULL, PRIMARY KEY (node, size))`,
      `CREATE TABLE audit_keys (kid TEXT PRIMARY KEY, node TEXT NOT NULL, jwk TEXT NOT NULL, created_at TEXT NOT NULL)`,
      'CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
      // Uniqueness per (enterprise, year, class, hash) is what makes counting exact across
      // nodes (CLARIFICATIONS 3): whichever transaction inserts a hash first counts it.
      `CREATE TABLE subject_claims (
        enterprise TEXT NOT NULL, year INTEGER NOT NULL, cls TEXT NOT NULL, hash TEXT NOT NULL,
        decision_id TEXT NOT NULL, tally TEXT NOT NULL, PRIMARY KEY (enterprise, year, cls, hash))`,
      'CREATE INDEX subject_claims_decision ON subject_claims (decision_id)',
      `CREATE TABLE subject_reservations (
        decision_id TEXT PRIMARY KEY, enterprise TEXT NOT NULL, year INTEGER NOT NULL,
        new_non_sensitive BIGINT NOT NULL, new_sensitive BIGINT NOT NULL, tally TEXT NOT NULL)`,
      // Totals kept in the same transaction as the claims, never recounted (CLARIFICATIONS 7).
      `CREATE TABLE subject_totals (
        enterprise TEXT NOT NULL, year INTEGER NOT NULL, cls TEXT NOT NULL, tally TEXT NOT NULL,
        count BIGINT NOT NULL, PRIMARY KEY (enterprise, year, cls, tally))`,
    ],
  },
  {
    version: 2,
    statements: [
      // People a transfer could not count because another transfer had only reserved them: if
      // that one is refused, its claims pass to the first waiting transfer (claims.ts).
      `CREATE TABLE subject_waits (
        decision_id TEXT NOT NULL, person TEXT NOT NULL, enterprise TEXT NOT NULL, year INTEGER NOT NULL,
        cls TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (decision_id, cls, person, hash))`,
      'CREATE INDEX subject_waits_claim ON subject_waits (enterprise, year, cls, hash)',
    ],
  },
  {
    version: 3,
    statements: [
      // The node that reserved: on start a node finishes the reservations it left open when it
      // stopped mid-transfer (store.ts, recoverUnfinished). Rows from before stay NULL, untouched.
      'ALTER TABLE subject_reservations ADD COLUMN node TEXT',
      // Partial: a reservation leaves the index when it is settled, so it stays as small as the
      // transfers in flight and costs the hot path next to nothing.
      "CREATE INDEX subject_reservations_open ON subject_reservations (node) WHERE tally = 'reserved'",
    ],
  },
];

export async function migrate(driver: SqlDriver): Promise<number> {
  return driver.transaction(async (tx) => {
    if (driver.dialect === 'postgres') {
      // Nodes starting together against one database migrate one at a time.
      await tx.all("SELECT pg_advisory_xact_lock(hashtext('xborder-migrations'))");
    }
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)');
    const rows = await tx.all<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
    const current = Number(rows[0]?.version ?? 0);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      for (const statement of migration.statements) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [migration.version, new Date().toISOString()]);
    }
    return migrations[migrations.length - 1]!.version;
  });
}

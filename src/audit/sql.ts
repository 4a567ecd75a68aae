/**
 * The two databases behind one small interface. SQL is written once with `?` placeholders in
 * the dialect both engines share (ON CONFLICT, RETURNING, row values); PostgreSQL gets `$n`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

export type Dialect = 'sqlite' | 'postgres';

export interface SqlConn {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface SqlDriver {
  readonly dialect: Dialect;
  /** Reads outside the writer's transaction (SQLite: a second connection, WAL lets it read while the writer commits). */
  readonly reader: SqlConn;
  /** One transaction on the single writer connection. */
  transaction<T>(fn: (tx: SqlConn) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

class SqliteConn implements SqlConn {
  private readonly statements = new Map<string, Database.Statement>();
  constructor(readonly db: Database.Database) {}

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      // Multi-row INSERTs come in many widths; a bounded cache keeps the common ones prepared.
      if (this.statements.size > 2000) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.prepare(sql).all(...params) as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const statement = this.prepare(sql);
    return statement.reader ? (statement.all(...params).length as number) : statement.run(...params).changes;
  }
}

export function openSqlite(file: string): SqlDriver {
  mkdirSync(join(file, '..'), { recursive: true });
  const configure = (db: Database.Database): Database.Database => {
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before append() resolves — durable before forward.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 10000');
    return db;
  };
  const writerDb = configure(new Database(file));
  const readerDb = configure(new Database(file));
  const writer = new SqliteConn(writerDb);
  const reader = new SqliteConn(readerDb);
  return {
    dialect: 'sqlite',
    reader,
    async transaction(fn) {
      writerDb.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(writer);
        writerDb.exec('COMMIT');
        return result;
      } catch (error) {
        if (writerDb.inTransaction) writerDb.exec('ROLLBACK');
        throw error;
      }
    },
    async close() {
      writerDb.close();
      readerDb.close();
    },
  };
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

// BIGINT and COUNT come back from pg as strings; every number we store fits in a double.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

class PgConn implements SqlConn {
  constructor(private readonly client: pg.Pool | pg.PoolClient | pg.Client) {}
  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.client.query(numbered(sql), params as unknown[])).rows as T[];
  }
  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.client.query(numbered(sql), params as unknown[])).rowCount ?? 0;
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function openPostgres(databaseUrl: string, schema?: string): Promise<SqlDriver & { writerClient: pg.Client }> {
  const options = { connectionString: databaseUrl, types, connectionTimeoutMillis: 5000 };
  const searchPath = schema ? `SET search_path TO ${quoteIdent(schema)}` : null;
  const writerClient = new pg.Client(options);
  await writerClient.connect();
  writerClient.on('error', () => {
    // A lost connection surfaces on the next query as XB_ERR_AUDIT_UNAVAILABLE.
  });
  if (schema) {
    await writerClient.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`).catch(async (error: unknown) => {
      // Two nodes creating the schema at once race on the catalog; the loser finds it there.
      const exists = await writerClient.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) throw error;
    });
    await writerClient.query(searchPath!);
  }
  const pool = new pg.Pool({ ...options, max: 4, idleTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  if (searchPath) pool.on('connect', (client) => void client.query(searchPath));
  const writer = new PgConn(writerClient);
  return {
    dialect: 'postgres',
    writerClient,
    reader: new PgConn(pool),
    async transaction(fn) {
      await writerClient.query('BEGIN');
      try {
        const result = await fn(writer);
        await writerClient.query('COMMIT');
        return result;
      } catch (error) {
        await writerClient.query('ROLLBACK').catch(() => {});
        throw error;
      }
    },
    async close() {
      await writerClient.end().catch(() => {});
      await pool.end().catch(() => {});
    },
  };
}

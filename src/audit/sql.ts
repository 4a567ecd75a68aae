/**
 * The two databases behind one small interface. SQL is written once with `?` placeholders in
 * the dialect both engines share (ON CONFLICT, RETURNING, row values); PostgreSQL gets `$n`.
 */
import { mkdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { WalSync } from './wal-sync.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface SqlConn {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** INSERTs many rows (values in `columns` order) in as few statements as the engine likes best. */
  insertRows(table: string, columns: readonly Column[], rows: readonly unknown[][]): Promise<void>;
}

export interface Column {
  name: string;
  type: 'text' | 'bigint';
}

// SQLite allows 32,766 parameters a statement.
const sqliteParameters = 32_000;

export interface SqlDriver {
  readonly dialect: Dialect;
  /** Reads outside the writer's transaction (SQLite: a second connection, WAL lets it read while the writer commits). */
  readonly reader: SqlConn;
  /** One transaction on the single writer connection; resolves once it is durable. */
  transaction<T>(fn: (tx: SqlConn) => Promise<T>): Promise<T>;
  /**
   * The same, but resolves as soon as COMMIT returned, so the next transaction may start while
   * this one is made durable; `durable` settles when it is on disk (in commit order).
   */
  pipelined<T>(fn: (tx: SqlConn) => Promise<T>): Promise<{ result: T; durable: Promise<void> }>;
  /**
   * Why the writer can never write again, or null: a failed WAL fsync (SQLite), a lost writer
   * connection (PostgreSQL, whose node lock went with it). Only a new process recovers.
   */
  writerFailure(): Error | null;
  /**
   * `SELECT 1` on a reading connection. PostgreSQL gives up after `timeoutMs` and drops that
   * connection: a query waiting on a peer that vanished would hold its pooled connection until
   * TCP gives up, minutes later, and a few readiness probes would hold them all.
   */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

class SqliteConn implements SqlConn {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly inserts = new Map<string, Database.Statement>();
  constructor(readonly db: Database.Database) {}

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      // Bounded: a long-running process prepares statements of many IN-list widths.
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

  async insertRows(table: string, columns: readonly Column[], rows: readonly unknown[][]): Promise<void> {
    const perStatement = Math.floor(sqliteParameters / columns.length);
    for (let start = 0; start < rows.length; start += perStatement) {
      const slice = rows.slice(start, start + perStatement);
      // Bound as one array: spreading thousands of parameters into a call costs more than the copy.
      this.insertStatement(table, columns, slice.length).run(slice.flat());
    }
  }

  /** The INSERT of `count` rows, its text built once per width (a batch of 256 is 3,584 `?`). */
  private insertStatement(table: string, columns: readonly Column[], count: number): Database.Statement {
    const key = `${table}\u0000${columns.length}\u0000${count}`;
    let statement = this.inserts.get(key);
    if (!statement) {
      if (this.inserts.size > 1000) this.inserts.clear();
      const one = `(${columns.map(() => '?').join(',')})`;
      statement = this.db.prepare(`INSERT INTO ${table} (${columns.map((c) => c.name).join(',')}) VALUES ${Array.from({ length: count }, () => one).join(',')}`);
      this.inserts.set(key, statement);
    }
    return statement;
  }
}

export interface SqliteOptions {
  /** Makes the WAL durable after COMMIT; tests inject a slow or failing one. Default: fdatasync. */
  syncWal?: (wal: FileHandle) => Promise<void>;
  /** false for the writer thread, which only writes (reads stay on the main thread). */
  readerConnection?: boolean;
}

export function openSqlite(file: string, { syncWal = (wal) => wal.datasync(), readerConnection = true }: SqliteOptions = {}): SqlDriver {
  mkdirSync(join(file, '..'), { recursive: true });
  const configure = (db: Database.Database, synchronous: 'NORMAL' | 'FULL'): boolean => {
    const wal = db.pragma('journal_mode = WAL', { simple: true }) === 'wal';
    // Without WAL (a file system without shared memory) there is no WAL to sync: FULL it is.
    db.pragma(`synchronous = ${wal ? synchronous : 'FULL'}`);
    db.pragma('busy_timeout = 10000');
    return wal;
  };
  // Durable before forward without blocking the event loop: in WAL mode, NORMAL differs from
  // FULL only in that COMMIT does not fsync the WAL (checkpoints still sync the WAL before and
  // the database after). The writer commits under NORMAL and then fsyncs the WAL itself on
  // libuv's thread pool; a transaction resolves only after that sync, so whoever awaits it —
  // the gateway before forwarding — gets FULL's guarantee, while other requests keep running
  // during the fsync instead of waiting behind it.
  const writerDb = new Database(file);
  const readerDb = readerConnection ? new Database(file) : null;
  const syncsItself = configure(writerDb, 'NORMAL');
  if (readerDb) configure(readerDb, 'FULL');
  const writer = new SqliteConn(writerDb);
  const reader = readerDb ? new SqliteConn(readerDb) : writer;
  const walSync = syncsItself ? new WalSync(`${file}-wal`, syncWal) : null;
  const pipelined = async <T>(fn: (tx: SqlConn) => Promise<T>): Promise<{ result: T; durable: Promise<void> }> => {
    // A failed fsync leaves committed but undurable rows behind: nothing more may be written.
    const failure = walSync?.failure;
    if (failure) throw failure;
    writerDb.exec('BEGIN IMMEDIATE');
    let result: T;
    try {
      result = await fn(writer);
      writerDb.exec('COMMIT');
    } catch (error) {
      if (writerDb.inTransaction) writerDb.exec('ROLLBACK');
      throw error;
    }
    return { result, durable: walSync ? walSync.request() : Promise.resolve() };
  };
  return {
    dialect: 'sqlite',
    reader,
    pipelined,
    writerFailure: () => walSync?.failure ?? null,
    // Synchronous on this thread: it answers or throws at once.
    ping: async () => void (await reader.all('SELECT 1 AS ok')),
    async transaction(fn) {
      const { result, durable } = await pipelined(fn);
      await durable;
      return result;
    },
    async close() {
      await walSync?.close();
      writerDb.close();
      readerDb?.close();
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

  /**
   * One array a column, unnested by the server, under a statement prepared once a connection:
   * a batch of 256 records takes a third of the time of a 3,584-parameter VALUES list, which
   * the server parses and plans anew every time.
   */
  async insertRows(table: string, columns: readonly Column[], rows: readonly unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const text = `INSERT INTO ${table} (${columns.map((c) => c.name).join(',')}) SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(',')})`;
    const values = columns.map((_, column) => rows.map((row) => row[column]));
    await this.client.query({ name: `xb-insert-${table}-${columns.length}`, text, values });
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `node`: named in the writer connection's application_name (`xborder-writer <node>`). */
export async function openPostgres(databaseUrl: string, schema?: string, node?: string): Promise<SqlDriver & { writerClient: pg.Client }> {
  const base = { connectionString: databaseUrl, types, connectionTimeoutMillis: 5000 };
  if (schema) {
    const admin = new pg.Client(base);
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`).catch(async (error: unknown) => {
        // Two nodes creating the schema at once race on the catalog; the loser finds it there.
        const exists = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        if (exists.rowCount === 0) throw error;
      });
    } finally {
      await admin.end().catch(() => {});
    }
  }
  // The schema is a startup parameter of every connection, so no SET races a pooled query.
  const options = schema ? { ...base, options: `-c search_path=${quoteIdent(schema)}` } : base;
  // Named, so an operator finds each node's writer in pg_stat_activity.
  const writerClient = new pg.Client({ ...options, application_name: node ? `xborder-writer ${node}` : 'xborder-writer' });
  await writerClient.connect();
  // A lost writer connection took the node's advisory lock with it (store.ts): another process
  // may hold the node now, so this one never writes again (writerFailure) instead of reconnecting.
  let lost: Error | null = null;
  let closing = false;
  writerClient.on('error', (error) => {
    lost ??= error;
  });
  writerClient.on('end', () => {
    if (!closing) lost ??= new Error('the PostgreSQL writer connection ended');
  });
  const pool = new pg.Pool({ ...options, max: 4, idleTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  const writer = new PgConn(writerClient);
  const transaction = async <T>(fn: (tx: SqlConn) => Promise<T>): Promise<T> => {
    await writerClient.query('BEGIN');
    try {
      const result = await fn(writer);
      await writerClient.query('COMMIT');
      return result;
    } catch (error) {
      await writerClient.query('ROLLBACK').catch(() => {});
      throw error;
    }
  };
  return {
    dialect: 'postgres',
    writerClient,
    reader: new PgConn(pool),
    transaction,
    // A PostgreSQL COMMIT returns once durable (synchronous_commit): nothing to wait for after.
    pipelined: async (fn) => ({ result: await transaction(fn), durable: Promise.resolve() }),
    writerFailure: () => lost,
    // A query read timeout makes the pool destroy the connection instead of taking it back.
    // pg reads `query_timeout` from a query's config too (Client#query); @types/pg omits it there.
    ping: async (timeoutMs) => void (await pool.query({ text: 'SELECT 1 AS ok', query_timeout: timeoutMs } as pg.QueryConfig)),
    async close() {
      closing = true;
      await writerClient.end().catch(() => {});
      await pool.end().catch(() => {});
    },
  };
}

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, POSTGRES_MIGRATIONS, type Migration } from './schema.ts';

export type Row = Record<string, unknown>;

/**
 * Statements on the records database, written once with `?` placeholders and portable SQL; the Postgres
 * connection numbers the placeholders. Inside a transaction, the handle given to the callback.
 */
export interface Queryable {
  readonly dialect: 'sqlite' | 'postgres';
  all<T = Row>(text: string, ...params: unknown[]): Promise<T[]>;
  get<T = Row>(text: string, ...params: unknown[]): Promise<T | undefined>;
  /** Rows changed. */
  run(text: string, ...params: unknown[]): Promise<number>;
  /**
   * Serialises this transaction with others taking the same key until it ends (Postgres: an advisory
   * transaction lock; SQLite: nothing to do, its write transactions are serial already).
   */
  lock(key: string): Promise<void>;
}

/** The records database: SQLite (embedded default) or PostgreSQL (several machines). */
export interface Db extends Queryable {
  /**
   * Runs fn in one write transaction; fn must use the handle it is given, not the Db. `locks` are taken
   * first (see Queryable.lock). Throwing rolls everything back.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>, options?: { locks?: string[] }): Promise<T>;
  /** Applies the migrations not yet recorded in `schema_migrations`. */
  migrate(): Promise<void>;
  /** Rows changed through this connection so far (tests: "nothing was written"). */
  changes(): number;
  close(): Promise<void>;
}

/**
 * The embedded database: one SQLite file, WAL, a busy timeout and `BEGIN IMMEDIATE` write transactions,
 * so several processes on one machine (`share` while `serve` runs) change it safely: SQLite serialises
 * writers, and every change of a record is one statement or one transaction. One connection per process:
 * while an (async) transaction is open, other statements of this process wait for it, so none lands in it.
 */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  readonly raw: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  #busy: Promise<void> | undefined;
  readonly #inTx: Queryable;

  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.raw = new Database(file, { timeout: 15_000 });
    this.raw.pragma('journal_mode = WAL');
    // FULL: a committed enqueue survives a power cut, not only a killed process.
    this.raw.pragma('synchronous = FULL');
    this.raw.pragma('busy_timeout = 15000');
    this.raw.pragma('foreign_keys = ON');
    this.#inTx = {
      dialect: 'sqlite',
      all: async (text, ...params) => this.allSync(text, ...params),
      get: async (text, ...params) => this.getSync(text, ...params),
      run: async (text, ...params) => this.runSync(text, ...params),
      lock: async () => {},
    };
  }

  /** A cached prepared statement. */
  sql(text: string): Database.Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.raw.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  allSync<T = Row>(text: string, ...params: unknown[]): T[] {
    return this.sql(text).all(...params) as T[];
  }

  getSync<T = Row>(text: string, ...params: unknown[]): T | undefined {
    return this.sql(text).get(...params) as T | undefined;
  }

  runSync(text: string, ...params: unknown[]): number {
    return this.sql(text).run(...params).changes;
  }

  async all<T = Row>(text: string, ...params: unknown[]): Promise<T[]> {
    while (this.#busy) await this.#busy;
    return this.allSync<T>(text, ...params);
  }

  async get<T = Row>(text: string, ...params: unknown[]): Promise<T | undefined> {
    while (this.#busy) await this.#busy;
    return this.getSync<T>(text, ...params);
  }

  async run(text: string, ...params: unknown[]): Promise<number> {
    while (this.#busy) await this.#busy;
    return this.runSync(text, ...params);
  }

  async lock(): Promise<void> {}

  /** `BEGIN IMMEDIATE`: the write lock is taken first, so reads inside are current. */
  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    // Checked and taken in one synchronous step: an awaited helper would let two waiters through.
    while (this.#busy) await this.#busy;
    let release!: () => void;
    this.#busy = new Promise<void>((resolve) => (release = resolve));
    try {
      this.raw.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#inTx);
        this.raw.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.#busy = undefined;
      release();
    }
  }

  async migrate(): Promise<void> {
    this.raw.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const step of MIGRATIONS) {
      await this.tx(async (q) => {
        if (await q.get('SELECT 1 FROM schema_migrations WHERE version = ?', step.version)) return;
        this.raw.exec(step.sql);
        await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', step.version, step.name, new Date().toISOString());
      });
    }
  }

  changes(): number {
    return (this.raw.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  }

  async close(): Promise<void> {
    while (this.#busy) await this.#busy;
    this.raw.close();
  }
}

/** `?` placeholders numbered for Postgres (`$1`, `$2`…), leaving quoted text alone. */
export function numberPlaceholders(text: string): string {
  let n = 0;
  let out = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else out += ch === '?' ? `$${++n}` : ch;
  }
  return out;
}

/**
 * The migrations' SQLite DDL in Postgres terms: integers are BIGINT (millisecond times), an autoincrement
 * key is BIGSERIAL (generated by an identity), BLOB is BYTEA, REAL is DOUBLE PRECISION.
 */
export function postgresDdl(sql: string): string {
  return sql
    .replace(/\bINTEGER PRIMARY KEY AUTOINCREMENT\b/g, 'BIGSERIAL PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bBLOB\b/g, 'BYTEA')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION');
}

/** Advisory lock keys are 64-bit numbers: a stable hash of the name. */
export const LOCK_SQL = 'SELECT pg_advisory_xact_lock(hashtextextended(?, 0))';

/** The migration steps a dialect applies, in order. */
export function migrationsFor(dialect: 'sqlite' | 'postgres'): Migration[] {
  if (dialect === 'sqlite') return [...MIGRATIONS];
  return [...MIGRATIONS.map((m) => ({ ...m, sql: postgresDdl(m.sql) })), ...POSTGRES_MIGRATIONS].sort((a, b) => a.version - b.version);
}

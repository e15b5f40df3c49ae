import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './schema.ts';

export type Row = Record<string, unknown>;

/**
 * The embedded database: one SQLite file, WAL, a busy timeout and `BEGIN IMMEDIATE` write transactions,
 * so several processes on one machine (`share` while `serve` runs) change it safely: SQLite serialises
 * writers, and every change of a record is one statement or one transaction.
 */
export class SqliteDb {
  readonly raw: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.raw = new Database(file, { timeout: 15_000 });
    this.raw.pragma('journal_mode = WAL');
    // FULL: a committed enqueue survives a power cut, not only a killed process.
    this.raw.pragma('synchronous = FULL');
    this.raw.pragma('busy_timeout = 15000');
    this.raw.pragma('foreign_keys = ON');
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

  all<T = Row>(text: string, ...params: unknown[]): T[] {
    return this.sql(text).all(...params) as T[];
  }

  get<T = Row>(text: string, ...params: unknown[]): T | undefined {
    return this.sql(text).get(...params) as T | undefined;
  }

  run(text: string, ...params: unknown[]): number {
    return this.sql(text).run(...params).changes;
  }

  /** Runs fn in a `BEGIN IMMEDIATE` transaction: the write lock is taken first, so reads inside are current. */
  tx<T>(fn: () => T): T {
    return this.raw.transaction(fn).immediate();
  }

  /** Applies the migrations not yet recorded in `schema_migrations`. */
  migrate(): void {
    this.raw.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const step of MIGRATIONS) {
      this.tx(() => {
        if (this.get('SELECT 1 FROM schema_migrations WHERE version = ?', step.version)) return;
        this.raw.exec(step.sql);
        this.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', step.version, step.name, new Date().toISOString());
      });
    }
  }

  /** Rows changed through this connection so far (tests: "nothing was written"). */
  changes(): number {
    return (this.raw.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  }

  close(): void {
    this.raw.close();
  }
}

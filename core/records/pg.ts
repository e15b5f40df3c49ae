import pg from 'pg';
import { LOCK_SQL, migrationsFor, numberPlaceholders, type Db, type Queryable, type Row } from './db.ts';

// Millisecond times and counts are BIGINT: read them as numbers (they stay far below 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** A statement runner pg-boss can be handed, so its job changes join our transaction. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

type Client = pg.Pool | pg.PoolClient;

/** A Queryable over one pg client (the pool, or a transaction's connection). */
class PgQueryable implements Queryable, SqlExecutor {
  readonly dialect = 'postgres' as const;
  readonly #texts = new Map<string, string>();

  constructor(
    readonly client: Client,
    private readonly counted: (n: number) => void,
  ) {}

  #text(text: string): string {
    let numbered = this.#texts.get(text);
    if (numbered === undefined) {
      numbered = numberPlaceholders(text);
      this.#texts.set(text, numbered);
    }
    return numbered;
  }

  async all<T = Row>(text: string, ...params: unknown[]): Promise<T[]> {
    return (await this.client.query(this.#text(text), params)).rows as T[];
  }

  async get<T = Row>(text: string, ...params: unknown[]): Promise<T | undefined> {
    return (await this.all<T>(text, ...params))[0];
  }

  async run(text: string, ...params: unknown[]): Promise<number> {
    const n = (await this.client.query(this.#text(text), params)).rowCount ?? 0;
    this.counted(n);
    return n;
  }

  async lock(key: string): Promise<void> {
    await this.client.query(numberPlaceholders(LOCK_SQL), [key]);
  }

  async executeSql(text: string, values: unknown[] = []): Promise<{ rows: Row[]; rowCount: number | null }> {
    const result = await this.client.query(text, values);
    return { rows: result.rows as Row[], rowCount: result.rowCount };
  }
}

/**
 * PostgreSQL records, for several processes on several machines: a connection pool; each transaction on
 * one connection, READ COMMITTED, with advisory transaction locks where a change reads before it writes
 * (a group's members, a picture shared by packets, a job and its parts, one chat's order of jobs).
 */
export class PgDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly #q: PgQueryable;
  #changes = 0;

  constructor(url: string, options: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
    // An idle connection that breaks (server restart) must not crash the process; the next query reconnects.
    this.pool.on('error', () => {});
    this.#q = new PgQueryable(this.pool, (n) => (this.#changes += n));
  }

  /** The pool as pg-boss's `db` (outside any transaction). */
  get executor(): SqlExecutor {
    return this.#q;
  }

  all<T = Row>(text: string, ...params: unknown[]): Promise<T[]> {
    return this.#q.all<T>(text, ...params);
  }

  get<T = Row>(text: string, ...params: unknown[]): Promise<T | undefined> {
    return this.#q.get<T>(text, ...params);
  }

  run(text: string, ...params: unknown[]): Promise<number> {
    return this.#q.run(text, ...params);
  }

  /** Outside a transaction a lock would end with its statement: only meaningful inside tx(). */
  async lock(): Promise<void> {}

  async tx<T>(fn: (q: Queryable) => Promise<T>, options: { locks?: string[] } = {}): Promise<T> {
    const client = await this.pool.connect();
    let changes = 0;
    let broken: Error | undefined;
    const q = new PgQueryable(client, (n) => (changes += n));
    try {
      await client.query('BEGIN');
      // Sorted, so two transactions taking the same keys cannot deadlock on their order.
      for (const key of [...new Set(options.locks ?? [])].sort()) await q.lock(key);
      const result = await fn(q);
      await client.query('COMMIT');
      this.#changes += changes;
      return result;
    } catch (error) {
      // A connection that cannot even roll back is dropped from the pool.
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async migrate(): Promise<void> {
    await this.tx(
      (q) => (q as PgQueryable).client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'),
      { locks: ['facedrop:migrate'] },
    );
    for (const step of migrationsFor('postgres')) {
      // Replicas starting together: one applies each step, the others wait and skip it.
      await this.tx(
        async (q) => {
          if (await q.get('SELECT 1 FROM schema_migrations WHERE version = ?', step.version)) return;
          await (q as PgQueryable).client.query(step.sql);
          await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', step.version, step.name, new Date().toISOString());
        },
        { locks: ['facedrop:migrate'] },
      );
    }
  }

  changes(): number {
    return this.#changes;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The executor of a transaction handle (pg-boss joins the transaction through it). */
export function executorOf(q: Queryable): SqlExecutor {
  if (!(q instanceof PgQueryable)) throw new Error('not a PostgreSQL connection');
  return q;
}

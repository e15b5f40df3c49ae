import type { Db } from './db.ts';

/** Small settings and once-only markers; values are JSON. Not for lists that grow: those are rows. */
export class KvRepository {
  constructor(private readonly db: Db) {}

  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.db.get<{ value: string }>('SELECT value FROM kv WHERE key = ?', key);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.db.run('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, JSON.stringify(value));
  }

  async delete(key: string): Promise<boolean> {
    return await this.db.run('DELETE FROM kv WHERE key = ?', key) > 0;
  }

  /** Sets the key only if absent: true for exactly one caller, across processes (a reply sent at most once). */
  async setOnce(key: string, value: unknown = true): Promise<boolean> {
    return await this.db.run('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', key, JSON.stringify(value)) > 0;
  }
}

import fs from 'node:fs';
import path from 'node:path';
import Keyv from 'keyv';

/** A narrow key-value port over keyv, so the rest of the code does not depend on which database is behind it. */
export interface Store {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  /**
   * Read-modify-write of one key, serialised per key within this process.
   * Returning undefined deletes the key. Returns the new value.
   */
  update<T>(key: string, change: (current: T | undefined) => T | undefined): Promise<T | undefined>;
  close(): Promise<void>;
}

/**
 * Opens the store named by a URL: `sqlite://<file>` (embedded default), `redis://…`, `postgres://…`,
 * or `memory://` (tests).
 */
export async function openStore(url: string, namespace = 'facedrop'): Promise<Store> {
  const keyv = new Keyv({ store: await adapterFor(url), namespace });
  keyv.on('error', () => {}); // errors surface on the awaited call; an unhandled 'error' event would crash the process
  return new KeyvStore(keyv);
}

async function adapterFor(url: string): Promise<unknown> {
  const scheme = url.slice(0, url.indexOf(':'));
  switch (scheme) {
    case 'memory':
      return new Map();
    case 'sqlite': {
      const file = url.slice('sqlite://'.length);
      if (file && file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      const { default: KeyvSqlite } = await import('@keyv/sqlite');
      return new KeyvSqlite({ uri: url, busyTimeout: 5000 } as never);
    }
    case 'redis':
    case 'rediss': {
      const { default: KeyvRedis } = await import('@keyv/redis');
      return new KeyvRedis(url);
    }
    case 'postgres':
    case 'postgresql': {
      const { default: KeyvPostgres } = await import('@keyv/postgres');
      return new KeyvPostgres({ uri: url });
    }
    default:
      throw new Error(`Unsupported STORE_URL scheme "${scheme}" (use sqlite://, redis:// or postgres://)`);
  }
}

class KeyvStore implements Store {
  readonly #keyv: Keyv;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(keyv: Keyv) {
    this.#keyv = keyv;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.#keyv.get<T>(key)) ?? undefined;
  }

  async set<T>(key: string, value: T): Promise<void> {
    const ok = await this.#keyv.set(key, value);
    if (ok === false) throw new Error(`store: could not write key ${key}`);
  }

  async delete(key: string): Promise<boolean> {
    return this.#keyv.delete(key);
  }

  update<T>(key: string, change: (current: T | undefined) => T | undefined): Promise<T | undefined> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(async () => {
      const value = change(await this.get<T>(key));
      if (value === undefined) await this.delete(key);
      else await this.set(key, value);
      return value;
    });
    this.#locks.set(key, next);
    void next.finally(() => {
      if (this.#locks.get(key) === next) this.#locks.delete(key);
    }).catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.#keyv.disconnect();
  }
}

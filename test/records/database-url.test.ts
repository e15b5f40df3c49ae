// Which database a configuration names: the embedded file by default, PostgreSQL by STORE_URL or
// DATABASE_URL, and a clear refusal of redis://, which facedrop does not use.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.ts';
import { openRecords } from '../../core/records/index.ts';

const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp/fd-data', ...env }, { dotenv: false });

describe('database URLs', () => {
  it('defaults to the SQLite file in DATA_DIR; a postgres STORE_URL is the records database too', () => {
    expect(load({}).DATABASE_URL).toBe('sqlite:///tmp/fd-data/facedrop.sqlite');
    expect(load({ STORE_URL: 'postgres://fd:pw@db.internal:5432/facedrop' }).DATABASE_URL).toBe('postgres://fd:pw@db.internal:5432/facedrop');
    expect(load({ STORE_URL: 'sqlite:///tmp/x.sqlite', DATABASE_URL: 'postgresql://db/facedrop' }).DATABASE_URL).toBe('postgresql://db/facedrop');
  });

  it('refuses redis:// at start, naming STORE_URL and what to use instead, never the value', () => {
    let error: unknown;
    try {
      load({ STORE_URL: 'redis://:secret-password@cache:6379' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).keys).toEqual(['STORE_URL']);
    expect((error as Error).message).toMatch(/postgres:\/\//);
    expect((error as Error).message).not.toContain('secret-password');
  });

  it('an unknown scheme is refused by openRecords with the schemes it takes', async () => {
    await expect(openRecords('mysql://db/x')).rejects.toThrow(/sqlite:\/\/<file> or postgres:\/\//);
  });
});

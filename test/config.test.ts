// The environment is read in one place: every bad value stops start-up with the variable's name and the
// rule it breaks, never the value itself (it may be a secret), and nothing else is read.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';

const load = (env: Record<string, string>) => loadConfig(env, { dotenv: false });

function refusal(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('configuration from the environment', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PUBLIC_URL', 'ftp://photos.example.org'],
    ['PUBLIC_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://user:hunter2secret@db/x'],
    ['STORE_URL', 'mongodb://user:hunter2secret@db/x'],
    ['LOG_LEVEL', 'loud'],
    ['FACE_THREADS', '0'],
    ['MATCH_FALSE_MATCH_RATE', '0.5'],
    ['MATCH_MARGIN', '-1'],
    ['ALBUM_VERIFY_THRESHOLD', '3'],
    ['EVENT_WINDOW_MINUTES', '-5'],
    ['MAX_UPLOAD_BYTES', '10'],
    ['MAX_UPLOAD_PIXELS', '5'],
    ['UPLOAD_RATE_LIMIT', '0'],
    ['OUTBOX_GIVE_UP_DAYS', '0'],
    ['UPLOAD_HMAC_SECRET', 'short'],
    ['TRUST_PROXY', 'yes'],
    ['TELEGRAM_BOT_TOKEN', 'hunter2secret-token'],
    ['TELEGRAM_WEBHOOK_SECRET', 'hunter2 secret!'],
    ['DISCORD_GUILD_ID', 'guild-hunter2secret'],
    ['DISCORD_GROUP_SCOPE', 'server'],
    ['MEMBER_RETENTION_DAYS', '3'],
  ])('refuses %s=%s, naming the variable and not the value', (name, value) => {
    const error = refusal({ [name]: value });
    expect(error.keys).toEqual([name]);
    expect(error.oneLine).toMatch(new RegExp(`^invalid environment: ${name}: `));
    expect(error.oneLine).not.toContain('\n');
    if (value.length > 4) expect(error.message).not.toContain(value);
  });

  it.each([
    [{ TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/hook' }, 'TELEGRAM_WEBHOOK_SECRET'],
    [{ ACCOUNT_SIGNATURE_REQUIRED: 'true' }, 'UPLOAD_HMAC_SECRET'],
    [{ STORE_URL: 'redis://127.0.0.1:6379' }, 'STORE_URL'],
  ])('refuses a combination that cannot work: %o needs %s', (env, name) => {
    const error = refusal(env);
    expect(error.keys).toEqual([name]);
    expect(error.oneLine).toContain(name);
  });

  it('names every bad variable at once', () => {
    expect(refusal({ PORT: 'abc', LOG_LEVEL: 'loud' }).keys.sort()).toEqual(['LOG_LEVEL', 'PORT']);
  });

  it('gives the embedded defaults with no environment, and treats an empty value as unset', () => {
    const config = load({ PORT: '', DATA_DIR: '/tmp/facedrop-config-test' });
    expect(config.PORT).toBe(8080);
    expect(config.PUBLIC_URL).toBe('http://localhost:8080');
    expect(config.DATABASE_URL).toBe('sqlite:///tmp/facedrop-config-test/facedrop.sqlite');
    expect(config.STORE_URL).toBe(config.DATABASE_URL);
    expect(config.EVENT_WINDOW_MINUTES).toBe(30);
    expect(config.TRUST_PROXY).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('strips trailing slashes from PUBLIC_URL and keeps PostgreSQL given as STORE_URL for the records', () => {
    const config = load({ PUBLIC_URL: 'https://photos.example.org//', STORE_URL: 'postgres://u:p@db/facedrop' });
    expect(config.PUBLIC_URL).toBe('https://photos.example.org');
    expect(config.DATABASE_URL).toBe('postgres://u:p@db/facedrop');
  });
});

import { config as loadDotenv } from 'dotenv';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { MAX_MATCH_DISTANCE } from './core/match/calibration.ts';
import { DEFAULT_MATCH_SETTINGS } from './core/match/policy.ts';

/** Thrown when the environment is invalid; names the keys, never their values (they may be secrets). */
export class ConfigError extends Error {
  constructor(readonly keys: string[], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }

  /** The message on one line, for start-up errors: `invalid environment: PORT: ...; HOST: ...`. */
  get oneLine(): string {
    const [head = '', ...problems] = this.message.split('\n');
    return problems.length ? `${head.replace(/:$/, '').replace(/^Invalid/, 'invalid')}: ${problems.map((p) => p.trim()).join('; ')}` : head;
  }
}

/** ALBUM_ALLOWED_HOSTS ("a.example, 10.0.0.5, [fd00::1]"): bare host names, as the album-address check compares them. */
const parseAllowedHosts = (list: string | undefined): string[] =>
  (list ?? '').split(',').map((h) => h.trim().replace(/^\[|\]$/g, '').toLowerCase()).filter((h) => h.length > 0);

const optionalUrl = z.url({ protocol: /^https?$/ }).optional();
const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
const num = (def: number, min: number, max: number) => z.coerce.number().min(min).max(max).default(def);

const schema = z.object({
  DATA_DIR: z.string().min(1).default('./data'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  PUBLIC_URL: optionalUrl,
  STORE_URL: z.string().regex(/^(sqlite|redis|rediss|postgres|postgresql):\/\//, 'must start with sqlite://, redis:// or postgres://').optional(),
  // Records (and jobs): an SQLite file (default: the STORE_URL file when that is sqlite://) or PostgreSQL.
  DATABASE_URL: z.string().regex(/^(sqlite|postgres|postgresql):\/\//, 'must start with sqlite:// or postgres://').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FACE_THREADS: z.coerce.number().int().min(1).max(64).default(Math.max(1, os.availableParallelism())),
  // Terminal: identification among a group's members (see README, "How matching works").
  MATCH_FALSE_MATCH_RATE: num(DEFAULT_MATCH_SETTINGS.falseMatchRate, 1e-6, 0.1),
  MATCH_MARGIN: num(DEFAULT_MATCH_SETTINGS.margin, 0, 1),
  MATCH_MIN_FACE_PX: num(DEFAULT_MATCH_SETTINGS.minFacePx, 0, 10000),
  // Album: verification of one owner against one picture.
  ALBUM_VERIFY_THRESHOLD: num(MAX_MATCH_DISTANCE, 0, 2),
  // Private notices (core/share/notices.ts): from the first new photo to the notice, and between two digests.
  NOTICE_DELAY_MS: z.coerce.number().int().min(0).max(86_400_000).default(180_000),
  EVENT_WINDOW_MINUTES: z.coerce.number().min(0).max(1440).default(30),
  NOTICE_DIGEST_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).default(25 * 1024 * 1024),
  // Album: decoded pixels per picture (decompression bombs); below core/faces' own 80 MP bound.
  MAX_UPLOAD_PIXELS: z.coerce.number().int().min(1_000_000).max(80_000_000).default(50_000_000),
  UPLOAD_RATE_LIMIT: z.coerce.number().int().min(1).default(120),
  // Terminal: seals the album links it holds (base64 of 32 bytes; default: DATA_DIR/link.key, made once).
  MEMBER_LINK_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64 (openssl rand -base64 32)')
    .optional(),
  // Terminal: a packet its album has not taken for this long is given up, its picture dropped, its member told.
  OUTBOX_GIVE_UP_DAYS: z.coerce.number().positive().max(3650).default(7),
  UPLOAD_HMAC_SECRET: z.string().min(16).optional(),
  // Album: POST /api/accounts must be signed with UPLOAD_HMAC_SECRET too (album/README.md).
  ACCOUNT_SIGNATURE_REQUIRED: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  TRUST_PROXY: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  // Album addresses typed by chat users: public addresses only, unless allowed here (core/share/album-address.ts).
  ALBUM_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  ALBUM_ALLOWED_HOSTS: z
    .string()
    .regex(/^[\w.:\[\]\-, ]*$/, 'must be a comma-separated list of host names or IP addresses')
    .optional()
    .transform(parseAllowedHosts),
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[\w-]+$/, 'must look like 123456:ABC-DEF').optional(),
  TELEGRAM_API_ROOT: optionalUrl,
  TELEGRAM_GROUP_REPLIES: z.enum(['on', 'off']).default('on'),
  // Webhook mode: Telegram posts updates to this URL (its path is served on PORT by every replica).
  TELEGRAM_WEBHOOK_URL: optionalUrl,
  // Telegram allows 1-256 of A-Z a-z 0-9 _ - as secret_token.
  TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16-256 letters, digits, _ or -').optional(),
  DISCORD_BOT_TOKEN: z.string().min(10).optional(),
  DISCORD_API_ROOT: optionalUrl,
  DISCORD_GUILD_ID: z.string().regex(/^\d+$/).optional(),
  DISCORD_GROUP_SCOPE: z.enum(['channel', 'guild']).default('channel'),
  // Bots: an entry with no command and no delivered photo for this long is forgotten (warned a week before).
  MEMBER_RETENTION_DAYS: z.coerce.number().int().min(8).max(3650).default(365),
});

const raw = z.preprocess(
  (env) => Object.fromEntries(Object.entries(env as Record<string, unknown>).map(([k, v]) => [k, emptyAsUndefined(v)])),
  schema,
);

type Parsed = z.infer<typeof schema>;
export type Config = Readonly<Parsed & { PUBLIC_URL: string; STORE_URL: string; DATABASE_URL: string; DATA_DIR: string }>;

/** Reads and validates the environment: the one place that touches process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, { dotenv = true } = {}): Config {
  if (dotenv && env === process.env) loadDotenv({ quiet: true });
  const result = raw.safeParse(env);
  if (!result.success) {
    const keys = [...new Set(result.error.issues.map((i) => String(i.path[0] ?? '?')))];
    // zod messages describe the rule, not the value, so they are safe to show.
    const lines = result.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`);
    throw new ConfigError(keys, `Invalid environment:\n${lines.join('\n')}`);
  }
  const c = result.data;
  if (c.TELEGRAM_WEBHOOK_URL && !c.TELEGRAM_WEBHOOK_SECRET) {
    throw new ConfigError(['TELEGRAM_WEBHOOK_SECRET'], 'Invalid environment:\n  TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set');
  }
  if (c.ACCOUNT_SIGNATURE_REQUIRED && !c.UPLOAD_HMAC_SECRET) {
    throw new ConfigError(['UPLOAD_HMAC_SECRET'], 'Invalid environment:\n  UPLOAD_HMAC_SECRET: required when ACCOUNT_SIGNATURE_REQUIRED=true');
  }
  if (c.STORE_URL && /^rediss?:/.test(c.STORE_URL)) {
    // Records and jobs need transactions across rows: PostgreSQL for several machines, SQLite on one.
    throw new ConfigError(['STORE_URL'], 'Invalid environment:\n  STORE_URL: redis:// is not used by facedrop; for several machines use PostgreSQL (STORE_URL or DATABASE_URL=postgres://user:password@host/db), on one machine the default SQLite file');
  }
  const dataDir = path.resolve(c.DATA_DIR);
  const publicUrl = (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, '');
  const storeUrl = c.STORE_URL ?? `sqlite://${path.join(dataDir, 'facedrop.sqlite')}`;
  return Object.freeze({
    ...c,
    DATA_DIR: dataDir,
    PUBLIC_URL: publicUrl,
    STORE_URL: storeUrl,
    // The records live in the embedded file by default; a keyv-era file there is migrated in place.
    DATABASE_URL: c.DATABASE_URL ?? (/^(sqlite|postgres|postgresql):/.test(storeUrl) ? storeUrl : `sqlite://${path.join(dataDir, 'facedrop.sqlite')}`),
  });
}

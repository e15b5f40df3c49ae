import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, type Config } from '../../config.ts';
import { SqliteJobQueue, type JobQueue } from '../jobs/queue.ts';
import { AlbumRepository } from './albums.ts';
import { ConsentRepository } from './consents.ts';
import { ContactRepository } from './contacts.ts';
import { SqliteDb, type Db } from './db.ts';
import { KvRepository } from './kv.ts';
import { importLegacyStore, type LegacyImport } from './legacy.ts';
import { LinkSealer, loadLinkKey } from './link-seal.ts';
import { MemberRepository } from './members.ts';
import { EventRepository } from './events.ts';
import { NoticeRepository } from './notices.ts';
import { PacketRepository } from './packets.ts';

export { accountKey, type Account, type PhotoCursor, type PhotoRecord, type Reference } from './albums.ts';
export type { Contact, MembersCheck } from './contacts.ts';
export type { ConsentRecord, GroupSettings, PendingRegistration } from './consents.ts';
export type { AlbumLink } from './members.ts';
export type { EventPhoto } from './events.ts';
export type { LearnedFace, ReferenceSource } from './contacts.ts';
export { NOTICE_MODES, noticeQueue, type NoticeItem, type NoticeMode, type NoticeTiming, type Sighting } from './notices.ts';
export { DELIVERY_QUEUE, deliveryJobId, type DeliveryOutcome, type FinalOutcome, type Packet } from './packets.ts';

/**
 * Every kind of record, each its own repository; nothing above this knows which database is behind it.
 * Each record is a row changed atomically by the database, never a list read, edited and written back.
 */
export interface Records {
  packets: PacketRepository;
  contacts: ContactRepository;
  members: MemberRepository;
  albums: AlbumRepository;
  kv: KvRepository;
  /** Consent records, group settings (pause, approval), registrations under way, activity. */
  consents: ConsentRepository;
  jobs: JobQueue;
  /** Notices, sightings and the answers they bring back ("not me", "is this you?"). */
  notices: NoticeRepository;
  /** The photos of each group's current event, matched again when a member's face is learned. */
  events: EventRepository;
  /** Rows changed through this connection so far (tests: "nothing was written"). */
  changes(): number;
  close(): Promise<void>;
}

export interface OpenOptions {
  legacy?: LegacyImport;
  /** The jobs' clock (tests; embedded engine only). */
  now?: () => number;
  /** PostgreSQL: how often pg-boss looks for runs whose worker stopped (s). */
  maintenanceSeconds?: number;
  /** PostgreSQL: connections in the pool. */
  poolSize?: number;
  /**
   * Seals the album links the terminal holds (core/records/link-seal.ts). Default: `link.key` beside an SQLite
   * file; a fresh key for memory://; for PostgreSQL a file in the temp folder named after the URL (tests; a
   * configuration passes DATA_DIR/link.key or MEMBER_LINK_KEY, see openConfiguredRecords).
   */
  linkKey?: Buffer | (() => Buffer);
}

/**
 * Opens the records database named by a URL: `sqlite://<file>` (the embedded default, one file in
 * DATA_DIR), `memory://` (tests) or `postgres://…` (several machines; jobs on pg-boss). Applies pending
 * schema migrations, then imports a keyv-era data folder once.
 */
export async function openRecords(url: string, options: OpenOptions = {}): Promise<Records> {
  const scheme = url.slice(0, url.indexOf(':'));
  let db: Db;
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { PgDb } = await import('./pg.ts');
    db = new PgDb(url, options.poolSize !== undefined ? { max: options.poolSize } : {});
  } else if (scheme === 'memory' || scheme === 'sqlite') {
    db = new SqliteDb(scheme === 'memory' ? ':memory:' : url.slice('sqlite://'.length) || ':memory:');
  } else throw new Error(`Unsupported DATABASE_URL scheme "${scheme}": use sqlite://<file> or postgres://…`);
  const members = new MemberRepository(db, new LinkSealer(() => (typeof options.linkKey === 'function' ? options.linkKey() : (options.linkKey ?? defaultLinkKey(scheme, url)))));
  let jobs: JobQueue;
  try {
    await db.migrate();
    if (options.legacy && !(db instanceof SqliteDb && db.raw.memory)) await importLegacyStore(db, options.legacy);
    await members.sealStored();
    if (db instanceof SqliteDb) jobs = new SqliteJobQueue(db, options.now);
    else {
      const { PgBossJobQueue } = await import('../jobs/pg-boss-queue.ts');
      jobs = await PgBossJobQueue.start(db as import('./pg.ts').PgDb, options.maintenanceSeconds !== undefined ? { maintenanceSeconds: options.maintenanceSeconds } : {});
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return {
    packets: new PacketRepository(db, jobs),
    contacts: new ContactRepository(db),
    members,
    albums: new AlbumRepository(db),
    kv: new KvRepository(db),
    consents: new ConsentRepository(db),
    jobs,
    notices: new NoticeRepository(db, jobs),
    events: new EventRepository(db),
    changes: () => db.changes(),
    async close() {
      await jobs.close?.();
      await db.close();
    },
  };
}

/**
 * Opens the records database of a configuration (DATABASE_URL), importing a keyv-era data folder
 * (the STORE_URL SQLite file and DATA_DIR/outbox) the first time.
 */
export async function openConfiguredRecords(config: Pick<Config, 'DATA_DIR' | 'STORE_URL' | 'DATABASE_URL'> & Partial<Pick<Config, 'MEMBER_LINK_KEY'>>): Promise<Records> {
  const legacyFile = config.STORE_URL.startsWith('sqlite://') ? config.STORE_URL.slice('sqlite://'.length) : undefined;
  const linkKey = () => loadLinkKey(path.join(config.DATA_DIR, 'link.key'), config.MEMBER_LINK_KEY);
  try {
    return await openRecords(config.DATABASE_URL, { linkKey, ...(legacyFile ? { legacy: { storeFile: legacyFile, outboxDir: path.join(config.DATA_DIR, 'outbox') } } : {}) });
  } catch (error) {
    const why = cannotOpen(error);
    if (!why) throw error;
    // Named by its variable, never by its value (a postgres:// URL holds a password).
    const inDataDir = config.DATABASE_URL === `sqlite://${path.join(config.DATA_DIR, 'facedrop.sqlite')}`;
    const key = inDataDir ? 'DATA_DIR' : config.DATABASE_URL === config.STORE_URL ? 'STORE_URL (or DATABASE_URL)' : 'DATABASE_URL';
    throw new ConfigError([key.split(' ')[0]!], `Invalid environment:\n  ${key}: the database cannot be opened: ${why}`, { cause: error });
  }
}

function defaultLinkKey(scheme: string, url: string): Buffer {
  if (scheme === 'sqlite' && url.length > 'sqlite://'.length) return loadLinkKey(path.join(path.dirname(path.resolve(url.slice('sqlite://'.length))), 'link.key'));
  if (scheme === 'memory' || scheme === 'sqlite') return randomBytes(32);
  return loadLinkKey(path.join(os.tmpdir(), `facedrop-link-${createHash('sha256').update(url).digest('hex').slice(0, 16)}.key`));
}

/** Why a database could not be opened, in words, for the errors a wrong setting causes; else undefined. */
function cannotOpen(error: unknown): string | undefined {
  const code = String((error as { code?: unknown })?.code ?? '');
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'nothing answers at that host and port (is PostgreSQL running?)',
    ENOTFOUND: 'its host name is not known',
    EAI_AGAIN: 'its host name could not be looked up',
    ETIMEDOUT: 'the connection timed out',
    EHOSTUNREACH: 'its host cannot be reached',
    '28P01': 'the password was refused',
    '28000': 'that user may not connect',
    '3D000': 'that database does not exist',
    SQLITE_CANTOPEN: 'the file cannot be created or opened (does its folder exist, and may this user write there?)',
    SQLITE_NOTADB: 'that file is not a database',
    SQLITE_READONLY: 'the file is read-only',
    EACCES: 'permission denied',
    ENOTDIR: 'a part of its path is a file, not a folder',
    EEXIST: 'a part of its path is a file, not a folder',
  };
  return reasons[code];
}

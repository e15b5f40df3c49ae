import path from 'node:path';
import type { Config } from '../../config.ts';
import { JobQueue } from '../jobs/queue.ts';
import { AlbumRepository } from './albums.ts';
import { ConsentRepository } from './consents.ts';
import { ContactRepository } from './contacts.ts';
import { SqliteDb } from './db.ts';
import { KvRepository } from './kv.ts';
import { importLegacyStore, type LegacyImport } from './legacy.ts';
import { MemberRepository } from './members.ts';
import { PacketRepository } from './packets.ts';

export { accountKey, type Account, type PhotoCursor, type PhotoRecord, type Reference } from './albums.ts';
export type { Contact, MembersCheck } from './contacts.ts';
export type { ConsentRecord, GroupSettings, PendingRegistration } from './consents.ts';
export type { AlbumLink } from './members.ts';
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
  /** Rows changed through this connection so far (tests: "nothing was written"). */
  changes(): number;
  close(): Promise<void>;
}

/**
 * Opens the records database named by a URL: `sqlite://<file>` (the embedded default, one file in DATA_DIR)
 * or `memory://` (tests). Applies pending schema migrations, then imports a keyv-era data folder once.
 */
export async function openRecords(url: string, options: { legacy?: LegacyImport; /** The jobs' clock (tests). */ now?: () => number } = {}): Promise<Records> {
  const scheme = url.slice(0, url.indexOf(':'));
  let file: string;
  if (scheme === 'memory') file = ':memory:';
  else if (scheme === 'sqlite') file = url.slice('sqlite://'.length) || ':memory:';
  else throw new Error(`Unsupported DATABASE_URL scheme "${scheme}": use sqlite://<file> (PostgreSQL records are not available yet)`);
  const db = new SqliteDb(file);
  try {
    db.migrate();
    if (options.legacy && file !== ':memory:') importLegacyStore(db, options.legacy);
  } catch (error) {
    db.close();
    throw error;
  }
  const jobs = new JobQueue(db, options.now);
  return {
    packets: new PacketRepository(db, jobs),
    contacts: new ContactRepository(db),
    members: new MemberRepository(db),
    albums: new AlbumRepository(db),
    kv: new KvRepository(db),
    consents: new ConsentRepository(db),
    jobs,
    changes: () => db.changes(),
    async close() {
      db.close();
    },
  };
}

/**
 * Opens the records database of a configuration (DATABASE_URL), importing a keyv-era data folder
 * (the STORE_URL SQLite file and DATA_DIR/outbox) the first time.
 */
export function openConfiguredRecords(config: Pick<Config, 'DATA_DIR' | 'STORE_URL' | 'DATABASE_URL'>): Promise<Records> {
  const legacyFile = config.STORE_URL.startsWith('sqlite://') ? config.STORE_URL.slice('sqlite://'.length) : undefined;
  return openRecords(config.DATABASE_URL, legacyFile ? { legacy: { storeFile: legacyFile, outboxDir: path.join(config.DATA_DIR, 'outbox') } } : {});
}

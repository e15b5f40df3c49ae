import type { JobQueue } from '../jobs/queue.ts';
import type { Db } from './db.ts';

/** A picture on its way to one member's album [packet]. */
export interface Packet {
  /** Derived from album, username and picture: the same photo for the same member is one packet. */
  id: string;
  album: string;
  username: string;
  sha256: string;
  filename: string;
  group?: string;
  memberId?: string;
  /** The album address came from a chat user: checked at connect time (core/share/album-address.ts). */
  untrusted?: true;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
}

export type DeliveryOutcome =
  | { kind: 'delivered'; id: string }
  | { kind: 'duplicate'; id: string }
  | { kind: 'refused'; status: number; code: string; message: string }
  | { kind: 'queued'; attempts: number; lastError: string; nextAttemptAt: number };

export type FinalOutcome = Exclude<DeliveryOutcome, { kind: 'queued' }>;

interface PacketRow {
  id: string;
  album: string;
  username: string;
  sha256: string;
  filename: string;
  grp: string | null;
  member_id: string | null;
  untrusted: number;
  created_at: number;
  state: 'queued' | 'done';
  outcome: string | null;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
}

export const DELIVERY_QUEUE = 'deliver';
export const deliveryJobId = (packetId: string) => `deliver:${packetId}`;

/**
 * Packets (the outbox), one row each, with their pictures and delivery jobs. A packet, its picture and
 * its delivery job are stored in one transaction; the picture goes with the last packet that needed it.
 */
export class PacketRepository {
  constructor(
    private readonly db: Db,
    private readonly jobs: JobQueue,
  ) {}

  /** Stores the packet (queued) unless it is already queued; a finished one is queued again. */
  async enqueue(packet: Omit<Packet, 'attempts' | 'nextAttemptAt' | 'lastError'>, picture: Uint8Array): Promise<Packet> {
    return this.db.tx(
      async (q) => {
        await q.run('INSERT INTO packet_pictures (sha256, bytes) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING', packet.sha256, Buffer.from(picture.buffer, picture.byteOffset, picture.byteLength));
        await q.run(
          `INSERT INTO packets (id, album, username, sha256, filename, grp, member_id, untrusted, created_at, state, attempts, next_attempt_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?)
           ON CONFLICT (id) DO UPDATE SET state = 'queued', outcome = NULL, attempts = 0, last_error = NULL, next_attempt_at = excluded.next_attempt_at
           WHERE packets.state = 'done'`,
          packet.id,
          packet.album,
          packet.username,
          packet.sha256,
          packet.filename,
          packet.group ?? null,
          packet.memberId ?? null,
          packet.untrusted ? 1 : 0,
          packet.createdAt,
          packet.createdAt,
        );
        await this.jobs.insertIn(q, { id: deliveryJobId(packet.id), queue: DELIVERY_QUEUE, kind: 'deliver', payload: { packetId: packet.id }, runAt: packet.createdAt });
        return toPacket((await q.get<PacketRow>('SELECT * FROM packets WHERE id = ?', packet.id))!);
      },
      // A picture is kept while a packet needs it: its enqueue and the last finish do not overlap.
      { locks: [pictureLock(packet.sha256)] },
    );
  }

  async get(id: string): Promise<{ packet: Packet; outcome?: FinalOutcome } | undefined> {
    const row = await this.db.get<PacketRow>('SELECT * FROM packets WHERE id = ?', id);
    if (!row) return undefined;
    return { packet: toPacket(row), ...(row.state === 'done' && row.outcome ? { outcome: JSON.parse(row.outcome) as FinalOutcome } : {}) };
  }

  async pending(): Promise<Packet[]> {
    return (await this.db.all<PacketRow>("SELECT * FROM packets WHERE state = 'queued' ORDER BY created_at, id")).map(toPacket);
  }

  async picture(sha256: string): Promise<Buffer | undefined> {
    return (await this.db.get<{ bytes: Buffer }>('SELECT bytes FROM packet_pictures WHERE sha256 = ?', sha256))?.bytes;
  }

  /** How many pictures wait for delivery (tests: a delivered picture leaves no bytes behind). */
  async pictureCount(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM packet_pictures'))!.n;
  }

  /** The packet's outcome is recorded, its job ends (if `owner` still holds it) and an unneeded picture goes, at once. */
  async finish(id: string, outcome: FinalOutcome, owner: string): Promise<void> {
    const sha256 = (await this.db.get<{ sha256: string }>('SELECT sha256 FROM packets WHERE id = ?', id))?.sha256;
    await this.db.tx(
      async (q) => {
        await q.run("UPDATE packets SET state = 'done', outcome = ? WHERE id = ?", JSON.stringify(outcome), id);
        await this.jobs.completeIn(q, { id: deliveryJobId(id) }, owner);
        await q.run(
          "DELETE FROM packet_pictures WHERE sha256 = (SELECT sha256 FROM packets WHERE id = ?) AND NOT EXISTS (SELECT 1 FROM packets p WHERE p.sha256 = packet_pictures.sha256 AND p.state = 'queued')",
          id,
        );
      },
      { locks: sha256 ? [pictureLock(sha256)] : [] },
    );
  }

  /** A failed attempt: counted, and the delivery job waits until `nextAttemptAt`. */
  async retry(id: string, lastError: string, at: number, owner: string): Promise<Packet | undefined> {
    // Whole milliseconds: backoff jitter makes fractions, which a BIGINT column refuses.
    const nextAttemptAt = Math.round(at);
    return this.db.tx(async (q) => {
      await q.run("UPDATE packets SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND state = 'queued'", lastError, nextAttemptAt, id);
      await this.jobs.retryIn(q, deliveryJobId(id), owner, nextAttemptAt, lastError);
      const row = await q.get<PacketRow>('SELECT * FROM packets WHERE id = ?', id);
      return row ? toPacket(row) : undefined;
    });
  }
}

const pictureLock = (sha256: string) => `picture:${sha256}`;

function toPacket(row: PacketRow): Packet {
  return {
    id: row.id,
    album: row.album,
    username: row.username,
    sha256: row.sha256,
    filename: row.filename,
    ...(row.grp !== null ? { group: row.grp } : {}),
    ...(row.member_id !== null ? { memberId: row.member_id } : {}),
    ...(row.untrusted ? { untrusted: true as const } : {}),
    createdAt: row.created_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  };
}

import type { Db } from './db.ts';

export interface EventPhoto {
  group: string;
  sha256: string;
  filename: string;
  bytes: Uint8Array;
  createdAt: number;
}

/**
 * The photos of a group's current event (those shared within the event window): kept so that when a member's
 * face is learned, the event's earlier photos are matched again against it and a late match is delivered. A
 * photo leaves when the window has passed (purge), so a group photo is held no longer than the window. Only
 * the picture, which the group already saw, is kept: no face data of people who never agreed to any.
 */
export class EventRepository {
  constructor(private readonly db: Db) {}

  async add(photo: EventPhoto): Promise<void> {
    await this.db.run(
      'INSERT INTO event_photos (grp, sha256, filename, bytes, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (grp, sha256) DO UPDATE SET created_at = excluded.created_at',
      photo.group,
      photo.sha256,
      photo.filename,
      Buffer.from(photo.bytes),
      photo.createdAt,
    );
  }

  /** The group's event photos shared at or after `since`, oldest first. */
  async since(group: string, since: number): Promise<EventPhoto[]> {
    const rows = await this.db.all<{ grp: string; sha256: string; filename: string; bytes: Uint8Array; created_at: number }>(
      'SELECT grp, sha256, filename, bytes, created_at FROM event_photos WHERE grp = ? AND created_at >= ? ORDER BY created_at, seq',
      group,
      since,
    );
    return rows.map((r) => ({ group: r.grp, sha256: r.sha256, filename: r.filename, bytes: new Uint8Array(r.bytes), createdAt: Number(r.created_at) }));
  }

  /** Drops every event photo shared before `before` (any group). Returns how many. */
  purge(before: number): Promise<number> {
    return this.db.run('DELETE FROM event_photos WHERE created_at < ?', before);
  }

  /** Drops a group's event photos (the group was paused or emptied). */
  dropGroup(group: string): Promise<number> {
    return this.db.run('DELETE FROM event_photos WHERE grp = ?', group);
  }
}

import type { Box } from '../faces/types.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Db, Queryable } from './db.ts';

/** How a member hears about new photos: `digest` (default) batches, `daily` once a day, `off` never (and no questions). */
export type NoticeMode = 'instant' | 'digest' | 'daily' | 'off';
export const NOTICE_MODES: readonly NoticeMode[] = ['instant', 'digest', 'daily', 'off'];

/** One face of one photo that went to a member (`delivered`) or that the member is asked about (`unsure`). */
export interface Sighting {
  seq: number;
  group: string;
  memberId: string;
  sha256: string;
  kind: 'delivered' | 'unsure';
  state: 'open' | 'yes' | 'no' | 'not_me';
  descriptor: number[];
  box: Box;
  distance: number;
  filename: string;
  /** A small JPEG: the photo's thumbnail (delivered) or the face crop (unsure). */
  thumb: Buffer;
  createdAt: number;
}

export interface NoticeItem {
  kind: 'photo' | 'question';
  sighting: Sighting;
}

export interface NoticeTiming {
  /** From the first new photo to the notice (ms). */
  delayMs: number;
  /** Between two digest notices (ms). */
  digestIntervalMs: number;
}

export const DAY_MS = 24 * 3_600_000;
export const noticeQueue = (userKey: string) => `notices:${userKey.slice(0, Math.max(0, userKey.indexOf(':')))}`;
export const noticeJobId = (userKey: string, batch: number) => `notice:${userKey}:${batch}`;

interface SightingRow {
  seq: number;
  grp: string;
  member_id: string;
  sha256: string;
  kind: Sighting['kind'];
  state: Sighting['state'];
  descriptor: string;
  box: string;
  distance: number;
  filename: string;
  thumb: Buffer;
  created_at: number;
}

const toSighting = (r: SightingRow): Sighting => ({
  seq: r.seq,
  group: r.grp,
  memberId: r.member_id,
  sha256: r.sha256,
  kind: r.kind,
  state: r.state,
  descriptor: JSON.parse(r.descriptor) as number[],
  box: JSON.parse(r.box) as Box,
  distance: r.distance,
  filename: r.filename,
  thumb: r.thumb,
  createdAt: r.created_at,
});

// A member's notice batch is read and advanced by adding and taking alike: one at a time (PostgreSQL).
const noticeLock = (userKey: string) => `notice:${userKey}`;

/**
 * How long a negative learned from an album's 422 `rejected_by_owner` stops this terminal from sending that face
 * (ms). The album is the authority and its owner can undo a "not me" there: after a day the terminal sends the
 * face again, so an undone rejection is delivered, and a standing one is refused and learned afresh (a day
 * more). A "not me" given here (a notice's button, "no" to "is this you?") is the member's own word and stays.
 */
export const ALBUM_NEGATIVE_TTL_MS = 86_400_000;
const STILL_NEGATIVE = "(n.source <> 'album' OR n.created_at > ?)";

/**
 * Notices and the answers they bring back: members' notice modes, sightings (which face went to whom, or was
 * asked about), batched notice items with their durable job, members' negative examples ("not me"), and the
 * album side's rejected faces per account.
 */
export class NoticeRepository {
  constructor(
    private readonly db: Db,
    private readonly jobs: JobQueue,
  ) {}

  async mode(userKey: string): Promise<NoticeMode> {
    return (await this.db.get<{ mode: NoticeMode }>('SELECT mode FROM notice_settings WHERE user_key = ?', userKey))?.mode ?? 'digest';
  }

  async setMode(userKey: string, mode: NoticeMode, now = Date.now()): Promise<void> {
    await this.db.run('INSERT INTO notice_settings (user_key, mode, updated_at) VALUES (?, ?, ?) ON CONFLICT (user_key) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at', userKey, mode, now);
  }

  async setGroupName(group: string, name: string): Promise<void> {
    await this.db.run('INSERT INTO group_names (grp, name) VALUES (?, ?) ON CONFLICT (grp) DO UPDATE SET name = excluded.name', group, name.slice(0, 200));
  }

  async groupName(group: string): Promise<string | undefined> {
    return (await this.db.get<{ name: string }>('SELECT name FROM group_names WHERE grp = ?', group))?.name;
  }

  /**
   * Records a sighting once per (group, member, photo); `created` is false when it was there already (a photo
   * shared again asks no second question). An unsure sighting keeps the picture until it is answered.
   */
  async recordSighting(s: Omit<Sighting, 'seq' | 'state'>, picture?: Uint8Array): Promise<{ sighting: Sighting; created: boolean }> {
    return this.db.tx(async (q) => {
      const created = (await insertSighting(q, s)) > 0;
      if (created && picture) await q.run('INSERT INTO unsure_pictures (sha256, bytes) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING', s.sha256, Buffer.from(picture.buffer, picture.byteOffset, picture.byteLength));
      const row = (await q.get<SightingRow>('SELECT * FROM sightings WHERE grp = ? AND member_id = ? AND sha256 = ?', s.group, s.memberId, s.sha256))!;
      return { sighting: toSighting(row), created };
    });
  }

  /**
   * A late match (learned references): the sighting of this photo and member becomes a delivery, once. An
   * open "is this you?" about it is settled by the match (it will not be asked); false when something was
   * sent, or answered, already.
   */
  async recordLateMatch(s: Omit<Sighting, 'seq' | 'state' | 'kind'>): Promise<boolean> {
    return this.db.tx(async (q) => {
      const existing = await q.get<SightingRow>('SELECT * FROM sightings WHERE grp = ? AND member_id = ? AND sha256 = ?', s.group, s.memberId, s.sha256);
      if (existing) {
        if (existing.kind !== 'unsure' || existing.state !== 'open') return false;
        await q.run("UPDATE sightings SET kind = 'delivered', descriptor = ?, box = ?, distance = ?, thumb = ? WHERE seq = ?", JSON.stringify(s.descriptor), JSON.stringify(s.box), s.distance, s.thumb, existing.seq);
        await q.run("DELETE FROM notice_items WHERE sighting = ? AND kind = 'question'", existing.seq);
        return true;
      }
      return (await insertSighting(q, { ...s, kind: 'delivered' })) > 0;
    });
  }

  async sighting(seq: number): Promise<Sighting | undefined> {
    const row = await this.db.get<SightingRow>('SELECT * FROM sightings WHERE seq = ?', seq);
    return row ? toSighting(row) : undefined;
  }

  async findSighting(group: string, memberId: string, sha256: string): Promise<Sighting | undefined> {
    const row = await this.db.get<SightingRow>('SELECT * FROM sightings WHERE grp = ? AND member_id = ? AND sha256 = ?', group, memberId, sha256);
    return row ? toSighting(row) : undefined;
  }

  /** Open unsure sightings (the CLI's `--confirm`), oldest first. */
  async openQuestions(group: string): Promise<Sighting[]> {
    return (await this.db.all<SightingRow>("SELECT * FROM sightings WHERE grp = ? AND kind = 'unsure' AND state = 'open' ORDER BY seq", group)).map(toSighting);
  }

  /**
   * Answers a sighting once: true only for the first answer. `no` and `not_me` make its face a negative
   * example of the member. An answered question's picture goes when no open question needs it.
   */
  async answer(seq: number, state: 'yes' | 'no' | 'not_me', source: string, now = Date.now()): Promise<boolean> {
    return this.db.tx(async (q) => {
      const row = await q.get<SightingRow>('SELECT * FROM sightings WHERE seq = ?', seq);
      if (!row) return false;
      const changed = (await q.run("UPDATE sightings SET state = ? WHERE seq = ? AND (state = 'open' OR (? = 'not_me' AND state = 'yes'))", state, seq, state)) > 0;
      if (!changed) return false;
      if (state !== 'yes') {
        await q.run('INSERT INTO member_negatives (member_id, sha256, descriptor, source, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id, sha256) DO NOTHING', row.member_id, row.sha256, row.descriptor, source, now);
      }
      return true;
    });
  }

  async unsurePicture(sha256: string): Promise<Buffer | undefined> {
    return (await this.db.get<{ bytes: Buffer }>('SELECT bytes FROM unsure_pictures WHERE sha256 = ?', sha256))?.bytes;
  }

  /** Drops a question's picture once no open question needs it (after a yes, it is in the outbox). */
  async dropUnsurePicture(sha256: string): Promise<void> {
    await this.db.run("DELETE FROM unsure_pictures WHERE sha256 = ? AND NOT EXISTS (SELECT 1 FROM sightings WHERE sha256 = ? AND kind = 'unsure' AND state = 'open')", sha256, sha256);
  }

  /**
   * Negative examples of a group's members, in one query (the share pipeline asks for every photo). One learned
   * from an album's `rejected_by_owner` counts for ALBUM_NEGATIVE_TTL_MS only (see there).
   */
  async groupNegatives(group: string, now = Date.now()): Promise<Map<string, number[][]>> {
    const out = new Map<string, number[][]>();
    const rows = await this.db.all<{ member_id: string; descriptor: string }>(
      `SELECT n.member_id, n.descriptor FROM member_negatives n JOIN contacts c ON c.id = n.member_id WHERE c.grp = ? AND ${STILL_NEGATIVE} ORDER BY n.seq`,
      group,
      now - ALBUM_NEGATIVE_TTL_MS,
    );
    for (const r of rows) out.set(r.member_id, [...(out.get(r.member_id) ?? []), JSON.parse(r.descriptor) as number[]]);
    return out;
  }

  /** A member left a group: what was seen of them there (descriptors, thumbnails, open questions) goes. */
  async forgetMember(group: string, memberId: string): Promise<void> {
    await this.db.tx((q) => forgetFaceTraces(q, group, memberId));
  }

  /** Negative examples per member: the faces they said are not them. */
  async negatives(memberIds: string[], now = Date.now()): Promise<Map<string, number[][]>> {
    const out = new Map<string, number[][]>();
    for (const id of memberIds) {
      const rows = await this.db.all<{ descriptor: string }>(`SELECT descriptor FROM member_negatives n WHERE member_id = ? AND ${STILL_NEGATIVE} ORDER BY seq`, id, now - ALBUM_NEGATIVE_TTL_MS);
      if (rows.length > 0) out.set(id, rows.map((r) => JSON.parse(r.descriptor) as number[]));
    }
    return out;
  }

  /**
   * Queues a notice item for a member and makes sure a notice job will take it: one job per batch, due a
   * delay after the batch's first item and no sooner than the mode's interval after the last notice.
   */
  async addNoticeItem(userKey: string, sightingSeq: number, kind: NoticeItem['kind'], timing: NoticeTiming, now = Date.now()): Promise<boolean> {
    return this.db.tx(
      async (q) => {
      const mode = (await q.get<{ mode: NoticeMode }>('SELECT mode FROM notice_settings WHERE user_key = ?', userKey))?.mode ?? 'digest';
      if (mode === 'off') return false;
      const added = (await q.run('INSERT INTO notice_items (user_key, sighting, kind, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_key, sighting, kind) DO NOTHING', userKey, sightingSeq, kind, now)) > 0;
      if (!added) return false;
      const state = await q.get<{ batch: number; last_sent_at: number | null }>('SELECT batch, last_sent_at FROM notice_state WHERE user_key = ?', userKey);
      const batch = state?.batch ?? 0;
      const last = state?.last_sent_at ?? -Infinity;
      const runAt = mode === 'instant' ? now : Math.max(now + timing.delayMs, last + (mode === 'daily' ? DAY_MS : timing.digestIntervalMs));
      await this.jobs.insertIn(q, { id: noticeJobId(userKey, batch), queue: noticeQueue(userKey), kind: 'notice', payload: { userKey, batch }, runAt });
      return true;
      },
      { locks: [noticeLock(userKey)] },
    );
  }

  /**
   * Takes a batch's items (once: a notice job run again after a crash gets the same items); items that
   * arrive afterwards start the next batch, timed from this notice.
   */
  async takeBatch(userKey: string, batch: number, now = Date.now()): Promise<NoticeItem[]> {
    const rows = await this.db.tx(
      async (q) => {
      const state = await q.get<{ batch: number }>('SELECT batch FROM notice_state WHERE user_key = ?', userKey);
      if ((state?.batch ?? 0) === batch) {
        await q.run('UPDATE notice_items SET batch = ? WHERE user_key = ? AND batch IS NULL', batch, userKey);
        await q.run(
          'INSERT INTO notice_state (user_key, batch, last_sent_at) VALUES (?, ?, ?) ON CONFLICT (user_key) DO UPDATE SET batch = excluded.batch, last_sent_at = excluded.last_sent_at',
          userKey,
          batch + 1,
          now,
        );
      }
      return q.all<SightingRow & { item_kind: NoticeItem['kind'] }>(
        'SELECT s.*, i.kind AS item_kind FROM notice_items i JOIN sightings s ON s.seq = i.sighting WHERE i.user_key = ? AND i.batch = ? ORDER BY i.seq',
        userKey,
        batch,
      );
      },
      { locks: [noticeLock(userKey)] },
    );
    return rows.map((r) => ({ kind: r.item_kind, sighting: toSighting(r) }));
  }

  /** A sent batch's items are no longer needed. */
  async dropBatch(userKey: string, batch: number): Promise<void> {
    await this.db.run('DELETE FROM notice_items WHERE user_key = ? AND batch = ?', userKey, batch);
  }

  // ---- album side -------------------------------------------------------------------------------------

  /** A face the account's owner said is not them (album page or a terminal's "not me"). */
  async addRejection(usernameKey: string, sha256: string, descriptor: number[], now = Date.now()): Promise<void> {
    await this.db.run('INSERT INTO account_rejections (username_key, sha256, descriptor, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (username_key, sha256) DO NOTHING', usernameKey, sha256, JSON.stringify(descriptor), now);
  }

  async rejections(usernameKey: string): Promise<number[][]> {
    return (await this.db.all<{ descriptor: string }>('SELECT descriptor FROM account_rejections WHERE username_key = ? ORDER BY seq', usernameKey)).map((r) => JSON.parse(r.descriptor) as number[]);
  }

  /** The owner's rejections for the album page: which photo (its sha256) and when, newest first. */
  async listRejections(usernameKey: string): Promise<Array<{ sha256: string; createdAt: number }>> {
    return (await this.db.all<{ sha256: string; created_at: number }>('SELECT sha256, created_at FROM account_rejections WHERE username_key = ? ORDER BY seq DESC', usernameKey)).map((r) => ({ sha256: r.sha256, createdAt: Number(r.created_at) }));
  }

  /** Undoes one "not me": that face is the owner's again as far as the upload check goes. */
  async removeRejection(usernameKey: string, sha256: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM account_rejections WHERE username_key = ? AND sha256 = ?', usernameKey, sha256)) > 0;
  }
}

/** One sighting per (group, member, photo): the row count says whether this one was new. */
function insertSighting(q: Queryable, s: Omit<Sighting, 'seq' | 'state'>): Promise<number> {
  return q.run(
    `INSERT INTO sightings (grp, member_id, sha256, kind, descriptor, box, distance, filename, thumb, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (grp, member_id, sha256) DO NOTHING`,
    s.group,
    s.memberId,
    s.sha256,
    s.kind,
    JSON.stringify(s.descriptor),
    JSON.stringify(s.box),
    s.distance,
    s.filename,
    s.thumb,
    s.createdAt,
  );
}

/**
 * What the terminal kept of a member's face in a group besides their entry: sightings (descriptor and crop),
 * their notice items, unsure photos nobody is asked about any more, and, once they are in no group, the
 * faces they said were not them. Run in the transaction that removes the entry, by every removal path.
 */
export async function forgetFaceTraces(q: Queryable, group: string, memberId: string): Promise<void> {
  await q.run('DELETE FROM notice_items WHERE user_key = ? AND sighting IN (SELECT seq FROM sightings WHERE grp = ? AND member_id = ?)', memberId, group, memberId);
  await q.run('DELETE FROM sightings WHERE grp = ? AND member_id = ?', group, memberId);
  await q.run("DELETE FROM unsure_pictures WHERE NOT EXISTS (SELECT 1 FROM sightings s WHERE s.sha256 = unsure_pictures.sha256 AND s.kind = 'unsure' AND s.state = 'open')");
  // The faces they rejected matter only while they are in some group.
  if (!(await q.get('SELECT 1 FROM contacts WHERE id = ?', memberId))) await q.run('DELETE FROM member_negatives WHERE member_id = ?', memberId);
}

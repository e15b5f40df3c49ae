import type { Db } from './db.ts';
import { isSealed, type LinkSealer } from './link-seal.ts';

export interface AlbumLink {
  album: string;
  username: string;
  /** Present only for accounts this terminal created: the private album link. */
  token?: string;
  albumUrl?: string;
  /** The account's deletion key (albums that give one): deletes it whatever link its owner holds now. */
  deletionKey?: string;
}

interface LinkRow {
  album: string;
  username: string;
  token: string | null;
  album_url: string | null;
  deletion_key: string | null;
}

/**
 * Per chat user: the album account this terminal made for them; and which reminders were said once. The link's
 * token, URL and deletion key are stored sealed (link-seal.ts): a copy of the database opens no album.
 */
export class MemberRepository {
  constructor(
    private readonly db: Db,
    private readonly sealer: LinkSealer,
  ) {}

  /** Seals what an older version stored in clear. Run once at open; safe to run again. */
  async sealStored(): Promise<number> {
    const rows = await this.db.all<LinkRow & { user_key: string }>('SELECT user_key, album, username, token, album_url, deletion_key FROM member_links');
    let sealed = 0;
    for (const row of rows) {
      const clear = [row.token, row.album_url, row.deletion_key].some((v) => v !== null && !isSealed(v));
      if (!clear) continue;
      const seal = (v: string | null) => (v === null || isSealed(v) ? v : this.sealer.seal(v));
      await this.db.run('UPDATE member_links SET token = ?, album_url = ?, deletion_key = ? WHERE user_key = ?', seal(row.token), seal(row.album_url), seal(row.deletion_key), row.user_key);
      sealed++;
    }
    return sealed;
  }

  async link(userKey: string): Promise<AlbumLink | undefined> {
    const row = await this.db.get<LinkRow>('SELECT album, username, token, album_url, deletion_key FROM member_links WHERE user_key = ?', userKey);
    if (!row) return undefined;
    const open = (v: string) => this.sealer.open(v);
    return {
      album: row.album,
      username: row.username,
      ...(row.token !== null ? { token: open(row.token) } : {}),
      ...(row.album_url !== null ? { albumUrl: open(row.album_url) } : {}),
      ...(row.deletion_key !== null ? { deletionKey: open(row.deletion_key) } : {}),
    };
  }

  async setLink(userKey: string, link: AlbumLink): Promise<void> {
    await this.db.run(
      `INSERT INTO member_links (user_key, album, username, token, album_url, deletion_key) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_key) DO UPDATE SET album = excluded.album, username = excluded.username, token = excluded.token, album_url = excluded.album_url, deletion_key = excluded.deletion_key`,
      userKey,
      link.album,
      link.username,
      link.token !== undefined ? this.sealer.seal(link.token) : null,
      link.albumUrl !== undefined ? this.sealer.seal(link.albumUrl) : null,
      link.deletionKey !== undefined ? this.sealer.seal(link.deletionKey) : null,
    );
  }

  /** Users whose link has a token but no deletion key (made before deletion keys). */
  async withoutDeletionKey(): Promise<string[]> {
    return (await this.db.all<{ user_key: string }>('SELECT user_key FROM member_links WHERE token IS NOT NULL AND deletion_key IS NULL')).map((r) => r.user_key);
  }

  /** Adds a deletion key to a link that has none (one statement: a link changed meanwhile is left as it is). */
  async addDeletionKey(userKey: string, deletionKey: string): Promise<void> {
    await this.db.run('UPDATE member_links SET deletion_key = ? WHERE user_key = ? AND deletion_key IS NULL', this.sealer.seal(deletionKey), userKey);
  }

  async deleteLink(userKey: string): Promise<void> {
    await this.db.run('DELETE FROM member_links WHERE user_key = ?', userKey);
  }

  /** Records that a reminder was given; true only the first time for this (group, member, model). */
  async firstReminder(group: string, contactId: string, model: string): Promise<boolean> {
    return await this.db.run('INSERT INTO reminders (grp, contact_id, model) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', group, contactId, model) > 0;
  }
}

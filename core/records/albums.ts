import type { Box } from '../faces/types.ts';
import type { Db, Queryable } from './db.ts';

/** One reference face of an account (the patent's "preset photo"): its descriptor, not the image. */
export interface Reference {
  id: string;
  /** Descriptor as computed (not normalised). */
  descriptor: number[];
  box: Box;
  /** SHA-256 of the selfie it came from. */
  sha256: string;
  addedAt: string;
  /** Set only when the owner asked to keep the selfie image (stored as selfies/<sha256>.<ext>). */
  keptImageExt?: string;
}

export interface Account {
  username: string;
  createdAt: string;
  /** SHA-256 of the album token: the token itself is never stored, so a leaked database opens no album. */
  tokenHash: string;
  /** SHA-256 of the deletion key the terminal that made the account holds (absent on older accounts). */
  deletionKeyHash?: string;
  /** Which model made the descriptors: a model change makes them incomparable. */
  descriptorModel: string;
  references: Reference[];
}

export interface PhotoRecord {
  /** The photo's id is its SHA-256 (hex): the same bytes are one photo. */
  id: string;
  ext: string;
  mime: string;
  bytes: number;
  width: number;
  height: number;
  receivedAt: string;
  /** When it was taken (EXIF), UTC ISO; albums are listed and grouped by it, by receivedAt without it. */
  takenAt?: string;
  /** Sender's chat group and terminal, when the packet said so. */
  group?: string;
  terminal?: string;
  /** The group's name as its members know it (a chat's title), when the packet said so. */
  groupName?: string;
  /** The face that matched the owner, original image pixels, and its cosine distance to the nearest reference. */
  faceBox: Box;
  distance: number;
}

/** A position in an album's newest-first listing; `receivedAt` holds the listing's time (takenAt ?? receivedAt). */
export interface PhotoCursor {
  receivedAt: string;
  id: string;
}

interface AccountRow {
  username_key: string;
  username: string;
  created_at: string;
  token_hash: string;
  descriptor_model: string;
  deletion_key_hash?: string | null;
}

interface ReferenceRow {
  id: string;
  descriptor: string;
  box: string;
  sha256: string;
  added_at: string;
  kept_image_ext: string | null;
}

type PhotoRow = Pick<PhotoRecord, 'id' | 'ext' | 'mime' | 'bytes' | 'width' | 'height' | 'distance'> & {
  received_at: string;
  grp: string | null;
  terminal: string | null;
  face_box: string;
  group_name?: string | null;
  taken_at?: string | null;
};

/** Usernames are matched case-insensitively (one key, one folder), shown as registered. */
export const accountKey = (username: string) => username.toLowerCase();

/** The album server's accounts, their reference faces and their photos: one row each. */
export class AlbumRepository {
  constructor(private readonly db: Db) {}

  async account(username: string): Promise<Account | undefined> {
    return this.#account(this.db, await this.db.get<AccountRow>('SELECT * FROM accounts WHERE username_key = ?', accountKey(username)));
  }

  async accountByTokenHash(tokenHash: string): Promise<Account | undefined> {
    return this.#account(this.db, await this.db.get<AccountRow>('SELECT * FROM accounts WHERE token_hash = ?', tokenHash));
  }

  /** False when the name is taken. */
  async createAccount(account: Account): Promise<boolean> {
    return this.db.tx(
      async (q) => {
        const created =
          (await q.run(
            'INSERT INTO accounts (username_key, username, created_at, token_hash, descriptor_model, deletion_key_hash) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (username_key) DO NOTHING',
            accountKey(account.username),
            account.username,
            account.createdAt,
            account.tokenHash,
            account.descriptorModel,
            account.deletionKeyHash ?? null,
          )) > 0;
        if (created) await this.#insertReferences(q, account.username, account.references);
        return created;
      },
      { locks: [lockKey(account.username)] },
    );
  }

  async addReferences(username: string, references: Reference[]): Promise<Account | undefined> {
    const exists = await this.db.tx(
      async (q) => {
        if (!(await q.get('SELECT 1 FROM accounts WHERE username_key = ?', accountKey(username)))) return false;
        await this.#insertReferences(q, username, references);
        return true;
      },
      { locks: [lockKey(username)] },
    );
    return exists ? this.account(username) : undefined;
  }

  async setTokenHash(username: string, tokenHash: string): Promise<Account | undefined> {
    await this.db.run('UPDATE accounts SET token_hash = ? WHERE username_key = ?', tokenHash, accountKey(username));
    return this.account(username);
  }

  /** Gives an account made before deletion keys its key; false when it has one already (or is gone). */
  async setDeletionKeyHash(username: string, hash: string): Promise<boolean> {
    return (await this.db.run('UPDATE accounts SET deletion_key_hash = ? WHERE username_key = ? AND deletion_key_hash IS NULL', hash, accountKey(username))) > 0;
  }

  async deleteReferences(username: string): Promise<void> {
    await this.db.run('DELETE FROM account_references WHERE username_key = ?', accountKey(username));
  }

  /** The account, its references, its photo records and the faces its owner rejected go in one transaction. */
  async deleteAccount(username: string): Promise<void> {
    const key = accountKey(username);
    await this.db.tx(
      async (q) => {
        await q.run('DELETE FROM accounts WHERE username_key = ?', key);
        await q.run('DELETE FROM account_references WHERE username_key = ?', key);
        await q.run('DELETE FROM album_photos WHERE username_key = ?', key);
        // A new account under the same name must not inherit a stranger's "not me" faces.
        await q.run('DELETE FROM account_rejections WHERE username_key = ?', key);
      },
      { locks: [lockKey(username)] },
    );
  }

  /** Records a signed upload's one-time key; false when it was seen before (a replay). Drops expired keys. */
  async rememberNonce(nonce: string, expiresAt: number, now = Date.now()): Promise<boolean> {
    await this.db.run('DELETE FROM upload_nonces WHERE expires_at < ?', now);
    return (await this.db.run('INSERT INTO upload_nonces (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING', nonce, expiresAt)) > 0;
  }

  /** Newest first (ties by id), from after `cursor`; at most `limit` (all when absent). */
  async listPhotos(username: string, page: { cursor?: PhotoCursor; limit?: number } = {}): Promise<PhotoRecord[]> {
    const key = accountKey(username);
    const limit = page.limit !== undefined ? ' LIMIT ?' : '';
    const limitParams = page.limit !== undefined ? [page.limit] : [];
    const rows = page.cursor
      ? await this.db.all<PhotoRow>(
          `SELECT * FROM album_photos WHERE username_key = ? AND (${SHOWN_AT} < ? OR (${SHOWN_AT} = ? AND id > ?)) ORDER BY ${SHOWN_AT} DESC, id${limit}`,
          key,
          page.cursor.receivedAt,
          page.cursor.receivedAt,
          page.cursor.id,
          ...limitParams,
        )
      : await this.db.all<PhotoRow>(`SELECT * FROM album_photos WHERE username_key = ? ORDER BY ${SHOWN_AT} DESC, id${limit}`, key, ...limitParams);
    return rows.map(toPhoto);
  }

  async countPhotos(username: string): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM album_photos WHERE username_key = ?', accountKey(username)))!.n;
  }

  async photo(username: string, id: string): Promise<PhotoRecord | undefined> {
    const row = await this.db.get<PhotoRow>('SELECT * FROM album_photos WHERE username_key = ? AND id = ?', accountKey(username), id);
    return row ? toPhoto(row) : undefined;
  }

  /** Adds a photo unless one with the same id is there. 'gone' when the account was deleted meanwhile. */
  async addPhoto(username: string, photo: PhotoRecord): Promise<{ outcome: 'stored' | 'duplicate' | 'gone'; photo: PhotoRecord }> {
    const key = accountKey(username);
    return this.db.tx(
      async (q) => {
        if (!(await q.get('SELECT 1 FROM accounts WHERE username_key = ?', key))) return { outcome: 'gone' as const, photo };
        const inserted =
          (await q.run(
            `INSERT INTO album_photos (username_key, id, ext, mime, bytes, width, height, received_at, grp, terminal, face_box, distance)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username_key, id) DO NOTHING`,
            key,
            photo.id,
            photo.ext,
            photo.mime,
            photo.bytes,
            photo.width,
            photo.height,
            photo.receivedAt,
            photo.group ?? null,
            photo.terminal ?? null,
            JSON.stringify(photo.faceBox),
            photo.distance,
          )) > 0;
        if (inserted && photo.groupName) await q.run('UPDATE album_photos SET group_name = ? WHERE username_key = ? AND id = ?', photo.groupName, key, photo.id);
        if (inserted && photo.takenAt) await q.run('UPDATE album_photos SET taken_at = ? WHERE username_key = ? AND id = ?', photo.takenAt, key, photo.id);
        if (inserted) return { outcome: 'stored' as const, photo };
        return { outcome: 'duplicate' as const, photo: toPhoto((await q.get<PhotoRow>('SELECT * FROM album_photos WHERE username_key = ? AND id = ?', key, photo.id))!) };
      },
      { locks: [lockKey(username)] },
    );
  }

  async removePhoto(username: string, id: string): Promise<PhotoRecord | undefined> {
    return this.db.tx(
      async (q) => {
        const row = await q.get<PhotoRow>('SELECT * FROM album_photos WHERE username_key = ? AND id = ?', accountKey(username), id);
        if (!row) return undefined;
        await q.run('DELETE FROM album_photos WHERE username_key = ? AND id = ?', accountKey(username), id);
        return toPhoto(row);
      },
      { locks: [lockKey(username)] },
    );
  }

  async #insertReferences(q: Queryable, username: string, references: Reference[]): Promise<void> {
    for (const r of references) {
      await q.run(
        'INSERT INTO account_references (id, username_key, descriptor, box, sha256, added_at, kept_image_ext) VALUES (?, ?, ?, ?, ?, ?, ?)',
        r.id,
        accountKey(username),
        JSON.stringify(r.descriptor),
        JSON.stringify(r.box),
        r.sha256,
        r.addedAt,
        r.keptImageExt ?? null,
      );
    }
  }

  async #account(q: Queryable, row: AccountRow | undefined): Promise<Account | undefined> {
    if (!row) return undefined;
    const references = (await q.all<ReferenceRow>('SELECT * FROM account_references WHERE username_key = ? ORDER BY seq', row.username_key)).map((r) => ({
      id: r.id,
      descriptor: JSON.parse(r.descriptor) as number[],
      box: JSON.parse(r.box) as Box,
      sha256: r.sha256,
      addedAt: r.added_at,
      ...(r.kept_image_ext !== null ? { keptImageExt: r.kept_image_ext } : {}),
    }));
    return {
      username: row.username,
      createdAt: row.created_at,
      tokenHash: row.token_hash,
      ...(row.deletion_key_hash ? { deletionKeyHash: row.deletion_key_hash } : {}),
      descriptorModel: row.descriptor_model,
      references,
    };
  }
}

/** The time an album is listed by (the index album_photos_shown): taken, else received. */
const SHOWN_AT = 'COALESCE(taken_at, received_at)';

/** One account's changes run one at a time (a photo is not added to an account being deleted). */
const lockKey = (username: string) => `album:${accountKey(username)}`;

function toPhoto(row: PhotoRow): PhotoRecord {
  return {
    id: row.id,
    ext: row.ext,
    mime: row.mime,
    bytes: row.bytes,
    width: row.width,
    height: row.height,
    receivedAt: row.received_at,
    ...(row.taken_at ? { takenAt: row.taken_at } : {}),
    ...(row.grp !== null ? { group: row.grp } : {}),
    ...(row.terminal !== null ? { terminal: row.terminal } : {}),
    ...(row.group_name ? { groupName: row.group_name } : {}),
    faceBox: JSON.parse(row.face_box) as Box,
    distance: row.distance,
  };
}

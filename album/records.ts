import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Account, PhotoCursor, PhotoRecord, Records, Reference } from '../core/records/index.ts';

export { accountKey, type Account, type PhotoCursor, type PhotoRecord, type Reference } from '../core/records/index.ts';

/** A fresh album token: 192 random bits, URL-safe (32 characters). */
export const newToken = () => randomBytes(24).toString('base64url');
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Accounts, tokens and photo metadata: one row each in the records database (core/records). */
export class AlbumRecords {
  constructor(private readonly albums: Records['albums']) {}

  getAccount(username: string): Promise<Account | undefined> {
    return this.albums.account(username);
  }

  /** The account a token opens, or undefined (unknown, rotated or deleted: indistinguishable). */
  async accountForToken(token: string): Promise<Account | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    return this.albums.accountByTokenHash(hashToken(token));
  }

  /**
   * The account a deletion key opens: 'unknown' when no account has the name (it is gone), 'refused' when the
   * key is missing or wrong (or the account has none). Rotating the album link leaves the key as it was.
   */
  async accountForDeletionKey(username: string, key: string | undefined): Promise<Account | 'unknown' | 'refused'> {
    const account = await this.albums.account(username);
    if (!account) return 'unknown';
    if (!key || !TOKEN_PATTERN.test(key) || !account.deletionKeyHash) return 'refused';
    const given = Buffer.from(hashToken(key), 'hex');
    return timingSafeEqual(given, Buffer.from(account.deletionKeyHash, 'hex')) ? account : 'refused';
  }

  /** A deletion key for an account made before they existed; false when it has one. */
  setDeletionKeyHash(username: string, hash: string): Promise<boolean> {
    return this.albums.setDeletionKeyHash(username, hash);
  }

  /** False when this signed upload's key was seen before its expiry (a replay). */
  rememberNonce(nonce: string, expiresAt: number): Promise<boolean> {
    return this.albums.rememberNonce(nonce, expiresAt);
  }

  /** Creates the account unless the name is taken; returns false when taken. */
  createAccount(account: Account): Promise<boolean> {
    return this.albums.createAccount(account);
  }

  addReferences(username: string, references: Reference[]): Promise<Account | undefined> {
    return this.albums.addReferences(username, references);
  }

  /** Removes every reference face of the account (its photos stay). */
  deleteReferences(username: string): Promise<void> {
    return this.albums.deleteReferences(username);
  }

  /** Replaces the account's token; the old one stops working at once. */
  rotateToken(username: string, newTokenHash: string): Promise<Account | undefined> {
    return this.albums.setTokenHash(username, newTokenHash);
  }

  /** Removes the account, its references and its photo records at once (the link dies with them). */
  deleteAccount(account: Account): Promise<void> {
    return this.albums.deleteAccount(account.username);
  }

  /** Newest first; a page from after `cursor` when given. */
  listPhotos(username: string, page: { cursor?: PhotoCursor; limit?: number } = {}): Promise<PhotoRecord[]> {
    return this.albums.listPhotos(username, page);
  }

  countPhotos(username: string): Promise<number> {
    return this.albums.countPhotos(username);
  }

  getPhoto(username: string, id: string): Promise<PhotoRecord | undefined> {
    return this.albums.photo(username, id);
  }

  /** Adds a photo unless one with the same id is there. 'gone' when the account was deleted meanwhile. */
  addPhoto(username: string, photo: PhotoRecord): Promise<{ outcome: 'stored' | 'duplicate' | 'gone'; photo: PhotoRecord }> {
    return this.albums.addPhoto(username, photo);
  }

  removePhoto(username: string, id: string): Promise<PhotoRecord | undefined> {
    return this.albums.removePhoto(username, id);
  }
}

import { createHash, randomBytes } from 'node:crypto';
import type { Box } from '../core/faces/index.ts';
import type { Store } from '../core/store.ts';

/** One reference face of an account (the patent's "preset photo"): its descriptor, not the image. */
export interface Reference {
  id: string;
  /** face-api descriptor as computed (not normalised). */
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
  /** Sender's chat group and terminal, when the packet said so. */
  group?: string;
  terminal?: string;
  /** The face that matched the owner, original image pixels, and its cosine distance to the nearest reference. */
  faceBox: Box;
  distance: number;
}

interface AlbumIndex {
  photos: PhotoRecord[];
}

/** Usernames are matched case-insensitively (one key, one folder), shown as registered. */
export const accountKey = (username: string) => username.toLowerCase();

/** A fresh album token: 192 random bits, URL-safe (32 characters). */
export const newToken = () => randomBytes(24).toString('base64url');
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const keys = {
  account: (username: string) => `account:${accountKey(username)}`,
  album: (username: string) => `album:${accountKey(username)}`,
  token: (tokenHash: string) => `token:${tokenHash}`,
};

/** Accounts, tokens and photo metadata in the keyv store (core/store.ts). */
export class AlbumRecords {
  constructor(private readonly store: Store) {}

  getAccount(username: string): Promise<Account | undefined> {
    return this.store.get<Account>(keys.account(username));
  }

  /** The account a token opens, or undefined (unknown, rotated or deleted: indistinguishable). */
  async accountForToken(token: string): Promise<Account | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const tokenHash = hashToken(token);
    const username = await this.store.get<string>(keys.token(tokenHash));
    if (username === undefined) return undefined;
    const account = await this.getAccount(username);
    // A token mapping left behind by an interrupted rotation or deletion opens nothing.
    return account?.tokenHash === tokenHash ? account : undefined;
  }

  /**
   * Creates the account unless the name is taken; returns false when taken.
   * The token mapping is written first: a crash in between leaves a dead mapping, never an account without a link.
   */
  async createAccount(account: Account): Promise<boolean> {
    let created = false;
    const key = keys.account(account.username);
    if (await this.store.get(key)) return false;
    await this.store.set(keys.token(account.tokenHash), account.username);
    await this.store.update<Account>(key, (current) => {
      if (current) return current;
      created = true;
      return account;
    });
    if (!created) {
      await this.store.delete(keys.token(account.tokenHash));
      return false;
    }
    await this.store.set<AlbumIndex>(keys.album(account.username), { photos: [] });
    return true;
  }

  async addReferences(username: string, references: Reference[]): Promise<Account | undefined> {
    return this.store.update<Account>(keys.account(username), (current) =>
      current ? { ...current, references: [...current.references, ...references] } : undefined,
    );
  }

  /** Replaces the account's token; the old one stops working at once. */
  async rotateToken(username: string, newTokenHash: string): Promise<Account | undefined> {
    const before = await this.getAccount(username);
    if (!before) return undefined;
    await this.store.set(keys.token(newTokenHash), before.username);
    const after = await this.store.update<Account>(keys.account(username), (current) =>
      current ? { ...current, tokenHash: newTokenHash } : undefined,
    );
    if (after) await this.store.delete(keys.token(before.tokenHash));
    return after;
  }

  /** Removes the account's records: the link dies first, then the account, then its photo list. */
  async deleteAccount(account: Account): Promise<void> {
    await this.store.delete(keys.token(account.tokenHash));
    await this.store.delete(keys.account(account.username));
    await this.store.delete(keys.album(account.username));
  }

  /** Newest first. */
  async listPhotos(username: string): Promise<PhotoRecord[]> {
    const index = await this.store.get<AlbumIndex>(keys.album(username));
    return [...(index?.photos ?? [])].sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || a.id.localeCompare(b.id));
  }

  async getPhoto(username: string, id: string): Promise<PhotoRecord | undefined> {
    const index = await this.store.get<AlbumIndex>(keys.album(username));
    return index?.photos.find((p) => p.id === id);
  }

  /** Adds a photo unless one with the same id is there. 'gone' when the account was deleted meanwhile. */
  async addPhoto(username: string, photo: PhotoRecord): Promise<{ outcome: 'stored' | 'duplicate' | 'gone'; photo: PhotoRecord }> {
    let result: { outcome: 'stored' | 'duplicate' | 'gone'; photo: PhotoRecord } = { outcome: 'gone', photo };
    await this.store.update<AlbumIndex>(keys.album(username), (current) => {
      if (!current) return undefined;
      const existing = current.photos.find((p) => p.id === photo.id);
      if (existing) {
        result = { outcome: 'duplicate', photo: existing };
        return current;
      }
      result = { outcome: 'stored', photo };
      return { photos: [...current.photos, photo] };
    });
    return result;
  }

  async removePhoto(username: string, id: string): Promise<PhotoRecord | undefined> {
    let removed: PhotoRecord | undefined;
    await this.store.update<AlbumIndex>(keys.album(username), (current) => {
      if (!current) return undefined;
      removed = current.photos.find((p) => p.id === id);
      return removed ? { photos: current.photos.filter((p) => p.id !== id) } : current;
    });
    return removed;
  }
}

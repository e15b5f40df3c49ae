import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { MAX_INPUT_PIXELS } from '../core/faces/decode.ts';
import { PHOTO_ID_PATTERN, USERNAME_PATTERN } from './checks.ts';
import { stripLocation } from './location.ts';
import { accountKey } from './records.ts';

/** Temp files start with this; a crash can leave some behind, and the next start removes them. */
export const TEMP_PREFIX = '.tmp-';
export const THUMBNAIL_SIDE = 480;

/**
 * Photo files under `<DATA_DIR>/albums/<username>/`: originals as `<sha256>.<ext>` (content-addressed:
 * the same bytes are one file), thumbnails as `thumbs/<sha256>.jpg`, kept selfies as `selfies/<sha256>.<ext>`.
 * Every write is temp file + fsync + rename + directory fsync, so a file under its final name is always
 * complete, even after a kill or a power cut. Every path is built from validated parts and checked to stay
 * under the root.
 */
export class PhotoStorage {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir, 'albums');
  }

  albumDir(username: string): string {
    if (!USERNAME_PATTERN.test(username) || /^\.+$/.test(username)) throw new Error('storage: invalid username');
    return this.#inside(path.join(this.root, accountKey(username)));
  }

  photoPath(username: string, id: string, ext: string): string {
    return this.#inside(path.join(this.albumDir(username), `${checkId(id)}.${checkExt(ext)}`));
  }

  thumbnailPath(username: string, id: string): string {
    return this.#inside(path.join(this.albumDir(username), 'thumbs', `${checkId(id)}.jpg`));
  }

  selfiePath(username: string, id: string, ext: string): string {
    return this.#inside(path.join(this.albumDir(username), 'selfies', `${checkId(id)}.${checkExt(ext)}`));
  }

  /** Writes the bytes as given (the upload route has removed their location), then a thumbnail; both durable when this resolves. */
  async storePhoto(username: string, id: string, ext: string, bytes: Uint8Array): Promise<void> {
    // Content-addressed: a file already under this name holds these very bytes (writes are atomic).
    const original = this.photoPath(username, id, ext);
    if (!fs.existsSync(original)) await writeFileAtomic(original, bytes);
    const thumbnail = this.thumbnailPath(username, id);
    if (!fs.existsSync(thumbnail)) await writeFileAtomic(thumbnail, await makeThumbnail(bytes));
  }

  async storeSelfie(username: string, id: string, ext: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(this.selfiePath(username, id, ext), bytes);
  }

  async deleteSelfie(username: string, id: string, ext: string): Promise<void> {
    await fsp.rm(this.selfiePath(username, id, ext), { force: true });
  }

  async deletePhoto(username: string, id: string, ext: string): Promise<void> {
    await fsp.rm(this.photoPath(username, id, ext), { force: true });
    await fsp.rm(this.thumbnailPath(username, id), { force: true });
  }

  async deleteAlbum(username: string): Promise<void> {
    await fsp.rm(this.albumDir(username), { recursive: true, force: true });
  }

  /** Removes temp files a killed process left behind. Run at start, before any upload. */
  async sweepTemporaryFiles(): Promise<string[]> {
    if (!fs.existsSync(this.root)) return [];
    const entries = (await fsp.readdir(this.root, { recursive: true })) as string[];
    const stale = entries.filter((e) => path.basename(e).startsWith(TEMP_PREFIX));
    await Promise.all(stale.map((e) => fsp.rm(path.join(this.root, e), { force: true })));
    return stale;
  }

  /**
   * Removes files no record names (a write that failed half way, a deletion a crash interrupted): originals,
   * thumbnails and kept selfies, and whole folders of accounts that no longer exist. Only files older than
   * `minAgeMs`, so an upload another process is finishing right now keeps its files. Run at start.
   */
  async sweepOrphans(known: (usernameKey: string) => Promise<Set<string> | undefined>, minAgeMs = 10 * 60_000): Promise<string[]> {
    if (!fs.existsSync(this.root)) return [];
    const removed: string[] = [];
    const cutoff = Date.now() - minAgeMs;
    for (const entry of await fsp.readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || !USERNAME_PATTERN.test(entry.name)) continue;
      const dir = path.join(this.root, entry.name);
      const names = await known(entry.name);
      for (const file of (await fsp.readdir(dir, { recursive: true })) as string[]) {
        const full = path.join(dir, file);
        const stat = await fsp.stat(full).catch(() => undefined);
        if (!stat?.isFile() || stat.mtimeMs > cutoff) continue;
        const id = path.basename(file).split('.')[0] ?? '';
        if (names?.has(id)) continue;
        await fsp.rm(full, { force: true });
        removed.push(path.join(entry.name, file));
      }
    }
    return removed;
  }

  /**
   * Photos and kept selfies stored before the album removed location at upload: each JPEG, PNG and WebP
   * original is cleaned in place (same size, same name, so its record stays true). One file at a time, atomic
   * writes; a file whose metadata cannot be walked is left as it is and named in `damaged`.
   */
  async stripStoredLocations(): Promise<{ checked: number; stripped: string[]; damaged: string[] }> {
    const result = { checked: 0, stripped: [] as string[], damaged: [] as string[] };
    if (!fs.existsSync(this.root)) return result;
    const formats: Record<string, string> = { jpg: 'jpeg', png: 'png', webp: 'webp' };
    for (const entry of await fsp.readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || !USERNAME_PATTERN.test(entry.name)) continue;
      for (const sub of ['', 'selfies']) {
        const dir = path.join(this.root, entry.name, sub);
        for (const file of await fsp.readdir(dir).catch(() => [] as string[])) {
          const format = formats[path.extname(file).slice(1)];
          if (!format || file.startsWith(TEMP_PREFIX)) continue;
          const full = this.#inside(path.join(dir, file));
          const bytes = await fsp.readFile(full).catch(() => undefined);
          if (!bytes) continue; // deleted meanwhile
          result.checked++;
          const cleaned = stripLocation(bytes, format);
          if (cleaned.kind === 'damaged') result.damaged.push(path.join(entry.name, sub, file));
          if (cleaned.kind !== 'stripped') continue;
          await writeFileAtomic(full, cleaned.bytes);
          result.stripped.push(path.join(entry.name, sub, file));
        }
      }
    }
    return result;
  }

  #inside(p: string): string {
    const resolved = path.resolve(p);
    if (!resolved.startsWith(this.root + path.sep)) throw new Error('storage: path escapes the albums folder');
    return resolved;
  }
}

function checkId(id: string): string {
  if (!PHOTO_ID_PATTERN.test(id)) throw new Error('storage: invalid photo id');
  return id;
}

function checkExt(ext: string): string {
  if (!/^[a-z0-9]{1,5}$/.test(ext)) throw new Error('storage: invalid extension');
  return ext;
}

/** temp file in the same folder -> write -> fsync -> rename over the target -> fsync the folder. */
export async function writeFileAtomic(target: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  await fsp.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`);
  const handle = await fsp.open(temp, 'wx', 0o640);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fsp.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fsp.rename(temp, target);
  } catch (error) {
    await fsp.rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

/** A JPEG at most THUMBNAIL_SIDE px on its longer side, EXIF orientation applied. */
export async function makeThumbnail(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, animated: false })
    .rotate()
    .resize({ width: THUMBNAIL_SIDE, height: THUMBNAIL_SIDE, fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 78, mozjpeg: true })
    .toBuffer();
}

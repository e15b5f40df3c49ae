import sharp, { type Metadata } from 'sharp';
import { isHeic, MAX_INPUT_PIXELS } from '../core/faces/decode.ts';
import { ImageError, type Analysis, type Box } from '../core/faces/index.ts';
import { cosineDistance, normalize } from '../core/match/index.ts';
import { AlbumError } from './errors.ts';
import { exifTakenAt } from './exif.ts';
import type { Account } from './records.ts';

/** 1-64 letters, digits, `_`, `-`, `.`: safe as a folder name on every filesystem, and never a path. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The username, or an invalid_username error: '.', '..' (and any all-dots name, which some filesystems
 * trim to nothing), slashes, unicode look-alikes and empty names never pass.
 */
export function parseUsername(value: unknown): string {
  if (typeof value !== 'string' || !USERNAME_PATTERN.test(value) || /^\.+$/.test(value)) {
    throw new AlbumError('invalid_username');
  }
  return value;
}

export const PHOTO_ID_PATTERN = /^[0-9a-f]{64}$/;

export interface ImageInfo {
  format: string;
  ext: string;
  mime: string;
  width: number;
  height: number;
  /** EXIF DateTimeOriginal as UTC ISO, when the photo has one. */
  takenAt?: string;
}

const FORMATS: Record<string, { ext: string; mime: string }> = {
  jpeg: { ext: 'jpg', mime: 'image/jpeg' },
  png: { ext: 'png', mime: 'image/png' },
  webp: { ext: 'webp', mime: 'image/webp' },
  gif: { ext: 'gif', mime: 'image/gif' },
  tiff: { ext: 'tif', mime: 'image/tiff' },
  avif: { ext: 'avif', mime: 'image/avif' },
  heic: { ext: 'heic', mime: 'image/heic' },
};

export const mimeOfExt = (ext: string) => Object.values(FORMATS).find((f) => f.ext === ext)?.mime ?? 'application/octet-stream';

/** Album default for MAX_UPLOAD_PIXELS: room for a 48 MP phone photo, well below core/faces' 80 MP. */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/**
 * Above this many pixels a picture must carry at least one byte per BOMB_PIXELS_PER_BYTE pixels: a camera's
 * JPEG of 16 MP or more is megabytes, an all-zero PNG of 79 MP is 226 KiB (a decompression bomb: seconds of
 * a face worker and hundreds of MB to decode nothing).
 */
const BOMB_CHECK_PIXELS = 16_000_000;
const BOMB_PIXELS_PER_BYTE = 256;

/**
 * What the bytes are, from their header alone (the name and the declared type are ignored).
 * Cheap: no pixel is decoded. Refuses empty files, non-images, formats a photo never comes in
 * (SVG, PDF: renderers, not pictures) and pixel bombs: more than `maxPixels` (MAX_UPLOAD_PIXELS), or a
 * large picture compressed far beyond what a photo compresses to.
 */
export async function inspectImage(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<ImageInfo> {
  if (bytes.byteLength === 0) throw new AlbumError('not_an_image', 'The file is empty.');
  if (isHeic(bytes)) throw new AlbumError('not_an_image', new ImageError('heic_unsupported').message);
  let meta: Metadata;
  try {
    // Header only: the pixel bound below gives a clear answer where sharp's own limit would only say "error".
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new AlbumError('not_an_image', undefined, { cause: error });
  }
  let format = meta.format as string;
  if (format === 'heif') format = meta.compression === 'av1' ? 'avif' : 'heic';
  const known = FORMATS[format];
  if (!known || !meta.width || !meta.height) throw new AlbumError('not_an_image');
  const pixels = meta.width * meta.height;
  if (pixels > Math.min(maxPixels, MAX_INPUT_PIXELS)) {
    throw new AlbumError('image_too_large', `The image claims ${meta.width}x${meta.height} pixels; the limit is ${Math.min(maxPixels, MAX_INPUT_PIXELS) / 1e6} megapixels.`);
  }
  if (pixels > BOMB_CHECK_PIXELS && bytes.byteLength * BOMB_PIXELS_PER_BYTE < pixels) {
    throw new AlbumError('image_too_large', `The image claims ${meta.width}x${meta.height} pixels in only ${bytes.byteLength} bytes: no photo compresses that far, so it is not decoded.`);
  }
  const takenAt = exifTakenAt(meta.exif);
  return { format, ...known, width: meta.width, height: meta.height, ...(takenAt ? { takenAt } : {}) };
}

export type Verification =
  | { kind: 'match'; distance: number; box: Box }
  | { kind: 'rejected'; distance: number }
  | { kind: 'no_match'; distance: number }
  | { kind: 'model_mismatch' };

/**
 * Does this picture hold the account's owner? Verification, not identification: the minimum cosine
 * distance between any face of the picture and any reference descriptor (both L2-normalised), accepted
 * when below `threshold` (ALBUM_VERIFY_THRESHOLD, default MAX_MATCH_DISTANCE = 0.62: on the bbt fixture owners'
 * group-photo faces lie at 0.19-0.60 from their first selfie, other people's faces at 0.74 and above).
 */
export function verifyFaceAgainstAccount(
  analysis: Pick<Analysis, 'faces' | 'descriptorModel'>,
  account: Pick<Account, 'references' | 'descriptorModel'>,
  threshold: number,
): Verification {
  if (analysis.descriptorModel !== account.descriptorModel) return { kind: 'model_mismatch' };
  const references = account.references.map((r) => normalize(r.descriptor));
  let best: { distance: number; box: Box } | undefined;
  for (const face of analysis.faces) {
    const query = normalize(face.descriptor);
    for (const reference of references) {
      const distance = cosineDistance(query, reference);
      if (!best || distance < best.distance) best = { distance, box: face.box };
    }
  }
  if (best && best.distance < threshold) return { kind: 'match', distance: best.distance, box: best.box };
  return { kind: 'no_match', distance: best?.distance ?? Infinity };
}

/**
 * Verification with the owner's "not me" faces: a face counts for the owner only when it is nearer to one of
 * their references than to every face they rejected (one nearest neighbour, labelled "not them"). A picture
 * whose only verifying faces are vetoed is `rejected`; the rest is verifyFaceAgainstAccount.
 */
export function verifyWithRejections(
  analysis: Pick<Analysis, 'faces' | 'descriptorModel'>,
  account: Pick<Account, 'references' | 'descriptorModel'>,
  rejections: number[][],
  threshold: number,
): Verification {
  const plain = verifyFaceAgainstAccount(analysis, account, threshold);
  if (plain.kind !== 'match' || rejections.length === 0) return plain;
  const references = account.references.map((r) => normalize(r.descriptor));
  const negatives = rejections.map((d) => normalize(d));
  let best: { distance: number; box: Box } | undefined;
  for (const face of analysis.faces) {
    const query = normalize(face.descriptor);
    const own = Math.min(...references.map((r) => cosineDistance(query, r)));
    const vetoed = Math.min(...negatives.map((n) => cosineDistance(query, n)));
    if (own < threshold && own < vetoed && (!best || own < best.distance)) best = { distance: own, box: face.box };
  }
  return best ? { kind: 'match', ...best } : { kind: 'rejected', distance: plain.distance };
}

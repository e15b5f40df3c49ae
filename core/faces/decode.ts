import sharp from 'sharp';
import { ImageError } from './errors.ts';

/** Hard bound on decoded pixels: a 50000x50000 "decompression bomb" is refused from its header alone. */
export const MAX_INPUT_PIXELS = 80_000_000;
/** Longest side analysed. SSD sees 512x512 anyway; faces are cropped from this resolution for descriptors. */
export const ANALYSIS_MAX_SIDE = 4096;

export interface DecodedImage {
  /** RGB, 3 bytes per pixel, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
  /** Size of the original after EXIF orientation. */
  originalWidth: number;
  originalHeight: number;
  /** originalWidth / width (>= 1). */
  scale: number;
}

sharp.cache(false); // each photo is decoded once; libvips' cache would only hold memory

/**
 * Decodes any common format to RGB with EXIF orientation applied, alpha flattened onto white,
 * CMYK/grayscale converted, first frame of animations, downscaled to `maxSide`.
 */
export async function decodeImage(bytes: Uint8Array, maxSide = ANALYSIS_MAX_SIDE): Promise<DecodedImage> {
  if (bytes.byteLength === 0) throw new ImageError('empty');
  if (isHeic(bytes)) throw new ImageError('heic_unsupported');
  try {
    const input = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'truncated', sequentialRead: true });
    const meta = await input.metadata();
    if (!meta.width || !meta.height) throw new ImageError('not_an_image');
    const swap = (meta.orientation ?? 1) >= 5;
    const originalWidth = swap ? meta.height : meta.width;
    const originalHeight = swap ? meta.width : meta.height;
    const { data, info } = await input
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const rgb = info.channels === 3 ? data : toRgb(data, info.channels);
    return {
      data: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength),
      width: info.width,
      height: info.height,
      originalWidth,
      originalHeight,
      scale: originalWidth / info.width,
    };
  } catch (error) {
    throw toImageError(error);
  }
}

/** HEVC-coded HEIF brands (an ISO-BMFF `ftyp` box): sharp's prebuilt libheif decodes AVIF only, not these. */
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);

/** True for HEIC (an iPhone's photos), read from the file's `ftyp` box, never from its name. */
export function isHeic(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 12) return false;
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  return ascii(4, 8) === 'ftyp' && HEIC_BRANDS.has(ascii(8, 12));
}

function toRgb(data: Buffer, channels: number): Buffer {
  const pixels = data.length / channels;
  const out = Buffer.alloc(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const g = data[i * channels] ?? 0;
    out[i * 3] = g;
    out[i * 3 + 1] = channels >= 3 ? (data[i * channels + 1] ?? g) : g;
    out[i * 3 + 2] = channels >= 3 ? (data[i * channels + 2] ?? g) : g;
  }
  return out;
}

// sharp reports failures only as message text, so this is the one place that reads it.
function toImageError(error: unknown): ImageError {
  if (error instanceof ImageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit|exceeds/i.test(message)) return new ImageError('too_large', { cause: error });
  if (/unsupported image format|bad seek|not a known file format/i.test(message)) return new ImageError('not_an_image', { cause: error });
  return new ImageError('corrupt', { cause: error, detail: message.split('\n')[0]?.slice(0, 120) ?? '' });
}

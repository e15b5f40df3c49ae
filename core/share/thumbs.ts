import { createCanvas, loadImage } from 'canvas';
import sharp from 'sharp';
import type { Box } from '../faces/types.ts';

/** A small JPEG of the whole photo (EXIF orientation applied), longer side `side` px: a notice's preview. */
export async function photoThumbnail(picture: Uint8Array, side = 320): Promise<Buffer> {
  return sharp(picture, { limitInputPixels: 80e6 }).rotate().resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer();
}

/**
 * The face's crop from the group photo, with room around it (half a face each side), at most `side` px:
 * what "is this you?" shows. Boxes are in oriented pixels, like the analysis.
 */
export async function faceCrop(picture: Uint8Array, box: Box, side = 256): Promise<Buffer> {
  const oriented = await sharp(picture, { limitInputPixels: 80e6 }).rotate().toBuffer({ resolveWithObject: true });
  const { width, height } = oriented.info;
  const pad = Math.max(box.width, box.height) * 0.5;
  const left = Math.max(0, Math.floor(box.x - pad));
  const top = Math.max(0, Math.floor(box.y - pad));
  const right = Math.min(width, Math.ceil(box.x + box.width + pad));
  const bottom = Math.min(height, Math.ceil(box.y + box.height + pad));
  return sharp(oriented.data)
    .extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) })
    .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/**
 * A contact sheet of thumbnails drawn with canvas: up to `columns` a row, each numbered (the number a notice's
 * "not me" button names). One JPEG, so a notice is one message whatever the number of photos.
 */
export async function contactSheet(thumbnails: Uint8Array[], options: { cell?: number; columns?: number } = {}): Promise<Buffer> {
  const cell = options.cell ?? 200;
  const columns = Math.max(1, Math.min(options.columns ?? 4, thumbnails.length));
  const rows = Math.ceil(thumbnails.length / columns);
  const gap = 6;
  const canvas = createCanvas(columns * (cell + gap) + gap, rows * (cell + gap) + gap);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#1f2328';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < thumbnails.length; i++) {
    const image = await loadImage(Buffer.from(thumbnails[i]!));
    const scale = Math.min(cell / image.width, cell / image.height);
    const [w, h] = [image.width * scale, image.height * scale];
    const x = gap + (i % columns) * (cell + gap);
    const y = gap + Math.floor(i / columns) * (cell + gap);
    ctx.drawImage(image, x + (cell - w) / 2, y + (cell - h) / 2, w, h);
    ctx.fillStyle = 'rgba(0,0,0,0.65)';
    ctx.fillRect(x, y, 30, 24);
    ctx.fillStyle = '#ffffff';
    ctx.font = 'bold 16px sans-serif';
    ctx.fillText(String(i + 1), x + 9, y + 18);
  }
  return canvas.toBuffer('image/jpeg', { quality: 0.85 });
}

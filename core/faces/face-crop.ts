import sharp from 'sharp';
import { drawFacePreview } from './preview.ts';
import type { Box } from './types.ts';

/** The face with one face-width of margin around it, its box drawn and `label` on it (an admin's approval picture). */
export async function drawFaceCrop(picture: Uint8Array, box: Box, label: string): Promise<Buffer> {
  const oriented = await sharp(picture).rotate().jpeg({ quality: 92 }).toBuffer({ resolveWithObject: true });
  const { width, height } = oriented.info;
  const left = Math.max(0, Math.floor(box.x - box.width));
  const top = Math.max(0, Math.floor(box.y - box.height));
  const right = Math.min(width, Math.ceil(box.x + 2 * box.width));
  const bottom = Math.min(height, Math.ceil(box.y + 2 * box.height));
  const crop = await sharp(oriented.data).extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) }).jpeg({ quality: 92 }).toBuffer();
  return drawFacePreview(crop, [{ box: { x: box.x - left, y: box.y - top, width: box.width, height: box.height }, label }], 640);
}

import { createCanvas, loadImage } from 'canvas';
import sharp from 'sharp';
import type { Box } from './types.ts';

export interface PreviewFace {
  box: Box;
  /** Who the face was matched to; undefined for a stranger. */
  label?: string;
}

/**
 * A JPEG of the photo with each face boxed: matched faces in green with the member's name, strangers in grey.
 * For a person checking what was sent to whom (`facedrop share --preview`).
 */
export async function drawFacePreview(picture: Uint8Array, faces: PreviewFace[], maxSide = 1280): Promise<Buffer> {
  const oriented = sharp(picture).rotate();
  const meta = await sharp(picture).metadata();
  const swap = (meta.orientation ?? 1) >= 5;
  const originalWidth = (swap ? meta.height : meta.width) ?? 1;
  const png = await oriented.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true }).png().toBuffer({ resolveWithObject: true });
  const scale = png.info.width / originalWidth;
  const image = await loadImage(png.data);
  const canvas = createCanvas(png.info.width, png.info.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const line = Math.max(2, Math.round(png.info.width / 400));
  ctx.font = `${Math.max(12, Math.round(png.info.width / 60))}px sans-serif`;
  for (const face of faces) {
    const [x, y, w, h] = [face.box.x * scale, face.box.y * scale, face.box.width * scale, face.box.height * scale];
    const colour = face.label ? '#2fbf71' : '#9aa0a6';
    ctx.lineWidth = line;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, w, h);
    const text = face.label ?? 'not a member';
    const metrics = ctx.measureText(text);
    const th = metrics.actualBoundingBoxAscent + metrics.actualBoundingBoxDescent + 6;
    ctx.fillStyle = colour;
    ctx.fillRect(x - line / 2, Math.max(0, y - th), metrics.width + 8, th);
    ctx.fillStyle = '#ffffff';
    ctx.fillText(text, x + 4 - line / 2, Math.max(th - 3, y - 3));
  }
  return canvas.toBuffer('image/jpeg', { quality: 0.88 });
}

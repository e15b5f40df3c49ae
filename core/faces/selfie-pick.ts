// A selfie with several faces of similar size: number them, let the member say which is theirs.
import sharp from 'sharp';
import { drawFacePreview } from './preview.ts';
import { SELFIE_SIMILAR_AREA } from './selfie.ts';
import type { Analysis, Face } from './types.ts';

/** The faces a member may pick from, left to right (numbered 1..n): those of similar size to the largest. */
export function selfieCandidates(analysis: Pick<Analysis, 'faces'>): Face[] {
  const area = (f: Face) => f.box.width * f.box.height;
  const largest = Math.max(0, ...analysis.faces.map(area));
  return analysis.faces.filter((f) => area(f) >= largest * SELFIE_SIMILAR_AREA).sort((a, b) => a.box.x - b.box.x);
}

/** The picture with each candidate boxed and numbered 1..n (JPEG). */
export function drawNumberedFaces(picture: Uint8Array, faces: Face[], maxSide = 1024): Promise<Buffer> {
  return drawFacePreview(picture, faces.map((f, i) => ({ box: f.box, label: String(i + 1) })), maxSide);
}

/**
 * The selfie with every other face blacked out, so the album server (which refuses a selfie with two
 * similar faces) sees only the chosen one.
 */
export async function isolateFace(picture: Uint8Array, keep: Face, others: Face[]): Promise<Uint8Array> {
  const oriented = await sharp(picture).rotate().png().toBuffer({ resolveWithObject: true });
  const { width, height } = oriented.info;
  const masks = others
    .filter((f) => f !== keep)
    .map((f) => {
      // A margin around the box: hair and chin outside the detector's box can still read as a face.
      const mx = f.box.width * 0.25;
      const my = f.box.height * 0.25;
      const left = Math.max(0, Math.floor(f.box.x - mx));
      const top = Math.max(0, Math.floor(f.box.y - my));
      const w = Math.max(1, Math.min(width - left, Math.ceil(f.box.width + 2 * mx)));
      const h = Math.max(1, Math.min(height - top, Math.ceil(f.box.height + 2 * my)));
      return { input: { create: { width: w, height: h, channels: 3 as const, background: { r: 0, g: 0, b: 0 } } }, left, top };
    });
  return new Uint8Array(await sharp(oriented.data).composite(masks).jpeg({ quality: 90 }).toBuffer());
}

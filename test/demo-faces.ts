// Faces from face-api's demo photos (shipped in node_modules), so record and job tests need no ../shared.
import sharp from 'sharp';
import { demoSamples } from '../bench/fixtures.ts';

/** One face per demo photo, as the detector boxes it (x, y, width, height in original pixels). */
const FACES = [
  { sample: 0, x: 412, y: 354, w: 180, h: 240 },
  { sample: 1, x: 1447, y: 153, w: 194, h: 242 },
  { sample: 2, x: 584, y: 329, w: 200, h: 272 },
] as const;

export const DEMO_MEMBERS = FACES.length;

/** A selfie of demo member `i`: their face with a margin, cut from the demo photo. */
export function demoSelfie(i: number): Promise<Buffer> {
  const f = FACES[i]!;
  return sharp(demoSamples[f.sample]!)
    .extract({ left: Math.round(f.x - f.w / 2), top: Math.round(f.y - f.h / 2), width: f.w * 2, height: f.h * 2 })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** A group photo holding demo member `i` (with strangers); each width gives other bytes, so another photo. */
export function demoGroupPhoto(i: number, width = 1000): Promise<Buffer> {
  return sharp(demoSamples[FACES[i]!.sample]!).resize({ width }).jpeg({ quality: 80 }).toBuffer();
}

// Face photos that ship with the npm packages (face-api's demo photos), so the plumbing tests run on any
// clone: no ../shared needed. Selfies are face crops cut from them at test time (measured: every face of
// sample5 and sample6 registers as a selfie at 0.005-0.03 from its face in the group photo).
import fs from 'node:fs';
import sharp from 'sharp';
import type { FaceEngine } from '../core/faces/index.ts';
import { demoSamples } from '../bench/fixtures.ts';

/** face-api's demo photo `n` (1-6). */
export function demoPhoto(n: number): Buffer {
  const file = demoSamples[n - 1];
  if (!file) throw new Error(`no demo sample ${n}`);
  return fs.readFileSync(file);
}

/** Demo photo 5: five people, every one of whom registers from a crop (see above). */
export const GROUP_PHOTO = 5;

/**
 * A selfie of face `face` (detection order, left-to-right is not guaranteed) of demo photo `n`: its box
 * with 40% margin on each side, as JPEG.
 */
export async function demoSelfie(engine: FaceEngine, n: number, face: number): Promise<Buffer> {
  const bytes = demoPhoto(n);
  const analysis = await engine.analyze(bytes);
  const f = analysis.faces[face];
  if (!f) throw new Error(`demo sample ${n} has no face ${face}`);
  const { x, y, width, height } = f.box;
  const left = Math.max(0, Math.round(x - width * 0.4));
  const top = Math.max(0, Math.round(y - height * 0.4));
  const w = Math.min(analysis.width - left, Math.round(width * 1.8));
  const h = Math.min(analysis.height - top, Math.round(height * 1.8));
  return sharp(bytes).rotate().extract({ left, top, width: w, height: h }).jpeg().toBuffer();
}

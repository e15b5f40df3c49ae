// Runs in a piscina worker thread: decode + face analysis on onnxruntime, so face work never blocks the main event loop.
import sharp from 'sharp';
import { decodeImage } from './decode.ts';
import { detectFaces, warmUpModels } from './detector.ts';
import { ImageError, type ImageErrorCode } from './errors.ts';
import { MAX_FACE_HINTS } from './hints.ts';
import { isProminentFace, SELFIE_FALLBACK_CONFIDENCE } from './selfie.ts';
import type { AnalysisMode, Box, Face } from './types.ts';

export interface WorkerTask {
  bytes: Uint8Array;
  mode: AnalysisMode;
  /** Photo mode only: analyse only the pixels around these boxes (hints.ts); faces found elsewhere are not looked for. */
  hints?: Box[];
}

export type WorkerResult =
  | { ok: true; width: number; height: number; faces: Face[]; timings: { decode: number; detect: number; landmarks: number; describe: number } }
  | { ok: false; code: ImageErrorCode; message: string };

// One libvips thread per face worker: the pool already runs one worker per core, and libvips' own pool
// (one thread per core in every worker) only made them contend (bench throughput: 9.7 -> 12.1 photos/s).
sharp.concurrency(1);
// Load and first-run the models as the worker starts, not on its first photo.
await warmUpModels();

export default async function analyzeInWorker(task: WorkerTask): Promise<WorkerResult> {
  if (task.hints && task.hints.length > 0 && task.mode === 'photo') return analyzeAroundHints(task.bytes, task.hints.slice(0, MAX_FACE_HINTS));
  const t0 = performance.now();
  let image;
  try {
    image = await decodeImage(task.bytes);
  } catch (error) {
    // Errors lose their class crossing threads, so typed failures travel as values.
    if (error instanceof ImageError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
  const t1 = performance.now();
  const timings = { decode: t1 - t0, detect: 0, landmarks: 0, describe: 0 };
  let faces: Face[];
  if (task.mode === 'selfie') {
    // Tight crops need a border for SSD to see the face (FACE-NOTES.md); a far-away selfie may need none.
    faces = await detectFaces(image, { pad: true }, timings);
    if (faces.length === 0) faces = await detectFaces(image, { pad: false }, timings);
    // Last resort for hard crops (about 1 in 10 of bbt's): a low-confidence face counts only when it fills
    // the middle of the picture, which is what a selfie looks like and what a random pattern does not.
    if (faces.length === 0) {
      const size = { width: image.originalWidth, height: image.originalHeight };
      faces = (await detectFaces(image, { pad: true, minConfidence: SELFIE_FALLBACK_CONFIDENCE }, timings)).filter((f) => isProminentFace(f, size));
    }
  } else {
    faces = await detectFaces(image, { pad: false }, timings);
    if (faces.length === 0) faces = await detectFaces(image, { pad: true }, timings);
  }
  return {
    ok: true,
    width: image.originalWidth,
    height: image.originalHeight,
    faces,
    timings,
  };
}

/**
 * The faces around hinted boxes: the whole photo decoded as for analyze(), then only the detector windows over
 * the hints, and landmarks and descriptors only for the faces found there (hints.ts): the same pixels, windows,
 * confidence floor, minimum size and models as a whole analysis, so the same descriptors for those faces.
 */
async function analyzeAroundHints(bytes: Uint8Array, hints: Box[]): Promise<WorkerResult> {
  const t0 = performance.now();
  let image;
  try {
    image = await decodeImage(bytes);
  } catch (error) {
    if (error instanceof ImageError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
  const timings = { decode: performance.now() - t0, detect: 0, landmarks: 0, describe: 0 };
  const faces = await detectFaces(image, { pad: false, around: hints }, timings);
  return { ok: true, width: image.originalWidth, height: image.originalHeight, faces, timings };
}

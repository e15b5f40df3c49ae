// Face detection with UltraFace RFB-320 (the "Ultra-Light-Fast-Generic-Face-Detector-1MB" design), run by
// onnxruntime. The model's input is fixed at 320x240 and its output boxes are already decoded (corner form,
// relative to the input). Small faces in big photos are found on a pyramid: the whole picture at one scale,
// then overlapping 320x240 tiles of finer scales, until the smallest face that matters is big enough for the
// model's smallest anchors (10-24 px).
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { disableOrtTelemetry } from '../arcface/ort-env.ts';

export const INPUT_WIDTH = 320;
export const INPUT_HEIGHT = 240;
/** Faces this wide in the model's input are found (its smallest anchors are 10, 16 and 24 px): all 22 of the demo photos' and the 3x2 mosaic's. */
export const MIN_INPUT_FACE = 16;
const NMS_IOU = 0.4;

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectedFace {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

export interface UltrafaceModel {
  /**
   * Every face at least `minFace` pixels wide in a packed RGB image, in its pixels, best first.
   * `minConfidence` is the detector score floor. With `around` (boxes in the image's pixels) only the pyramid's
   * windows that overlap one of them are run: the same windows, so the same detections there, as a whole run.
   */
  detect(rgb: Uint8Array, width: number, height: number, options: { minFace: number; minConfidence: number; around?: readonly Rect[] }): Promise<DetectedFace[]>;
  release(): Promise<void>;
}

export async function loadUltraface(modelPath: string): Promise<UltrafaceModel> {
  disableOrtTelemetry();
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const input = new Float32Array(3 * INPUT_WIDTH * INPUT_HEIGHT);
  const plane = INPUT_WIDTH * INPUT_HEIGHT;

  /** Runs the model on one 320x240 window of a packed RGB level image; windows past its edge are black. */
  async function runWindow(level: Uint8Array, lw: number, lh: number, ox: number, oy: number): Promise<Array<{ x1: number; y1: number; x2: number; y2: number; score: number }>> {
    // (x - 127) / 128, as the model's authors feed it.
    input.fill(-127 / 128);
    const w = Math.min(INPUT_WIDTH, lw - ox);
    const h = Math.min(INPUT_HEIGHT, lh - oy);
    for (let y = 0; y < h; y++) {
      let src = ((oy + y) * lw + ox) * 3;
      let dst = y * INPUT_WIDTH;
      for (let x = 0; x < w; x++, src += 3, dst++) {
        input[dst] = (level[src]! - 127) / 128;
        input[plane + dst] = (level[src + 1]! - 127) / 128;
        input[2 * plane + dst] = (level[src + 2]! - 127) / 128;
      }
    }
    const out = await session.run({ input: new ort.Tensor('float32', input, [1, 3, INPUT_HEIGHT, INPUT_WIDTH]) });
    const scores = out.scores!.data as Float32Array;
    const boxes = out.boxes!.data as Float32Array;
    const found = [];
    for (let i = 0; i < scores.length / 2; i++) {
      const score = scores[i * 2 + 1]!;
      if (score < 0.3) continue;
      found.push({ x1: boxes[i * 4]! * INPUT_WIDTH, y1: boxes[i * 4 + 1]! * INPUT_HEIGHT, x2: boxes[i * 4 + 2]! * INPUT_WIDTH, y2: boxes[i * 4 + 3]! * INPUT_HEIGHT, score });
    }
    return found;
  }

  return {
    async detect(rgb, width, height, { minFace, minConfidence, around }) {
      const all: DetectedFace[] = [];
      for (const level of pyramid(width, height, minFace)) {
        const { scale, maxInputFace, overlap } = level;
        const lw = Math.max(1, Math.round(width * scale));
        const lh = Math.max(1, Math.round(height * scale));
        const windows = starts(lh, INPUT_HEIGHT, overlap).flatMap((oy) => starts(lw, INPUT_WIDTH, overlap).map((ox) => [ox, oy] as const));
        // Around boxes: a level whose widest face (maxInputFace) is under 0.6 of a box's width cannot find that face
        // (nor suppress it: their overlap stays under NMS_IOU), so only the windows of levels that can are run.
        const near = around?.filter((r) => maxInputFace / scale >= 0.6 * r.width);
        const wanted = near === undefined ? windows : windows.filter(([ox, oy]) => near.some((r) => r.x < (ox + INPUT_WIDTH) / scale && r.x + r.width > ox / scale && r.y < (oy + INPUT_HEIGHT) / scale && r.y + r.height > oy / scale));
        if (wanted.length === 0) continue;
        const pixels = scale === 1 ? rgb : new Uint8Array((await sharp(rgb, { raw: { width, height, channels: 3 } }).resize({ width: lw, height: lh, fit: 'fill', kernel: 'linear' }).raw().toBuffer()).buffer);
        for (const [ox, oy] of wanted) {
          for (const b of await runWindow(pixels, lw, lh, ox, oy)) {
            if (b.score < minConfidence || b.x2 - b.x1 > maxInputFace) continue;
            // A face cut by a window edge that is not the picture's edge is found whole in the next window.
            const cut = (b.x1 < 2 && ox > 0) || (b.y1 < 2 && oy > 0) || (b.x2 > INPUT_WIDTH - 2 && ox + INPUT_WIDTH < lw) || (b.y2 > INPUT_HEIGHT - 2 && oy + INPUT_HEIGHT < lh);
            if (cut) continue;
            const x = Math.max(0, (ox + b.x1) / scale);
            const y = Math.max(0, (oy + b.y1) / scale);
            const x2 = Math.min(width, (ox + b.x2) / scale);
            const y2 = Math.min(height, (oy + b.y2) / scale);
            if (x2 - x < minFace * 0.75) continue;
            all.push({ x, y, width: x2 - x, height: y2 - y, score: b.score });
          }
        }
      }
      return nms(all);
    },
    release: () => session.release(),
  };
}

/** Widest face a level's windows are expected to find whole, relative to the level's smallest (input pixels). */
const LEVEL_SPAN = 4;

/**
 * The scales at which the picture is searched: first whole in one window, then finer levels, each at most
 * LEVEL_SPAN times the last, until a face minFace wide is MIN_INPUT_FACE wide in the model's input. A finer
 * level keeps only the faces too small for the coarser ones (bigger ones there are often parts of a face cut
 * by a window), so its windows need overlap only for those.
 */
export function pyramid(width: number, height: number, minFace: number): Array<{ scale: number; maxInputFace: number; overlap: number }> {
  const fit = Math.min(INPUT_WIDTH / width, INPUT_HEIGHT / height);
  const finest = MIN_INPUT_FACE / Math.max(1, minFace);
  const levels = [{ scale: fit, maxInputFace: Infinity, overlap: 0 }];
  let scale = fit;
  while (scale < finest && scale < 1) {
    const next = Math.min(1, finest, scale * LEVEL_SPAN);
    // Faces under MIN_INPUT_FACE at the previous scale, with a margin: their size at this one.
    const maxInputFace = ((MIN_INPUT_FACE * 1.25) / scale) * next;
    levels.push({ scale: next, maxInputFace, overlap: Math.ceil(maxInputFace * 1.2) });
    scale = next;
  }
  return levels;
}

/** Window origins along one side: one window when it fits, else windows overlapping by `overlap`. */
function starts(size: number, window: number, overlap: number): number[] {
  if (size <= window) return [0];
  const stride = window - Math.min(window - 1, overlap);
  const out: number[] = [];
  for (let o = 0; o + window < size; o += stride) out.push(o);
  out.push(size - window);
  return out;
}

function iou(a: DetectedFace, b: DetectedFace): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width);
  const y2 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Greedy non-maximum suppression, best score first. */
function nms(faces: DetectedFace[]): DetectedFace[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: DetectedFace[] = [];
  for (const f of sorted) if (kept.every((k) => iou(k, f) < NMS_IOU)) kept.push(f);
  return kept;
}

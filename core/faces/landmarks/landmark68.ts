// face-api's 68-point landmark net on onnxruntime-node (face-landmark-68.onnx, built from face-api's own
// weights by build-onnx.ts): the same input preparation, network and output mapping as face-api's
// FaceLandmark68Net.detectLandmarks on a crop, without tfjs. All faces of a photo go in one run.
import * as ort from 'onnxruntime-node';
import { disableOrtTelemetry } from '../arcface/ort-env.ts';
import { LANDMARK_INPUT } from './build-onnx.ts';

/** A whole-pixel rectangle in the (padded) image. */
export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The image the crops are cut from: packed RGB, with a black border of padX/padY pixels around it. */
export interface CropSource {
  data: Uint8Array;
  width: number;
  height: number;
  padX: number;
  padY: number;
}

export interface LandmarkModel {
  /** 68 points per crop, in padded-image pixels (face-api's FaceLandmarks68.shiftBy(crop.x, crop.y).positions). */
  detect(source: CropSource, crops: readonly CropRect[]): Promise<Array<Array<[number, number]>>>;
  release(): Promise<void>;
}

/** face-api's FaceFeatureExtractor: (RGB - mean) / 255. */
const MEAN_RGB = [122.782, 117.001, 104.298] as const;

export async function loadLandmarkModel(modelPath: string, threads = 1): Promise<LandmarkModel> {
  disableOrtTelemetry();
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return {
    async detect(source, crops) {
      if (crops.length === 0) return [];
      const plane = LANDMARK_INPUT * LANDMARK_INPUT;
      const input = new Float32Array(crops.length * 3 * plane);
      crops.forEach((r, i) => prepare(source, r, input.subarray(i * 3 * plane, (i + 1) * 3 * plane)));
      const result = await session.run({ input: new ort.Tensor('float32', input, [crops.length, 3, LANDMARK_INPUT, LANDMARK_INPUT]) });
      const out = result['landmarks']!.data as Float32Array;
      return crops.map((r, i) => toPoints(out.subarray(i * 136, (i + 1) * 136), r));
    },
    release: () => session.release(),
  };
}

/**
 * face-api's NetInput.toBatchTensor(112, centred) on the crop: zero-pad to a square (the odd pixel before the
 * crop), bilinear resize to 112 as tfjs' resizeBilinear (alignCorners and halfPixelCenters off), then
 * normalise; written as planar RGB (NCHW).
 */
function prepare(source: CropSource, r: CropRect, out: Float32Array): void {
  const side = Math.max(r.width, r.height);
  const diff = Math.abs(r.width - r.height);
  const before = diff - Math.round(diff * 0.5);
  const offX = r.width < r.height ? before : 0;
  const offY = r.height < r.width ? before : 0;
  const plane = LANDMARK_INPUT * LANDMARK_INPUT;
  const ratio = side / LANDMARK_INPUT;
  const { data, width, height, padX, padY } = source;
  // Pixel (sx, sy) of the square, channel c: the crop's pixel, 0 in the square's and the image's padding.
  const at = (sx: number, sy: number, c: number): number => {
    const cx = sx - offX;
    const cy = sy - offY;
    if (cx < 0 || cy < 0 || cx >= r.width || cy >= r.height) return 0;
    const ix = r.x + cx - padX;
    const iy = r.y + cy - padY;
    if (ix < 0 || iy < 0 || ix >= width || iy >= height) return 0;
    return data[(iy * width + ix) * 3 + c]!;
  };
  for (let y = 0; y < LANDMARK_INPUT; y++) {
    const fy = y * ratio;
    const top = Math.max(0, Math.floor(fy));
    const bottom = Math.min(side - 1, Math.ceil(fy));
    const dy = fy - top;
    for (let x = 0; x < LANDMARK_INPUT; x++) {
      const fx = x * ratio;
      const left = Math.max(0, Math.floor(fx));
      const right = Math.min(side - 1, Math.ceil(fx));
      const dx = fx - left;
      for (let c = 0; c < 3; c++) {
        const tl = at(left, top, c);
        const tr = at(right, top, c);
        const bl = at(left, bottom, c);
        const br = at(right, bottom, c);
        const t = tl + (tr - tl) * dx;
        const b = bl + (br - bl) * dx;
        out[c * plane + y * LANDMARK_INPUT + x] = (t + (b - t) * dy - MEAN_RGB[c]!) / 255;
      }
    }
  }
}

/** face-api's FaceLandmark68NetBase.postProcess and FaceLandmarks: from the 112 px square back to the crop. */
function toPoints(out: Float32Array, r: CropRect): Array<[number, number]> {
  const scale = LANDMARK_INPUT / Math.max(r.width, r.height);
  const w = r.width * scale;
  const h = r.height * scale;
  const padX = w < h ? Math.abs(w - h) / 2 : 0;
  const padY = h < w ? Math.abs(w - h) / 2 : 0;
  const points: Array<[number, number]> = [];
  for (let i = 0; i < 68; i++) {
    points.push([((out[2 * i]! * LANDMARK_INPUT - padX) / w) * r.width + r.x, ((out[2 * i + 1]! * LANDMARK_INPUT - padY) / h) * r.height + r.y]);
  }
  return points;
}

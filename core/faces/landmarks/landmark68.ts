// face-api's 68-point landmark net on onnxruntime-node (face-landmark-68.onnx, built from face-api's own
// weights by build-onnx.ts): the same input preparation, network and output mapping as face-api's
// FaceLandmark68Net.detectLandmarks on a crop, without tfjs. All faces of a photo go in one run.
import * as ort from 'onnxruntime-node';
import { cpuSession } from '../arcface/ort-env.ts';
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
  /**
   * 68 points per crop, in padded-image pixels (face-api's FaceLandmarks68.shiftBy(crop.x, crop.y).positions).
   * `input` is prepareCrops(source, crops) when the caller already made it (the age net reads the same batch).
   */
  detect(source: CropSource, crops: readonly CropRect[], input?: Float32Array): Promise<Array<Array<[number, number]>>>;
  release(): Promise<void>;
}

/** face-api's FaceFeatureExtractor: (RGB - mean) / 255. */
const MEAN_RGB = [122.782, 117.001, 104.298] as const;

export async function loadLandmarkModel(modelPath: string, threads = 1): Promise<LandmarkModel> {
  const session = await cpuSession(modelPath, threads);
  return {
    async detect(source, crops, input = prepareCrops(source, crops)) {
      if (crops.length === 0) return [];
      const result = await session.run({ input: new ort.Tensor('float32', input, [crops.length, 3, LANDMARK_INPUT, LANDMARK_INPUT]) });
      const out = result['landmarks']!.data as Float32Array;
      return crops.map((r, i) => toPoints(out.subarray(i * 136, (i + 1) * 136), r));
    },
    release: () => session.release(),
  };
}

/** The landmark net's input batch for these crops: [N, 3, 112, 112], as face-api prepares it. */
export function prepareCrops(source: CropSource, crops: readonly CropRect[]): Float32Array {
  const plane = LANDMARK_INPUT * LANDMARK_INPUT;
  const input = new Float32Array(crops.length * 3 * plane);
  crops.forEach((r, i) => prepare(source, r, input.subarray(i * 3 * plane, (i + 1) * 3 * plane)));
  return input;
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
  // Where each sample of the square comes from: a byte offset into the image, or -1 for the square's and the
  // image's padding (black). Computed once per row and column, not per pixel.
  const column = (sx: number): number => {
    const ix = r.x + sx - offX - padX;
    return sx - offX < 0 || sx - offX >= r.width || ix < 0 || ix >= width ? -1 : ix * 3;
  };
  const row = (sy: number): number => {
    const iy = r.y + sy - offY - padY;
    return sy - offY < 0 || sy - offY >= r.height || iy < 0 || iy >= height ? -1 : iy * width * 3;
  };
  const left = new Int32Array(LANDMARK_INPUT);
  const right = new Int32Array(LANDMARK_INPUT);
  const dxs = new Float64Array(LANDMARK_INPUT);
  for (let x = 0; x < LANDMARK_INPUT; x++) {
    const fx = x * ratio;
    const l = Math.max(0, Math.floor(fx));
    left[x] = column(l);
    right[x] = column(Math.min(side - 1, Math.ceil(fx)));
    dxs[x] = fx - l;
  }
  const sample = (rowOffset: number, colOffset: number, c: number): number => (rowOffset < 0 || colOffset < 0 ? 0 : data[rowOffset + colOffset + c]!);
  for (let y = 0; y < LANDMARK_INPUT; y++) {
    const fy = y * ratio;
    const t0 = Math.max(0, Math.floor(fy));
    const top = row(t0);
    const bottom = row(Math.min(side - 1, Math.ceil(fy)));
    const dy = fy - t0;
    for (let x = 0; x < LANDMARK_INPUT; x++) {
      const l = left[x]!;
      const rr = right[x]!;
      const dx = dxs[x]!;
      for (let c = 0; c < 3; c++) {
        const tl = sample(top, l, c);
        const tr = sample(top, rr, c);
        const bl = sample(bottom, l, c);
        const br = sample(bottom, rr, c);
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

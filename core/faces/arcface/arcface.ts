// ArcFace-style 512-d face descriptor (faceplugin's fr_feature.onnx) on onnxruntime-node's CPU provider.
// Landmarks come from face-api's 68-point net; this module only aligns, normalises and runs the model.
// Measurements and the preprocessing checks behind every constant here: README-measurements.md.
import fs from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { withDynamicBatch } from './batch-model.ts';
import { disableOrtTelemetry } from './ort-env.ts';

export type Point = readonly [number, number];

/**
 * Row-major 2x3 affine matrix [a, b, tx, c, d, ty] mapping (x, y) to (a*x + b*y + tx, c*x + d*y + ty).
 */
export type Affine = readonly [number, number, number, number, number, number];

/** The model's input is a 112x112 face crop. */
export const ARCFACE_SIZE = 112;

/**
 * Where the 5 landmarks must land in the 112x112 crop: the standard ArcFace (insightface) template,
 * the same one faceplugin's own fr_feature.js uses (left eye, right eye, nose tip, left and right mouth corner).
 */
export const ARCFACE_TEMPLATE: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * Default channel order: BGR. faceplugin's fr_feature.js feeds RGB, but on our LFW crowd set BGR gives clearly
 * better separation (recall 85% vs 78% at 300 members, 1 selfie, 1/1000 false matches): the model was evidently
 * trained on OpenCV (BGR) decoded images. See README-measurements.md.
 */
export const CHANNEL_ORDER: 'rgb' | 'bgr' = 'bgr';

export interface ArcfaceModel {
  /**
   * L2-normalised 512-d descriptor of the face whose 68 landmarks (face-api order, image pixels) are given.
   * `rgb` is the packed 8-bit RGB image (width*height*3 bytes, no alpha, no row padding).
   * Compare descriptors by cosine similarity, i.e. their dot product.
   */
  embed(rgb: Uint8Array, width: number, height: number, landmarks68: ReadonlyArray<readonly [number, number]>): Promise<Float32Array>;
  /** Same for several faces of one image, in one run of the model (a batch of all of them). */
  embedMany(rgb: Uint8Array, width: number, height: number, faces: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): Promise<Float32Array[]>;
  /** Same, for an already aligned 112x112 packed RGB crop. */
  embedAligned(crop: Uint8Array): Promise<Float32Array>;
  /** Same, for several aligned crops in one run. */
  embedAlignedBatch(crops: readonly Uint8Array[]): Promise<Float32Array[]>;
  /** Releases the onnxruntime session. */
  release(): Promise<void>;
}

export interface ArcfaceOptions {
  /** onnxruntime intra-op threads; 1 by default since callers already run one model per worker thread. */
  threads?: number;
  /** Channel order fed to the model; see CHANNEL_ORDER. */
  channelOrder?: 'rgb' | 'bgr';
  /** false: the model as shipped, one face a run (the batch check compares against it). Default true. */
  batch?: boolean;
}

/** Loads the ONNX model; load once per thread and reuse (concurrent runs on one model were not measured). */
export async function loadArcface(modelPath: string, options: ArcfaceOptions = {}): Promise<ArcfaceModel> {
  const threads = options.threads ?? 1;
  const order = options.channelOrder ?? CHANNEL_ORDER;
  disableOrtTelemetry(); // before the first session: see ort-env.ts (a long command line crashed it)
  // The shipped model takes one face a run; its batch dimension is made dynamic in memory (batch-model.ts).
  const shipped = await fs.readFile(modelPath);
  const session = await ort.InferenceSession.create(options.batch === false ? shipped : withDynamicBatch(shipped), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  // Names are read rather than hard-coded ('input' / 'output' in fr_feature.onnx) so a re-export still works.
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  if (inputName === undefined || outputName === undefined) throw new Error(`${modelPath}: model has no input or output`);

  const n = ARCFACE_SIZE * ARCFACE_SIZE;
  const [c0, c1, c2] = order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const embedAlignedBatch = async (crops: readonly Uint8Array[]): Promise<Float32Array[]> => {
    if (crops.length === 0) return [];
    // NCHW float32 [N, 3, 112, 112], (x - 127.5) / 128: the usual ArcFace normalisation (fr_feature.js uses
    // (x - 127) / 128, the same to within 0.4%). Measured alternatives x/255 and raw 0..255 are worse.
    const input = new Float32Array(crops.length * n * 3);
    crops.forEach((crop, k) => {
      if (crop.length !== n * 3) throw new Error(`aligned crop must be ${ARCFACE_SIZE}x${ARCFACE_SIZE} RGB`);
      const base = k * n * 3;
      for (let i = 0; i < n; i++) {
        input[base + i] = (crop[i * 3 + c0]! - 127.5) / 128;
        input[base + n + i] = (crop[i * 3 + c1]! - 127.5) / 128;
        input[base + 2 * n + i] = (crop[i * 3 + c2]! - 127.5) / 128;
      }
    });
    const tensor = new ort.Tensor('float32', input, [crops.length, 3, ARCFACE_SIZE, ARCFACE_SIZE]);
    const result = await session.run({ [inputName]: tensor });
    const output = result[outputName];
    if (output === undefined) throw new Error(`model returned no '${outputName}'`);
    const data = output.data as Float32Array;
    const dim = data.length / crops.length;
    // The raw output is not unit length (norm ~2 on random input); normalise so dot product = cosine.
    return crops.map((_, k) => l2Normalize(Float32Array.from(data.subarray(k * dim, (k + 1) * dim))));
  };
  const embedAligned = async (crop: Uint8Array): Promise<Float32Array> => (await embedAlignedBatch([crop]))[0]!;
  const batched = options.batch !== false;
  const align = (rgb: Uint8Array, width: number, height: number, landmarks68: ReadonlyArray<readonly [number, number]>) => {
    if (rgb.length < width * height * 3) throw new Error('rgb buffer is smaller than width*height*3');
    return warpAffine(rgb, width, height, similarityTransform(fivePointsFrom68(landmarks68), ARCFACE_TEMPLATE), ARCFACE_SIZE, ARCFACE_SIZE);
  };

  return {
    embedAligned,
    embedAlignedBatch,
    embed: (rgb, width, height, landmarks68) => embedAligned(align(rgb, width, height, landmarks68)),
    async embedMany(rgb, width, height, faces) {
      const crops = faces.map((l) => align(rgb, width, height, l));
      if (batched) return embedAlignedBatch(crops);
      const out: Float32Array[] = [];
      for (const crop of crops) out.push(await embedAligned(crop));
      return out;
    },
    release: () => session.release(),
  };
}

/**
 * The 5 ArcFace points from face-api's 68 (iBUG 300-W order): eye centres as the mean of each eye's
 * 6 contour points (36-41, 42-47), nose tip 30, outer mouth corners 48 and 54.
 * "Left" is the eye on the image's left, as in the template.
 */
export function fivePointsFrom68(landmarks68: ReadonlyArray<readonly [number, number]>): Point[] {
  if (landmarks68.length !== 68) throw new Error(`expected 68 landmarks, got ${landmarks68.length}`);
  const at = (i: number): readonly [number, number] => landmarks68[i]!;
  const mean = (from: number, to: number): Point => {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += at(i)[0];
      y += at(i)[1];
    }
    const k = to - from + 1;
    return [x / k, y / k];
  };
  return [mean(36, 41), mean(42, 47), [...at(30)] as Point, [...at(48)] as Point, [...at(54)] as Point];
}

/**
 * Least-squares similarity transform (rotation + uniform scale + translation, no reflection or shear)
 * taking `src` points onto `dst` points: Umeyama's solution, which in 2-D has this closed form.
 * A similarity keeps the face's proportions intact, unlike a 3-point affine that would stretch it
 * to fit noisy landmarks exactly.
 */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): Affine {
  const n = src.length;
  if (n < 2 || dst.length !== n) throw new Error('need the same number (>= 2) of source and destination points');
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i]![0];
    sy += src[i]![1];
    dx += dst[i]![0];
    dy += dst[i]![1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  // With centred points p (source) and q (destination), the best [[a, -b], [b, a]] minimising
  // sum |M p - q|^2 is a = sum(p.q) / sum|p|^2, b = sum(p x q) / sum|p|^2.
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const px = src[i]![0] - sx;
    const py = src[i]![1] - sy;
    const qx = dst[i]![0] - dx;
    const qy = dst[i]![1] - dy;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm === 0) throw new Error('source points are all the same');
  const a = dot / norm;
  const b = cross / norm;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

/**
 * Warps a packed RGB image by `m` (source pixel coordinates to output pixel coordinates) into an
 * outWidth x outHeight packed RGB image, bilinear, black outside the source: like OpenCV's
 * warpAffine with INTER_LINEAR and a zero constant border. Black matches the border the detector
 * saw when it found a face on a padded tight crop.
 */
export function warpAffine(
  rgb: Uint8Array,
  width: number,
  height: number,
  m: Affine,
  outWidth: number,
  outHeight: number,
): Uint8Array {
  // Walk the output and sample the source, so every output pixel is filled exactly once (needs m's inverse).
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  if (det === 0) throw new Error('affine matrix is singular');
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  const itx = -(ia * tx + ib * ty);
  const ity = -(ic * tx + id * ty);
  const out = new Uint8Array(outWidth * outHeight * 3);
  const px = (x: number, y: number, ch: number): number =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : rgb[(y * width + x) * 3 + ch]!;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const srcX = ia * x + ib * y + itx;
      const srcY = ic * x + id * y + ity;
      const x0 = Math.floor(srcX);
      const y0 = Math.floor(srcY);
      const fx = srcX - x0;
      const fy = srcY - y0;
      const o = (y * outWidth + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = px(x0, y0, ch) * (1 - fx) + px(x0 + 1, y0, ch) * fx;
        const bottom = px(x0, y0 + 1, ch) * (1 - fx) + px(x0 + 1, y0 + 1, ch) * fx;
        out[o + ch] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}

function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}

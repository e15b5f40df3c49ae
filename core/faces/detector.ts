// Face analysis on onnxruntime: detector, face-api's 68-point landmark net (as ONNX) and the descriptor.
// It runs inside the worker threads (see worker.ts). face-api on tfjs is loaded only by the benchmark's naive
// reference and the landmark equivalence test (loadFaceApi).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadAgeModel, type AgeModel } from './age/age.ts';
import { AGE_ONNX_PATH } from './age/build-onnx.ts';
import { loadArcface, type ArcfaceModel } from './arcface/arcface.ts';
import { FACE_API_MODEL_DIR, LANDMARK_ONNX_PATH } from './landmarks/build-onnx.ts';
import { loadLandmarkModel, prepareCrops, type LandmarkModel } from './landmarks/landmark68.ts';
import { loadUltraface, type UltrafaceModel } from './ultraface/ultraface.ts';
import { boxIou, HINT_MIN_IOU } from './hints.ts';
import type * as FaceApi from '@vladmandic/face-api';
import type { DecodedImage } from './decode.ts';
import type { Box, Face } from './types.ts';

const require = createRequire(import.meta.url);

export type FaceApiModule = typeof FaceApi;
type Tf = typeof import('@tensorflow/tfjs');

/**
 * Detector settings. UltraFace scores textures (sleeves, railings) up to 0.93 on face-api's demo photos while
 * all 22 faces there score 0.95 or more: 0.95 finds them all and nothing else (bench, "Detection").
 * Faces narrower than minFacePx original pixels are not searched for (the matcher's own floor).
 */
export const DETECTOR = {
  minConfidence: 0.95,
  minFacePx: 32,
  maxResults: 100,
} as const;

let loaded: Promise<FaceApiModule> | undefined;
let arcface: Promise<ArcfaceModel> | undefined;
let ultraface: Promise<UltrafaceModel> | undefined;
let landmarks68: Promise<LandmarkModel> | undefined;
let ageNet: Promise<AgeModel> | undefined;

/** face-api's age net as ONNX (age/build-onnx.ts), one onnxruntime session per thread. */
export function loadAgeNet(): Promise<AgeModel> {
  ageNet ??= loadAgeModel(AGE_ONNX_PATH);
  return ageNet;
}

/** face-api's 68-point landmark net as ONNX (landmarks/README.md), one onnxruntime session per thread. */
export function loadLandmarkNet(): Promise<LandmarkModel> {
  landmarks68 ??= loadLandmarkModel(LANDMARK_ONNX_PATH);
  return landmarks68;
}

/** The face detector (ultraface/README.md), one onnxruntime session per thread. */
export function loadUltrafaceModel(): Promise<UltrafaceModel> {
  ultraface ??= loadUltraface(fileURLToPath(new URL('./ultraface/ultraface-rfb-320.onnx', import.meta.url)));
  return ultraface;
}

/** The 512-d descriptor model (see arcface/README-measurements.md), one onnxruntime session per thread. */
export function loadArcfaceModel(): Promise<ArcfaceModel> {
  arcface ??= loadArcface(fileURLToPath(new URL('./arcface/fr_feature.onnx', import.meta.url)));
  return arcface;
}

export { FACE_API_MODEL_DIR };

/**
 * Loads the three models and runs each once on a blank input: onnxruntime's first run of a session is slower
 * (buffers, kernels), and a worker does this while the process is still starting, not on its first photo.
 */
export async function warmUpModels(): Promise<void> {
  const [detector, landmarks, age, arcface] = await Promise.all([loadUltrafaceModel(), loadLandmarkNet(), loadAgeNet(), loadArcfaceModel()]);
  const side = 112;
  const blank = new Uint8Array(side * side * 3);
  await detector.detect(new Uint8Array(320 * 240 * 3), 320, 240, { minFace: 240, minConfidence: 1 });
  const input = prepareCrops({ data: blank, width: side, height: side, padX: 0, padY: 0 }, [{ x: 0, y: 0, width: side, height: side }]);
  await landmarks.detect({ data: blank, width: side, height: side, padX: 0, padY: 0 }, [{ x: 0, y: 0, width: side, height: side }], input);
  await age.estimate(input, 1);
  await arcface.embedAligned(blank);
}

/**
 * Loads tfjs on the WASM backend (SIMD, wasm files read from disk) and face-api's 68-point landmark model from
 * its own package. Never touches the network.
 */
export function loadFaceApi(): Promise<FaceApiModule> {
  loaded ??= (async () => {
    const tf = require('@tensorflow/tfjs') as Tf;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(p: string, usePlatformFetch?: boolean): void };
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
    const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    wasm.setWasmPaths(`${wasmDir}${path.sep}`, false);
    await tf.setBackend('wasm');
    await tf.ready();
    await faceapi.nets.faceLandmark68Net.loadFromDisk(FACE_API_MODEL_DIR);
    return faceapi;
  })();
  return loaded;
}

export interface DetectOptions {
  /** Pad with a black border of half the image's size on each side before detecting (tight face crops). */
  pad: boolean;
  /** Detector confidence floor; default DETECTOR.minConfidence. */
  minConfidence?: number;
  /**
   * Unpadded only: look only around these boxes (original pixels): the detector runs only its windows that
   * overlap them, and only faces overlapping one of them by HINT_MIN_IOU are kept (hints.ts).
   */
  around?: readonly Box[];
}

/** Longest side of the padded copy searched for a selfie's face (a selfie's face is big: one window of the detector). */
export const SELFIE_DETECT_MAX_SIDE = 640;
/**
 * The smallest selfie face searched for in the padded copy, as a share of its width. At 1 the detector drops
 * every box under 3/4 of the padded width, so this pass never finds a face and every selfie's face comes from
 * the unpadded fallback (FACE-NOTES.md). Measured at 0.2 (a tight crop's face is a quarter of the padded width
 * or more): 20 of 599 fixture selfies refused before are accepted, descriptors move by a median 0.006, but the
 * calibration made again on them loosens the volunteers' tables by 0.01 and lets 1 held-out stranger in 952 through
 * at 300 members, and moves the children's age cut-offs; every threshold was measured on selfies made at 1, so
 * it stays 1 until the tables are made again and checked on the new selfies (issue 21, left open).
 */
export const SELFIE_MIN_FACE = 1;

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Every face in a decoded image: box and landmarks in the original image's pixels, and the 512-d matching
 * descriptor. (face-api's own 128-d recognition net is not run: it found far fewer members' photos at the
 * same false-match rate; arcface/README-measurements.md.)
 * Detection runs on a pyramid of small copies; landmarks and descriptors on crops read straight from the
 * full-resolution pixels, the landmark net and the descriptor model once per photo, each on a batch of all its faces.
 */
export async function detectFaces(image: DecodedImage, options: DetectOptions, timings?: { detect: number; landmarks: number; describe: number }): Promise<Face[]> {
  const padX = options.pad ? Math.round(image.width / 2) : 0;
  const padY = options.pad ? Math.round(image.height / 2) : 0;
  const paddedWidth = image.width + 2 * padX;
  const paddedHeight = image.height + 2 * padY;
  const t0 = performance.now();
  let t1 = t0;
  let t2 = t0;
  try {
    const detector = await loadUltrafaceModel();
    const minConfidence = options.minConfidence ?? DETECTOR.minConfidence;
    let found;
    if (options.pad) {
      // A selfie or a tight crop: its face is big, so one window over a small padded copy finds it.
      const small = await detectionImage(image, padX, padY, Math.min(1, SELFIE_DETECT_MAX_SIDE / Math.max(paddedWidth, paddedHeight)));
      const toPadded = paddedWidth / small.width;
      found = (await detector.detect(small.data, small.width, small.height, { minFace: small.width * SELFIE_MIN_FACE, minConfidence })).map((b) => ({ ...b, x: b.x * toPadded, y: b.y * toPadded, width: b.width * toPadded, height: b.height * toPadded }));
    } else {
      const around = options.around?.map((b) => ({ x: b.x / image.scale, y: b.y / image.scale, width: b.width / image.scale, height: b.height / image.scale }));
      found = await detector.detect(image.data, image.width, image.height, { minFace: DETECTOR.minFacePx / image.scale, minConfidence, ...(around ? { around } : {}) });
      if (around) found = found.filter((f) => around.some((r) => boxIou(f, r) >= HINT_MIN_IOU));
    }
    const detections = found.slice(0, DETECTOR.maxResults).map((b) => ({ box: b, score: b.score }));
    t1 = performance.now();
    t2 = t1;
    if (detections.length === 0) return [];
    const boxes = detections.map((d) => landmarkCrop(d.box, paddedWidth, paddedHeight));
    const source = { data: image.data, width: image.width, height: image.height, padX, padY };
    const input = prepareCrops(source, boxes);
    const landmarks = await (await loadLandmarkNet()).detect(source, boxes, input);
    // The age net reads the same crops: it tells a child's face from an adult's for the matching policy.
    const ages = await (await loadAgeNet()).estimate(input, boxes.length);
    t2 = performance.now();
    // The matching descriptor: ArcFace on a crop aligned from the same landmarks, from the unpadded pixels
    // (outside them is black, as the detector saw it).
    const model = await loadArcfaceModel();
    // All faces of the photo in one run of the model (its batch dimension made dynamic: arcface/batch-model.ts).
    const embeddings = await model.embedMany(image.data, image.width, image.height, landmarks.map((l) => l.map(([x, y]) => [x - padX, y - padY] as const)));
    const toOriginal = (x: number, y: number): [number, number] => [(x - padX) * image.scale, (y - padY) * image.scale];
    return detections.map((d, i) => {
      const [x, y] = toOriginal(d.box.x, d.box.y);
      const box: Box = { x, y, width: d.box.width * image.scale, height: d.box.height * image.scale };
      return {
        box,
        score: d.score,
        landmarks: landmarks[i]!.map(([x, y]) => toOriginal(x, y)),
        age: Number(ages[i]!.toFixed(1)),
        descriptor: Array.from(embeddings[i]!),
      };
    });
  } finally {
    if (timings) {
      const end = performance.now();
      timings.detect += t1 - t0;
      timings.landmarks += t2 - t1;
      timings.describe += end - t2;
    }
  }
}

/** The whole-pixel rectangle (padded coordinates) the landmark net is given for a detected face. */
export function landmarkCrop(box: Rect, paddedWidth: number, paddedHeight: number): Rect {
  return clip(landmarkBox(box), paddedWidth, paddedHeight);
}

/**
 * The square the landmark net sees around a detected face. UltraFace's boxes are narrower than SSD's, which
 * face-api's landmark net was trained with; a square of the box's larger side keeps the landmarks, and so the
 * descriptors, as they were (bench, "Detection").
 */
function landmarkBox(b: Rect): Rect {
  const side = Math.max(b.width, b.height) * LANDMARK_BOX_SCALE;
  return { x: b.x + b.width / 2 - side / 2, y: b.y + b.height / 2 - side / 2, width: side, height: side };
}
const LANDMARK_BOX_SCALE = 1;

/** The padded, downscaled copy searched for a selfie's face. */
async function detectionImage(image: DecodedImage, padX: number, padY: number, scale: number): Promise<{ data: Buffer; width: number; height: number }> {
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (padX || padY) pipeline = pipeline.extend({ top: padY, bottom: padY, left: padX, right: padX, background: { r: 0, g: 0, b: 0 } });
  if (scale < 1) {
    // extend() and resize() in one sharp pipeline run resize first: materialise the padded image.
    if (padX || padY) {
      const padded = await pipeline.raw().toBuffer({ resolveWithObject: true });
      pipeline = sharp(padded.data, { raw: { width: padded.info.width, height: padded.info.height, channels: 3 } });
    }
    pipeline = pipeline.resize({ width: Math.max(1, Math.round((image.width + 2 * padX) * scale)), height: Math.max(1, Math.round((image.height + 2 * padY) * scale)), fit: 'fill' });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** face-api's Box.clipAtImageBorders: keep inside the (padded) image, whole pixels. */
function clip(r: Rect, width: number, height: number): Rect {
  const x = Math.max(0, r.x);
  const y = Math.max(0, r.y);
  const w = Math.min(r.x + r.width - x, width - x);
  const h = Math.min(r.y + r.height - y, height - y);
  return { x: Math.floor(x), y: Math.floor(y), width: Math.max(1, Math.floor(w)), height: Math.max(1, Math.floor(h)) };
}

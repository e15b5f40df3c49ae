// The only module that touches face-api and tfjs. It runs inside the worker threads (see worker.ts),
// and in the benchmark's naive reference.
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as FaceApi from '@vladmandic/face-api';
import type { DecodedImage } from './decode.ts';
import type { Box, Face } from './types.ts';

const require = createRequire(import.meta.url);

export type FaceApiModule = typeof FaceApi;
type Tf = typeof import('@tensorflow/tfjs');

/** Detector settings: face-api's defaults, which FACE-NOTES.md and our bench measured. */
export const DETECTOR = {
  minConfidence: 0.5,
  maxResults: 100,
} as const;

let loaded: Promise<FaceApiModule> | undefined;

/**
 * Loads tfjs on the WASM backend (SIMD, wasm files read from disk) and face-api's models from its own package.
 * Never touches the network.
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
    const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
    return faceapi;
  })();
  return loaded;
}

export interface DetectOptions {
  /** Pad with a black border of half the image's size on each side before detecting (tight face crops). */
  pad: boolean;
  /** Detector confidence floor; default DETECTOR.minConfidence. */
  minConfidence?: number;
}

/**
 * Every face in a decoded image: box and landmarks in the original image's pixels, 128-d descriptor.
 * Landmarks and descriptors are computed for all faces in one batch each (face-api's chained API
 * runs them one face at a time).
 */
export async function detectFaces(image: DecodedImage, options: DetectOptions): Promise<Face[]> {
  const faceapi = await loadFaceApi();
  const tf = require('@tensorflow/tfjs') as Tf;
  const base = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  const padX = options.pad ? Math.round(image.width / 2) : 0;
  const padY = options.pad ? Math.round(image.height / 2) : 0;
  const input = options.pad ? tf.pad(base, [[padY, padY], [padX, padX], [0, 0]]) : base;
  const crops: import('@tensorflow/tfjs').Tensor3D[] = [];
  try {
    const detections = await faceapi.detectAllFaces(
      input as never,
      new faceapi.SsdMobilenetv1Options({ minConfidence: options.minConfidence ?? DETECTOR.minConfidence, maxResults: DETECTOR.maxResults }),
    );
    if (detections.length === 0) return [];
    crops.push(...((await faceapi.extractFaceTensors(input as never, detections)) as never[]));
    const landmarks = toArray(await faceapi.nets.faceLandmark68Net.detectLandmarks(crops as never)).map((l, i) =>
      l.shiftBy<FaceApi.FaceLandmarks68>(detections[i]!.box.x, detections[i]!.box.y),
    );
    tf.dispose(crops);
    crops.length = 0;
    // face-api's own alignment for descriptors (dlib-style box from the landmarks).
    const aligned = landmarks.map((l) => l.align(null, { useDlibAlignment: true }));
    crops.push(...((await faceapi.extractFaceTensors(input as never, aligned)) as never[]));
    const descriptors = toArray(await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crops as never));
    const toOriginal = (x: number, y: number): [number, number] => [(x - padX) * image.scale, (y - padY) * image.scale];
    return detections.map((d, i) => {
      const [x, y] = toOriginal(d.box.x, d.box.y);
      const box: Box = { x, y, width: d.box.width * image.scale, height: d.box.height * image.scale };
      return {
        box,
        score: d.score,
        landmarks: landmarks[i]!.positions.map((p) => toOriginal(p.x, p.y)),
        descriptor: Array.from(descriptors[i]!),
      };
    });
  } finally {
    tf.dispose(crops);
    if (input !== base) input.dispose();
    base.dispose();
  }
}

function toArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

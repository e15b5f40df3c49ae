// The naive reference: face-api used the way its own Node demos do (demo/node-canvas.js, demo/node-wasm.js):
// node-canvas decodes the photo, and detectAllFaces().withFaceLandmarks().withFaceDescriptors() runs on the
// main thread, one photo after another, on the same WASM backend as facedrop's engine.
import canvas from 'canvas';
import { FACE_API_MODEL_DIR, loadFaceApi } from '../core/faces/detector.ts';

export interface NaiveTimings {
  decode: number;
  detect: number;
  describe: number;
  total: number;
  faces: number;
}

export async function naiveAnalyze(bytes: Buffer): Promise<NaiveTimings> {
  const faceapi = await loadFaceApi();
  if (!faceapi.nets.ssdMobilenetv1.isLoaded) await faceapi.nets.ssdMobilenetv1.loadFromDisk(FACE_API_MODEL_DIR);
  if (!faceapi.nets.faceRecognitionNet.isLoaded) await faceapi.nets.faceRecognitionNet.loadFromDisk(FACE_API_MODEL_DIR);
  faceapi.env.monkeyPatch({ Canvas: canvas.Canvas, Image: canvas.Image, ImageData: canvas.ImageData } as never);
  const t0 = performance.now();
  const img = await canvas.loadImage(bytes);
  const c = canvas.createCanvas(img.width, img.height);
  c.getContext('2d').drawImage(img, 0, 0, img.width, img.height);
  const t1 = performance.now();
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
  const result = await faceapi.detectAllFaces(c as never, options).withFaceLandmarks().withFaceDescriptors();
  const t2 = performance.now();
  // Detection alone, timed separately to split the chained call into stages (not counted in `total`).
  await faceapi.detectAllFaces(c as never, options);
  const t3 = performance.now();
  const detect = t3 - t2;
  return { decode: t1 - t0, detect, describe: Math.max(0, t2 - t1 - detect), total: t2 - t0, faces: result.length };
}

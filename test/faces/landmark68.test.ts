// face-api's 68-point landmark net as ONNX (core/faces/landmarks) gives face-api's own landmarks: same points,
// to within a small fraction of a pixel, on every face of the demo photos, on non-square crops and on crops
// reaching into a selfie's black border; and so the same matching descriptors.
import fs from 'node:fs';
import type * as FaceApi from '@vladmandic/face-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, type DecodedImage } from '../../core/faces/decode.ts';
import { landmarkCrop, loadArcfaceModel, loadFaceApi, loadLandmarkNet, loadUltrafaceModel } from '../../core/faces/detector.ts';
import { buildLandmarkOnnx, LANDMARK_ONNX_PATH } from '../../core/faces/landmarks/build-onnx.ts';
import type { CropRect, LandmarkModel } from '../../core/faces/landmarks/landmark68.ts';
import { demoSamples } from '../helpers.ts';

type Tf = typeof import('@tensorflow/tfjs');

/** What detector.ts did before: the crop as an int32 tensor, face-api's detectLandmarks on the batch. */
async function faceApiLandmarks(faceapi: typeof FaceApi, tf: Tf, image: DecodedImage, padX: number, padY: number, crops: CropRect[]): Promise<Array<Array<[number, number]>>> {
  const tensors = crops.map((r) => {
    const out = new Int32Array(r.width * r.height * 3);
    for (let row = 0; row < r.height; row++) {
      for (let col = 0; col < r.width; col++) {
        const sx = r.x + col - padX;
        const sy = r.y + row - padY;
        if (sx < 0 || sy < 0 || sx >= image.width || sy >= image.height) continue;
        for (let c = 0; c < 3; c++) out[(row * r.width + col) * 3 + c] = image.data[(sy * image.width + sx) * 3 + c]!;
      }
    }
    return tf.tensor3d(out, [r.height, r.width, 3], 'int32');
  });
  const result = await faceapi.nets.faceLandmark68Net.detectLandmarks(tensors as never);
  tf.dispose(tensors);
  return (Array.isArray(result) ? result : [result]).map((l, i) => l.shiftBy<FaceApi.FaceLandmarks68>(crops[i]!.x, crops[i]!.y).positions.map((p) => [p.x, p.y] as [number, number]));
}

describe("face-api's landmark net on onnxruntime", () => {
  let faceapi: typeof FaceApi;
  let tf: Tf;
  let onnx: LandmarkModel;
  beforeAll(async () => {
    faceapi = await loadFaceApi();
    tf = (await import('@tensorflow/tfjs')) as unknown as Tf;
    onnx = await loadLandmarkNet();
  }, 60_000);

  it('the vendored ONNX file is what build-onnx.ts makes from the installed face-api weights', () => {
    expect(buildLandmarkOnnx().equals(fs.readFileSync(LANDMARK_ONNX_PATH))).toBe(true);
  });

  it('gives the same 68 points as face-api on every demo face, square, non-square and padded crops, so the same descriptors', async () => {
    const detector = await loadUltrafaceModel();
    const arcface = await loadArcfaceModel();
    let compared = 0;
    let worst = 0;
    let lowestCosine = 1;
    for (const file of demoSamples) {
      const image = await decodeImage(fs.readFileSync(file));
      const found = await detector.detect(image.data, image.width, image.height, { minFace: 16, minConfidence: 0.95 });
      expect(found.length).toBeGreaterThan(0);
      // As a photo: the detector's squares. A selfie-style black border of 100 px, with each face's square
      // moved so it reaches into the border and made non-square (the image edge clips it).
      const pad = 100;
      const squares = found.map((b) => landmarkCrop(b, image.width, image.height));
      const shifted = squares.map((r) => ({ x: Math.max(0, r.x + pad - Math.round(r.width / 2)), y: r.y + pad, width: r.width, height: Math.round(r.height * 0.8) }));
      for (const [padX, padY, crops] of [[0, 0, squares], [pad, pad, shifted]] as const) {
        const want = await faceApiLandmarks(faceapi, tf, image, padX, padY, [...crops]);
        const got = await onnx.detect({ data: image.data, width: image.width, height: image.height, padX, padY }, crops);
        expect(got).toHaveLength(crops.length);
        for (const [i, points] of got.entries()) {
          expect(points).toHaveLength(68);
          for (const [k, [x, y]] of points.entries()) {
            const [wx, wy] = want[i]![k]!;
            worst = Math.max(worst, Math.abs(x - wx) / crops[i]!.width, Math.abs(y - wy) / crops[i]!.height);
          }
          if (padX === 0) {
            // The matching descriptor from either set of points (unit vectors: the dot product is the cosine).
            const a = await arcface.embed(image.data, image.width, image.height, points);
            const b = await arcface.embed(image.data, image.width, image.height, want[i]!);
            lowestCosine = Math.min(lowestCosine, a.reduce((sum, v, k) => sum + v * b[k]!, 0));
          }
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(44);
    // Relative to the crop's size: 0.0001 is a hundredth of a pixel on a 100 px face (measured: 0.000001).
    expect(worst).toBeLessThan(0.0001);
    // Stored descriptors, thresholds and the calibration tables stay valid.
    expect(lowestCosine).toBeGreaterThan(0.9999);
  }, 120_000);
});

// face-api's age net as ONNX (core/faces/age) gives face-api's own ages on every face of the demo photos, from
// the landmark net's prepared batch; and the vendored file is what build-onnx.ts makes.
import fs from 'node:fs';
import type * as FaceApi from '@vladmandic/face-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { AGE_ONNX_PATH, buildAgeGenderOnnx } from '../../core/faces/age/build-onnx.ts';
import { decodeImage } from '../../core/faces/decode.ts';
import { detectFaces, FACE_API_MODEL_DIR, landmarkCrop, loadFaceApi } from '../../core/faces/detector.ts';
import { demoSamples } from '../helpers.ts';

type Tf = typeof import('@tensorflow/tfjs');

describe("face-api's age net on onnxruntime", () => {
  let faceapi: typeof FaceApi;
  let tf: Tf;
  beforeAll(async () => {
    faceapi = await loadFaceApi();
    tf = (await import('@tensorflow/tfjs')) as unknown as Tf;
    await faceapi.nets.ageGenderNet.loadFromDisk(FACE_API_MODEL_DIR);
  }, 60_000);

  it('the vendored ONNX file is what build-onnx.ts makes from the installed face-api weights', () => {
    expect(buildAgeGenderOnnx().equals(fs.readFileSync(AGE_ONNX_PATH))).toBe(true);
  });

  it('estimates the same age as face-api on every demo face', async () => {
    let compared = 0;
    for (const file of demoSamples) {
      const image = await decodeImage(fs.readFileSync(file));
      const faces = await detectFaces(image, { pad: false });
      expect(faces.length).toBeGreaterThan(0);
      // face-api on the same crops the landmark net saw, as int32 tensors.
      const tensors = faces.map((f) => {
        const r = landmarkCrop({ x: f.box.x / image.scale, y: f.box.y / image.scale, width: f.box.width / image.scale, height: f.box.height / image.scale }, image.width, image.height);
        const out = new Int32Array(r.width * r.height * 3);
        for (let row = 0; row < r.height; row++) for (let col = 0; col < r.width; col++) for (let c = 0; c < 3; c++) out[(row * r.width + col) * 3 + c] = image.data[((r.y + row) * image.width + r.x + col) * 3 + c]!;
        return tf.tensor3d(out, [r.height, r.width, 3], 'int32');
      });
      const result = await faceapi.nets.ageGenderNet.predictAgeAndGender(tensors as never);
      tf.dispose(tensors);
      const theirs = (Array.isArray(result) ? result : [result]).map((r) => r.age);
      faces.forEach((f, i) => {
        expect(f.age).toBeDefined();
        expect(Math.abs(f.age! - theirs[i]!), `${file} face ${i}`).toBeLessThan(0.1);
        compared++;
      });
    }
    expect(compared).toBeGreaterThanOrEqual(20);
  });
});

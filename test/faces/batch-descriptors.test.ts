// Issue 24: the descriptor model runs all faces of a photo at once (its batch dimension made dynamic in memory,
// core/faces/arcface/batch-model.ts); the vectors must be those of the model as shipped, one face a run.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadArcface } from '../../core/faces/arcface/arcface.ts';
import { createFaceEngine } from '../../core/faces/index.ts';
import { decodeImage } from '../../core/faces/decode.ts';
import { detectFaces } from '../../core/faces/detector.ts';
import { demoSamples } from '../helpers.ts';

const MODEL = fileURLToPath(new URL('../../core/faces/arcface/fr_feature.onnx', import.meta.url));
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot; // both unit length
};

describe('descriptors in batches', () => {
  it('gives every face of the demo photos the vector the shipped one-face model gives it (cosine > 0.9999)', async () => {
    const shipped = await loadArcface(MODEL, { batch: false });
    const batched = await loadArcface(MODEL);
    let faces = 0;
    let lowest = 1;
    for (const file of demoSamples) {
      const image = await decodeImage(fs.readFileSync(file));
      const found = await detectFaces(image, { pad: false });
      const landmarks = found.map((f) => f.landmarks.map(([x, y]) => [x / image.scale, y / image.scale] as const));
      const many = await batched.embedMany(image.data, image.width, image.height, landmarks);
      expect(many).toHaveLength(found.length);
      for (const [i, l] of landmarks.entries()) {
        const one = await shipped.embed(image.data, image.width, image.height, l);
        lowest = Math.min(lowest, cosine(one, many[i]!), cosine(one, found[i]!.descriptor));
        faces++;
      }
    }
    expect(faces).toBe(22);
    expect(lowest).toBeGreaterThan(0.9999);
    await Promise.all([shipped.release(), batched.release()]);
  }, 120_000);
});

describe('faces around hints', () => {
  it("finds each hinted face of the demo photos with the whole analysis' own descriptor, and no other face", async () => {
    const engine = createFaceEngine({ threads: 2, cacheEntries: 0 });
    try {
      let lowest = 1;
      let faces = 0;
      for (const file of demoSamples) {
        const bytes = fs.readFileSync(file);
        const whole = await engine.analyze(bytes);
        for (const face of whole.faces) {
          const around = await engine.analyzeAround!(bytes, [face.box]);
          expect(around.faces).toHaveLength(1);
          expect([around.width, around.height]).toEqual([whole.width, whole.height]);
          lowest = Math.min(lowest, cosine(around.faces[0]!.descriptor, face.descriptor));
          faces++;
        }
      }
      expect(faces).toBe(22);
      expect(lowest).toBeGreaterThan(0.9999);
    } finally {
      await engine.close();
    }
  }, 120_000);
});

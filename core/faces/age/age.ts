// face-api's AgeGenderNet on onnxruntime-node (age-gender.onnx, built from face-api's own weights by
// build-onnx.ts). It reads the landmark net's prepared batch (same 112 px crops, same normalisation), so an
// age costs one small network run per photo, no extra image work.
import * as ort from 'onnxruntime-node';
import { cpuSession } from '../arcface/ort-env.ts';

const INPUT = 112;

export interface AgeModel {
  /** Estimated age in years per crop of a prepared batch (landmark68.ts prepareCrops). */
  estimate(input: Float32Array, count: number): Promise<number[]>;
  release(): Promise<void>;
}

export async function loadAgeModel(modelPath: string, threads = 1): Promise<AgeModel> {
  const session = await cpuSession(modelPath, threads);
  return {
    async estimate(input, count) {
      if (count === 0) return [];
      const result = await session.run({ input: new ort.Tensor('float32', input, [count, 3, INPUT, INPUT]) });
      return Array.from(result['age']!.data as Float32Array);
    },
    release: () => session.release(),
  };
}

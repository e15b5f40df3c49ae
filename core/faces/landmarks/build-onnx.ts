// Builds an ONNX graph of face-api's FaceLandmark68Net from face-api's own weight files, so onnxruntime runs
// the very same network as face-api on tfjs (same weights, same layers; landmark68.test.ts checks the
// landmarks agree). Run `npx tsx core/faces/landmarks/build-onnx.ts` to write face-landmark-68.onnx again.
// The architecture follows face-api's src/faceFeatureExtractor (denseBlock4 x4, avgPool 7/2) and
// src/faceProcessor (fully connected 256 -> 136); input normalisation and output mapping live in landmark68.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FACE_API_MODEL_DIR, FaceApiGraph, modelProto, node, readFaceApiWeights, valueInfo } from '../onnx-writer.ts';

export { FACE_API_MODEL_DIR };
export const LANDMARK_ONNX_PATH = fileURLToPath(new URL('./face-landmark-68.onnx', import.meta.url));

/** The input's side: face-api's landmark net sees 112x112 crops. */
export const LANDMARK_INPUT = 112;

/**
 * ONNX ModelProto bytes: input `input` [N, 3, 112, 112] (RGB, (x - mean) / 255, see landmark68.ts), output
 * `landmarks` [N, 136] (x0, y0, x1, y1, ... relative to the 112 px square), exactly face-api's network.
 */
export function buildLandmarkOnnx(weights = readFaceApiWeights('face_landmark_68_model-weights_manifest.json')): Buffer {
  const g = new FaceApiGraph(weights);
  // tfjs 'same' padding: for stride 2 on an even input the one extra row/column goes at the end.
  const pads = (stride: number) => (stride === 2 ? [0, 0, 1, 1] : [1, 1, 1, 1]);
  // face-api's denseBlock4, same order of additions.
  const denseBlock4 = (x: string, prefix: string, first: boolean): string => {
    const out1 = g.op('Relu', [first ? g.conv(x, `${prefix}/conv0`, 2, pads(2)) : g.separable(x, `${prefix}/conv0`, 2, pads(2))]);
    const out2 = g.separable(out1, `${prefix}/conv1`, 1, pads(1));
    const in3 = g.op('Relu', [g.op('Add', [out1, out2])]);
    const out3 = g.separable(in3, `${prefix}/conv2`, 1, pads(1));
    const in4 = g.op('Relu', [g.op('Add', [out1, g.op('Add', [out2, out3])])]);
    const out4 = g.separable(in4, `${prefix}/conv3`, 1, pads(1));
    return g.op('Relu', [g.op('Add', [out1, g.op('Add', [out2, g.op('Add', [out3, out4])])])]);
  };
  let x = denseBlock4('input', 'dense0', true);
  x = denseBlock4(x, 'dense1', false);
  x = denseBlock4(x, 'dense2', false);
  x = denseBlock4(x, 'dense3', false);
  g.nodes.push(node('AveragePool', [x], 'pooled', { kernel_shape: { ints: [7, 7] }, strides: { ints: [2, 2] } }));
  g.nodes.push(node('Flatten', ['pooled'], 'features', { axis: { int: 1 } }));
  g.dense('features', 'fc', 'landmarks');
  g.assertAllUsed();
  return modelProto(
    'facedrop core/faces/landmarks/build-onnx.ts from @vladmandic/face-api face_landmark_68_model',
    'face_landmark_68',
    g.nodes,
    g.inits,
    [valueInfo('input', ['N', 3, LANDMARK_INPUT, LANDMARK_INPUT])],
    [valueInfo('landmarks', ['N', 136])],
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(LANDMARK_ONNX_PATH, buildLandmarkOnnx());
  console.log(`wrote ${LANDMARK_ONNX_PATH}`);
}

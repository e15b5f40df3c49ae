// Builds an ONNX graph of face-api's FaceLandmark68Net from face-api's own weight files, so onnxruntime runs
// the very same network as face-api on tfjs (same weights, same layers; landmark68.test.ts checks the
// landmarks agree). Run `npx tsx core/faces/landmarks/build-onnx.ts` to write face-landmark-68.onnx again.
// The architecture follows face-api's src/faceFeatureExtractor (denseBlock4 x4, avgPool 7/2) and
// src/faceProcessor (fully connected 256 -> 136); input normalisation and output mapping live in landmark68.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FACE_API_MODEL_DIR, modelProto, node, Pb, readFaceApiWeights, tensor, valueInfo } from '../onnx-writer.ts';

export { FACE_API_MODEL_DIR };
export const LANDMARK_ONNX_PATH = fileURLToPath(new URL('./face-landmark-68.onnx', import.meta.url));

/** The input's side: face-api's landmark net sees 112x112 crops. */
export const LANDMARK_INPUT = 112;

/**
 * ONNX ModelProto bytes: input `input` [N, 3, 112, 112] (RGB, (x - mean) / 255, see landmark68.ts), output
 * `landmarks` [N, 136] (x0, y0, x1, y1, ... relative to the 112 px square), exactly face-api's network.
 */
export function buildLandmarkOnnx(weights = readFaceApiWeights('face_landmark_68_model-weights_manifest.json')): Buffer {
  const nodes: Pb[] = [];
  const inits: Pb[] = [];
  const used = new Set<string>();
  const get = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`face-api weights: no ${name}`);
    used.add(name);
    return w;
  };
  const init = (name: string, dims: number[], values: Float32Array) => {
    inits.push(tensor(name, dims, values));
    return name;
  };
  // tfjs 'same' padding: for stride 2 on an even input the one extra row/column goes at the end.
  const pads = (stride: number) => (stride === 2 ? [0, 0, 1, 1] : [1, 1, 1, 1]);

  const conv = (x: string, prefix: string, stride: number): string => {
    // HWIO [3, 3, Cin, Cout] -> OIHW
    const f = get(`${prefix}/filters`);
    const [kh, kw, cin, cout] = f.shape as [number, number, number, number];
    const w = new Float32Array(f.values.length);
    for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) for (let h = 0; h < kh; h++) for (let k = 0; k < kw; k++) w[((o * cin + i) * kh + h) * kw + k] = f.values[((h * kw + k) * cin + i) * cout + o]!;
    const out = `${prefix}/out`;
    nodes.push(node('Conv', [x, init(`${prefix}/W`, [cout, cin, kh, kw], w), init(`${prefix}/B`, [cout], get(`${prefix}/bias`).values)], out, { kernel_shape: { ints: [kh, kw] }, strides: { ints: [stride, stride] }, pads: { ints: pads(stride) } }));
    return out;
  };
  const separable = (x: string, prefix: string, stride: number): string => {
    const d = get(`${prefix}/depthwise_filter`); // [3, 3, C, 1]
    const [kh, kw, c] = d.shape as [number, number, number];
    const dw = new Float32Array(d.values.length);
    for (let ch = 0; ch < c; ch++) for (let h = 0; h < kh; h++) for (let k = 0; k < kw; k++) dw[(ch * kh + h) * kw + k] = d.values[(h * kw + k) * c + ch]!;
    const p = get(`${prefix}/pointwise_filter`); // [1, 1, Cin, Cout]
    const cout = p.shape[3]!;
    const pw = new Float32Array(p.values.length);
    for (let o = 0; o < cout; o++) for (let i = 0; i < c; i++) pw[o * c + i] = p.values[i * cout + o]!;
    const mid = `${prefix}/depthwise`;
    nodes.push(node('Conv', [x, init(`${prefix}/DW`, [c, 1, kh, kw], dw)], mid, { group: { int: c }, kernel_shape: { ints: [kh, kw] }, strides: { ints: [stride, stride] }, pads: { ints: pads(stride) } }));
    const out = `${prefix}/out`;
    nodes.push(node('Conv', [mid, init(`${prefix}/PW`, [cout, c, 1, 1], pw), init(`${prefix}/B`, [cout], get(`${prefix}/bias`).values)], out, { kernel_shape: { ints: [1, 1] } }));
    return out;
  };
  let n = 0;
  const op = (type: string, inputs: string[]) => {
    const out = `${type.toLowerCase()}${n++}`;
    nodes.push(node(type, inputs, out));
    return out;
  };
  // face-api's denseBlock4, same order of additions.
  const denseBlock4 = (x: string, prefix: string, first: boolean): string => {
    const out1 = op('Relu', [first ? conv(x, `${prefix}/conv0`, 2) : separable(x, `${prefix}/conv0`, 2)]);
    const out2 = separable(out1, `${prefix}/conv1`, 1);
    const in3 = op('Relu', [op('Add', [out1, out2])]);
    const out3 = separable(in3, `${prefix}/conv2`, 1);
    const in4 = op('Relu', [op('Add', [out1, op('Add', [out2, out3])])]);
    const out4 = separable(in4, `${prefix}/conv3`, 1);
    return op('Relu', [op('Add', [out1, op('Add', [out2, op('Add', [out3, out4])])])]);
  };
  let x = denseBlock4('input', 'dense0', true);
  x = denseBlock4(x, 'dense1', false);
  x = denseBlock4(x, 'dense2', false);
  x = denseBlock4(x, 'dense3', false);
  nodes.push(node('AveragePool', [x], 'pooled', { kernel_shape: { ints: [7, 7] }, strides: { ints: [2, 2] } }));
  nodes.push(node('Flatten', ['pooled'], 'features', { axis: { int: 1 } }));
  const fc = get('fc/weights');
  nodes.push(node('Gemm', ['features', init('fc/W', fc.shape, fc.values), init('fc/B', [fc.shape[1]!], get('fc/bias').values)], 'landmarks'));
  const unused = [...weights.keys()].filter((k) => !used.has(k));
  if (unused.length) throw new Error(`face-api weights not used: ${unused.join(', ')}`);

  return modelProto(
    'facedrop core/faces/landmarks/build-onnx.ts from @vladmandic/face-api face_landmark_68_model',
    'face_landmark_68',
    nodes,
    inits,
    [valueInfo('input', ['N', 3, LANDMARK_INPUT, LANDMARK_INPUT])],
    [valueInfo('landmarks', ['N', 136])],
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(LANDMARK_ONNX_PATH, buildLandmarkOnnx());
  console.log(`wrote ${LANDMARK_ONNX_PATH}`);
}

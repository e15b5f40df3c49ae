// Builds an ONNX graph of face-api's AgeGenderNet from face-api's own weight files, so onnxruntime runs the very
// same network as face-api on tfjs (age.test.ts checks the ages agree). Run `npx tsx core/faces/age/build-onnx.ts`
// to write age-gender.onnx again. The architecture follows face-api's src/xception/TinyXception (2 main blocks)
// and src/ageGenderNet (avgPool 7/2, fully connected 512 -> 1 age, 512 -> 2 gender); input preparation is the
// landmark net's (both see the same 112 px crop, landmark68.ts), so one prepared batch feeds both.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelProto, node, Pb, readFaceApiWeights, samePads, tensor, valueInfo } from '../onnx-writer.ts';

export const AGE_ONNX_PATH = fileURLToPath(new URL('./age-gender.onnx', import.meta.url));
const INPUT = 112;

/**
 * ONNX ModelProto bytes: input `input` [N, 3, 112, 112] (RGB, (x - mean) / 255, as the landmark net's), outputs
 * `age` [N, 1] (years, face-api's regression) and `gender` [N, 2] (logits; face-api applies softmax).
 */
export function buildAgeGenderOnnx(weights = readFaceApiWeights('age_gender_model-weights_manifest.json')): Buffer {
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
  let n = 0;
  const op = (type: string, inputs: string[], attrs = {}) => {
    const out = `${type.toLowerCase()}${n++}`;
    nodes.push(node(type, inputs, out, attrs));
    return out;
  };
  // Feature maps carry their side so that tfjs' 'same' padding is reproduced for each layer.
  type Map = { name: string; side: number };
  const conv = (x: Map, prefix: string, stride: number): Map => {
    const f = get(`${prefix}/filters`); // HWIO
    const [kh, kw, cin, cout] = f.shape as [number, number, number, number];
    const w = new Float32Array(f.values.length);
    for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) for (let h = 0; h < kh; h++) for (let k = 0; k < kw; k++) w[((o * cin + i) * kh + h) * kw + k] = f.values[((h * kw + k) * cin + i) * cout + o]!;
    const out = op('Conv', [x.name, init(`${prefix}/W`, [cout, cin, kh, kw], w), init(`${prefix}/B`, [cout], get(`${prefix}/bias`).values)], {
      kernel_shape: { ints: [kh, kw] },
      strides: { ints: [stride, stride] },
      pads: { ints: samePads(x.side, kh, stride) },
    });
    return { name: out, side: Math.ceil(x.side / stride) };
  };
  const separable = (x: Map, prefix: string): Map => {
    const d = get(`${prefix}/depthwise_filter`); // [3, 3, C, 1]
    const [kh, kw, c] = d.shape as [number, number, number];
    const dw = new Float32Array(d.values.length);
    for (let ch = 0; ch < c; ch++) for (let h = 0; h < kh; h++) for (let k = 0; k < kw; k++) dw[(ch * kh + h) * kw + k] = d.values[(h * kw + k) * c + ch]!;
    const p = get(`${prefix}/pointwise_filter`); // [1, 1, Cin, Cout]
    const cout = p.shape[3]!;
    const pw = new Float32Array(p.values.length);
    for (let o = 0; o < cout; o++) for (let i = 0; i < c; i++) pw[o * c + i] = p.values[i * cout + o]!;
    const mid = op('Conv', [x.name, init(`${prefix}/DW`, [c, 1, kh, kw], dw)], { group: { int: c }, kernel_shape: { ints: [kh, kw] }, pads: { ints: samePads(x.side, kh, 1) } });
    const out = op('Conv', [mid, init(`${prefix}/PW`, [cout, c, 1, 1], pw), init(`${prefix}/B`, [cout], get(`${prefix}/bias`).values)], { kernel_shape: { ints: [1, 1] } });
    return { name: out, side: x.side };
  };
  const relu = (x: Map): Map => ({ name: op('Relu', [x.name]), side: x.side });
  const add = (a: Map, b: Map): Map => ({ name: op('Add', [a.name, b.name]), side: a.side });
  // TinyXception's reductionBlock and mainBlock, in face-api's order of operations.
  const reduction = (x: Map, prefix: string, activateInput: boolean): Map => {
    let out = activateInput ? relu(x) : x;
    out = separable(out, `${prefix}/separable_conv0`);
    out = separable(relu(out), `${prefix}/separable_conv1`);
    const pooled = { name: op('MaxPool', [out.name], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: samePads(out.side, 3, 2) } }), side: Math.ceil(out.side / 2) };
    return add(pooled, conv(x, `${prefix}/expansion_conv`, 2));
  };
  const main = (x: Map, prefix: string): Map => {
    let out = separable(relu(x), `${prefix}/separable_conv0`);
    out = separable(relu(out), `${prefix}/separable_conv1`);
    out = separable(relu(out), `${prefix}/separable_conv2`);
    return add(out, x);
  };
  let x = relu(conv({ name: 'input', side: INPUT }, 'entry_flow/conv_in', 2));
  x = reduction(x, 'entry_flow/reduction_block_0', false);
  x = reduction(x, 'entry_flow/reduction_block_1', true);
  x = main(x, 'middle_flow/main_block_0');
  x = main(x, 'middle_flow/main_block_1');
  x = reduction(x, 'exit_flow/reduction_block', true);
  x = relu(separable(x, 'exit_flow/separable_conv'));
  nodes.push(node('AveragePool', [x.name], 'pooled', { kernel_shape: { ints: [7, 7] }, strides: { ints: [2, 2] } }));
  nodes.push(node('Flatten', ['pooled'], 'features', { axis: { int: 1 } }));
  for (const head of ['age', 'gender'] as const) {
    const w = get(`fc/${head}/weights`);
    nodes.push(node('Gemm', ['features', init(`fc/${head}/W`, w.shape, w.values), init(`fc/${head}/B`, [w.shape[1]!], get(`fc/${head}/bias`).values)], head));
  }
  const unused = [...weights.keys()].filter((k) => !used.has(k));
  if (unused.length) throw new Error(`face-api weights not used: ${unused.join(', ')}`);
  return modelProto(
    'facedrop core/faces/age/build-onnx.ts from @vladmandic/face-api age_gender_model',
    'age_gender',
    nodes,
    inits,
    [valueInfo('input', ['N', 3, INPUT, INPUT])],
    [valueInfo('age', ['N', 1]), valueInfo('gender', ['N', 2])],
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(AGE_ONNX_PATH, buildAgeGenderOnnx());
  console.log(`wrote ${AGE_ONNX_PATH}`);
}

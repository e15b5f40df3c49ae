// Builds an ONNX graph of face-api's AgeGenderNet from face-api's own weight files, so onnxruntime runs the very
// same network as face-api on tfjs (age.test.ts checks the ages agree). Run `npx tsx core/faces/age/build-onnx.ts`
// to write age-gender.onnx again. The architecture follows face-api's src/xception/TinyXception (2 main blocks)
// and src/ageGenderNet (avgPool 7/2, fully connected 512 -> 1 age, 512 -> 2 gender); input preparation is the
// landmark net's (both see the same 112 px crop, landmark68.ts), so one prepared batch feeds both.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaceApiGraph, modelProto, node, readFaceApiWeights, samePads, valueInfo } from '../onnx-writer.ts';

export const AGE_ONNX_PATH = fileURLToPath(new URL('./age-gender.onnx', import.meta.url));
const INPUT = 112;

/**
 * ONNX ModelProto bytes: input `input` [N, 3, 112, 112] (RGB, (x - mean) / 255, as the landmark net's), outputs
 * `age` [N, 1] (years, face-api's regression) and `gender` [N, 2] (logits; face-api applies softmax).
 */
export function buildAgeGenderOnnx(weights = readFaceApiWeights('age_gender_model-weights_manifest.json')): Buffer {
  const g = new FaceApiGraph(weights);
  // Feature maps carry their side so that tfjs' 'same' padding is reproduced for each layer.
  type Map = { name: string; side: number };
  const conv = (x: Map, prefix: string, stride: number): Map => {
    const kernel = g.get(`${prefix}/filters`).shape[0]!;
    return { name: g.conv(x.name, prefix, stride, samePads(x.side, kernel, stride)), side: Math.ceil(x.side / stride) };
  };
  const separable = (x: Map, prefix: string): Map => ({ name: g.separable(x.name, prefix, 1, samePads(x.side, 3, 1)), side: x.side });
  const relu = (x: Map): Map => ({ name: g.op('Relu', [x.name]), side: x.side });
  const add = (a: Map, b: Map): Map => ({ name: g.op('Add', [a.name, b.name]), side: a.side });
  // TinyXception's reductionBlock and mainBlock, in face-api's order of operations.
  const reduction = (x: Map, prefix: string, activateInput: boolean): Map => {
    let out = activateInput ? relu(x) : x;
    out = separable(out, `${prefix}/separable_conv0`);
    out = separable(relu(out), `${prefix}/separable_conv1`);
    const pooled = { name: g.op('MaxPool', [out.name], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: samePads(out.side, 3, 2) } }), side: Math.ceil(out.side / 2) };
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
  g.nodes.push(node('AveragePool', [x.name], 'pooled', { kernel_shape: { ints: [7, 7] }, strides: { ints: [2, 2] } }));
  g.nodes.push(node('Flatten', ['pooled'], 'features', { axis: { int: 1 } }));
  g.dense('features', 'fc/age', 'age');
  g.dense('features', 'fc/gender', 'gender');
  g.assertAllUsed();
  return modelProto(
    'facedrop core/faces/age/build-onnx.ts from @vladmandic/face-api age_gender_model',
    'age_gender',
    g.nodes,
    g.inits,
    [valueInfo('input', ['N', 3, INPUT, INPUT])],
    [valueInfo('age', ['N', 1]), valueInfo('gender', ['N', 2])],
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(AGE_ONNX_PATH, buildAgeGenderOnnx());
  console.log(`wrote ${AGE_ONNX_PATH}`);
}

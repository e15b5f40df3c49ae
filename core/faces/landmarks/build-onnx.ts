// Builds an ONNX graph of face-api's FaceLandmark68Net from face-api's own weight files, so onnxruntime runs
// the very same network as face-api on tfjs (same weights, same layers; landmark68.test.ts checks the
// landmarks agree). Run `npx tsx core/faces/landmarks/build-onnx.ts` to write face-landmark-68.onnx again.
// The architecture follows face-api's src/faceFeatureExtractor (denseBlock4 x4, avgPool 7/2) and
// src/faceProcessor (fully connected 256 -> 136); input normalisation and output mapping live in landmark68.ts.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** face-api's model folder, inside its npm package. */
export const FACE_API_MODEL_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
export const LANDMARK_ONNX_PATH = fileURLToPath(new URL('./face-landmark-68.onnx', import.meta.url));

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale: number; min: number };
}

/** Reads face-api's weights as tfjs does: uint8 values dequantised as q * scale + min, in manifest order. */
export function readFaceApiWeights(modelDir = FACE_API_MODEL_DIR): Map<string, { shape: number[]; values: Float32Array }> {
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'face_landmark_68_model-weights_manifest.json'), 'utf8')) as Array<{ paths: string[]; weights: ManifestWeight[] }>;
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const group of manifest) {
    const bytes = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(modelDir, p))));
    let offset = 0;
    for (const w of group.weights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      const q = w.quantization;
      if (q?.dtype === 'uint8') {
        for (let i = 0; i < size; i++) values[i] = bytes[offset + i]! * q.scale + q.min;
        offset += size;
      } else if (!q && w.dtype === 'float32') {
        values.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + size * 4)));
        offset += size * 4;
      } else {
        throw new Error(`${w.name}: unsupported weight encoding ${q?.dtype ?? w.dtype}`);
      }
      out.set(w.name, { shape: w.shape, values });
    }
    if (offset !== bytes.length) throw new Error(`face-api weights: read ${offset} of ${bytes.length} bytes`);
  }
  return out;
}

// --- a minimal protobuf writer, enough for ONNX's ModelProto ---

class Pb {
  private parts: Buffer[] = [];
  private static varint(n: number | bigint): Buffer {
    let v = BigInt(n);
    if (v < 0n) v += 1n << 64n;
    const bytes: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      bytes.push(b);
    } while (v > 0n);
    return Buffer.from(bytes);
  }
  int(field: number, n: number): this {
    this.parts.push(Pb.varint(field << 3), Pb.varint(n));
    return this;
  }
  float(field: number, f: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(f);
    this.parts.push(Pb.varint((field << 3) | 5), b);
    return this;
  }
  bytes(field: number, data: Buffer | Pb | string): this {
    const b = data instanceof Pb ? data.done() : typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.parts.push(Pb.varint((field << 3) | 2), Pb.varint(b.length), b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const FLOAT = 1;

function tensor(name: string, dims: number[], values: Float32Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, FLOAT).bytes(8, name);
  return t.bytes(9, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
}

type Attr = { ints: number[] } | { int: number };

function node(op: string, inputs: string[], output: string, attrs: Record<string, Attr> = {}): Pb {
  const n = new Pb();
  for (const i of inputs) n.bytes(1, i);
  n.bytes(2, output).bytes(3, output).bytes(4, op);
  for (const [name, a] of Object.entries(attrs)) {
    const p = new Pb().bytes(1, name);
    if ('ints' in a) {
      for (const v of a.ints) p.int(8, v);
      p.int(20, 7);
    } else {
      p.int(3, a.int).int(20, 2);
    }
    n.bytes(5, p);
  }
  return n;
}

function valueInfo(name: string, dims: Array<number | string>): Pb {
  const shape = new Pb();
  for (const d of dims) shape.bytes(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().bytes(2, d));
  return new Pb().bytes(1, name).bytes(2, new Pb().bytes(1, new Pb().int(1, FLOAT).bytes(2, shape)));
}

/** The input's side: face-api's landmark net sees 112x112 crops. */
export const LANDMARK_INPUT = 112;

/**
 * ONNX ModelProto bytes: input `input` [N, 3, 112, 112] (RGB, (x - mean) / 255, see landmark68.ts), output
 * `landmarks` [N, 136] (x0, y0, x1, y1, ... relative to the 112 px square), exactly face-api's network.
 */
export function buildLandmarkOnnx(weights = readFaceApiWeights()): Buffer {
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

  const graph = new Pb();
  for (const nd of nodes) graph.bytes(1, nd);
  graph.bytes(2, 'face_landmark_68');
  for (const t of inits) graph.bytes(5, t);
  graph.bytes(11, valueInfo('input', ['N', 3, LANDMARK_INPUT, LANDMARK_INPUT]));
  graph.bytes(12, valueInfo('landmarks', ['N', 136]));
  return new Pb()
    .int(1, 8) // IR version 8
    .bytes(2, 'facedrop core/faces/landmarks/build-onnx.ts from @vladmandic/face-api face_landmark_68_model')
    .bytes(7, graph)
    .bytes(8, new Pb().bytes(1, '').int(2, 13)) // opset 13
    .done();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(LANDMARK_ONNX_PATH, buildLandmarkOnnx());
  console.log(`wrote ${LANDMARK_ONNX_PATH}`);
}

// Writes ONNX graphs of face-api's networks from face-api's own weight files (a minimal protobuf writer and
// tfjs' weight dequantisation), so onnxruntime runs the very same networks without tfjs in the face workers.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** face-api's model folder, inside its npm package. */
export const FACE_API_MODEL_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale: number; min: number };
}

/** Reads face-api's weights as tfjs does: uint8 values dequantised as q * scale + min, in manifest order. */
export function readFaceApiWeights(manifestFile: string, modelDir = FACE_API_MODEL_DIR): Map<string, { shape: number[]; values: Float32Array }> {
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, manifestFile), 'utf8')) as Array<{ paths: string[]; weights: ManifestWeight[] }>;
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

export class Pb {
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

export type Attr = { ints: number[] } | { int: number };

export function tensor(name: string, dims: number[], values: Float32Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, FLOAT).bytes(8, name);
  return t.bytes(9, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
}

export function node(op: string, inputs: string[], output: string, attrs: Record<string, Attr> = {}): Pb {
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

export function valueInfo(name: string, dims: Array<number | string>): Pb {
  const shape = new Pb();
  for (const d of dims) shape.bytes(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().bytes(2, d));
  return new Pb().bytes(1, name).bytes(2, new Pb().bytes(1, new Pb().int(1, FLOAT).bytes(2, shape)));
}

type Weights = Map<string, { shape: number[]; values: Float32Array }>;

/**
 * An ONNX graph being written from face-api's weights: its nodes, its initialisers, and face-api's layer kinds
 * (HWIO convolutions with bias, depthwise-separable convolutions) in ONNX's layout. Every weight must be used.
 */
export class FaceApiGraph {
  readonly nodes: Pb[] = [];
  readonly inits: Pb[] = [];
  readonly #used = new Set<string>();
  #n = 0;

  constructor(private readonly weights: Weights) {}

  get(name: string): { shape: number[]; values: Float32Array } {
    const w = this.weights.get(name);
    if (!w) throw new Error(`face-api weights: no ${name}`);
    this.#used.add(name);
    return w;
  }

  init(name: string, dims: number[], values: Float32Array): string {
    this.inits.push(tensor(name, dims, values));
    return name;
  }

  /** A node whose output is named after its kind and place (`relu0`, `add1`, ...). */
  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    const out = `${type.toLowerCase()}${this.#n++}`;
    this.nodes.push(node(type, inputs, out, attrs));
    return out;
  }

  /** face-api's convolution (HWIO filters, bias) as an ONNX Conv (OIHW); output `${prefix}/out`. */
  conv(x: string, prefix: string, stride: number, pads: number[]): string {
    const f = this.get(`${prefix}/filters`);
    const [kh, kw, cin, cout] = f.shape as [number, number, number, number];
    const w = new Float32Array(f.values.length);
    for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) for (let h = 0; h < kh; h++) for (let k = 0; k < kw; k++) w[((o * cin + i) * kh + h) * kw + k] = f.values[((h * kw + k) * cin + i) * cout + o]!;
    const out = `${prefix}/out`;
    this.nodes.push(node('Conv', [x, this.init(`${prefix}/W`, [cout, cin, kh, kw], w), this.init(`${prefix}/B`, [cout], this.get(`${prefix}/bias`).values)], out, { kernel_shape: { ints: [kh, kw] }, strides: { ints: [stride, stride] }, pads: { ints: pads } }));
    return out;
  }

  /** face-api's depthwise-separable convolution: a grouped Conv, then a 1x1 Conv with the bias; output `${prefix}/out`. */
  separable(x: string, prefix: string, stride: number, pads: number[]): string {
    const d = this.get(`${prefix}/depthwise_filter`); // [3, 3, C, 1]
    const [kh, kw, c] = d.shape as [number, number, number];
    const dw = new Float32Array(d.values.length);
    for (let ch = 0; ch < c; ch++) for (let h = 0; h < kh; h++) for (let k = 0; k < kw; k++) dw[(ch * kh + h) * kw + k] = d.values[(h * kw + k) * c + ch]!;
    const p = this.get(`${prefix}/pointwise_filter`); // [1, 1, Cin, Cout]
    const cout = p.shape[3]!;
    const pw = new Float32Array(p.values.length);
    for (let o = 0; o < cout; o++) for (let i = 0; i < c; i++) pw[o * c + i] = p.values[i * cout + o]!;
    const mid = `${prefix}/depthwise`;
    this.nodes.push(node('Conv', [x, this.init(`${prefix}/DW`, [c, 1, kh, kw], dw)], mid, { group: { int: c }, kernel_shape: { ints: [kh, kw] }, strides: { ints: [stride, stride] }, pads: { ints: pads } }));
    const out = `${prefix}/out`;
    this.nodes.push(node('Conv', [mid, this.init(`${prefix}/PW`, [cout, c, 1, 1], pw), this.init(`${prefix}/B`, [cout], this.get(`${prefix}/bias`).values)], out, { kernel_shape: { ints: [1, 1] } }));
    return out;
  }

  /** A fully connected layer (weights [in, out], bias) as Gemm, output named `out`. */
  dense(x: string, prefix: string, out: string): string {
    const w = this.get(`${prefix}/weights`);
    this.nodes.push(node('Gemm', [x, this.init(`${prefix}/W`, w.shape, w.values), this.init(`${prefix}/B`, [w.shape[1]!], this.get(`${prefix}/bias`).values)], out));
    return out;
  }

  /** Throws when a weight of the file was not used: the graph would not be face-api's network. */
  assertAllUsed(): void {
    const unused = [...this.weights.keys()].filter((k) => !this.#used.has(k));
    if (unused.length) throw new Error(`face-api weights not used: ${unused.join(', ')}`);
  }
}

/** tfjs 'same' padding as ONNX pads [top, left, bottom, right]: the odd extra row/column goes at the end. */
export function samePads(input: number, kernel: number, stride: number): number[] {
  const total = Math.max(input % stride === 0 ? kernel - stride : kernel - (input % stride), 0);
  const before = Math.floor(total / 2);
  return [before, before, total - before, total - before];
}

/** A ModelProto: IR 8, opset 13. */
export function modelProto(producer: string, graphName: string, nodes: Pb[], inits: Pb[], inputs: Pb[], outputs: Pb[]): Buffer {
  const graph = new Pb();
  for (const nd of nodes) graph.bytes(1, nd);
  graph.bytes(2, graphName);
  for (const t of inits) graph.bytes(5, t);
  for (const i of inputs) graph.bytes(11, i);
  for (const o of outputs) graph.bytes(12, o);
  return new Pb().int(1, 8).bytes(2, producer).bytes(7, graph).bytes(8, new Pb().bytes(1, '').int(2, 13)).done();
}

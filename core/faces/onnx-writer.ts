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

// fr_feature.onnx as shipped takes one face: its input is declared [1, 3, 112, 112], its output [1, 512], and its
// one Reshape (the 512x1x1 embedding to a row) has the constant shape [1, -1]. This rewrites those three places of
// the ONNX protobuf in memory so a run takes N faces ([N, 3, 112, 112] -> [N, 512]); the weights and every other
// node are copied byte for byte. test/faces/batch-descriptors.test.ts checks the batched vectors against the
// single-face ones (cosine > 0.9999).

interface Field {
  field: number;
  wire: number;
  /** The encoded value's bytes (for wire type 2, without its length prefix). */
  value: Buffer;
  /** The whole encoded field (key included), as read. */
  raw: Buffer;
}

function readVarint(b: Buffer, at: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const byte = b[at++];
    if (byte === undefined) throw new Error('truncated protobuf varint');
    result |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) return [result, at];
  }
}

function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

function parse(b: Buffer): Field[] {
  const fields: Field[] = [];
  let at = 0;
  while (at < b.length) {
    const start = at;
    const [key, afterKey] = readVarint(b, at);
    at = afterKey;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value: Buffer;
    if (wire === 0) {
      const [, end] = readVarint(b, at);
      value = b.subarray(at, end);
      at = end;
    } else if (wire === 2) {
      const [length, from] = readVarint(b, at);
      value = b.subarray(from, from + Number(length));
      at = from + Number(length);
    } else if (wire === 5) {
      value = b.subarray(at, at + 4);
      at += 4;
    } else if (wire === 1) {
      value = b.subarray(at, at + 8);
      at += 8;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
    fields.push({ field, wire, value, raw: b.subarray(start, at) });
  }
  return fields;
}

const lengthDelimited = (field: number, value: Buffer) => Buffer.concat([varint((field << 3) | 2), varint(value.length), value]);

/** The message with each field passed through `edit` (which returns a replacement value for wire type 2 fields, or undefined to keep it). */
function rewrite(b: Buffer, edit: (f: Field, index: number) => Buffer | undefined): Buffer {
  return Buffer.concat(
    parse(b).map((f, i) => {
      const replaced = f.wire === 2 ? edit(f, i) : undefined;
      return replaced === undefined ? f.raw : lengthDelimited(f.field, replaced);
    }),
  );
}

const text = (fields: Field[], n: number) => fields.find((f) => f.field === n)?.value.toString('utf8');

// ONNX field numbers (onnx.proto3).
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OP_TYPE = 4;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_PARAM = 2;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;

/** A ValueInfoProto whose tensor shape's first dimension becomes the symbolic `batch`. */
function dynamicFirstDim(valueInfo: Buffer): Buffer {
  return rewrite(valueInfo, (f) =>
    f.field !== VALUE_INFO_TYPE
      ? undefined
      : rewrite(f.value, (t) =>
          t.field !== TYPE_TENSOR
            ? undefined
            : rewrite(t.value, (s) => {
                if (s.field !== TENSOR_TYPE_SHAPE) return undefined;
                let first = true;
                return rewrite(s.value, (d) => {
                  if (d.field !== SHAPE_DIM || !first) return undefined;
                  first = false;
                  return lengthDelimited(DIM_PARAM, Buffer.from('batch'));
                });
              }),
        ),
  );
}

const INT64_ONE_MINUS_ONE = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** Reshape's shape [0, -1]: 0 copies the input's dimension (the batch), -1 takes the rest. */
const INT64_ZERO_MINUS_ONE = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/**
 * The descriptor model's bytes with a dynamic batch dimension. Throws when the graph is not the one expected
 * (no Reshape to [1, -1], or not one input and one output), so a different model is never silently mis-edited.
 */
export function withDynamicBatch(model: Uint8Array): Buffer {
  const bytes = Buffer.from(model.buffer, model.byteOffset, model.byteLength);
  let edits = 0;
  const out = rewrite(bytes, (m) => {
    if (m.field !== MODEL_GRAPH) return undefined;
    const graph = parse(m.value);
    const reshapeShapes = new Set(
      graph
        .filter((f) => f.field === GRAPH_NODE && text(parse(f.value), NODE_OP_TYPE) === 'Reshape')
        .map((f) => parse(f.value).filter((x) => x.field === NODE_INPUT)[1]?.value.toString('utf8')),
    );
    const inputs = graph.filter((f) => f.field === GRAPH_INPUT).map((f) => text(parse(f.value), 1));
    const initializers = new Set(graph.filter((f) => f.field === GRAPH_INITIALIZER).map((f) => text(parse(f.value), TENSOR_NAME)));
    // Older exports list the initializers among the graph's inputs: only the real input is made dynamic.
    const realInputs = inputs.filter((name) => !initializers.has(name));
    if (realInputs.length !== 1) throw new Error(`descriptor model: expected one input, found ${realInputs.length}`);
    return rewrite(m.value, (f) => {
      if (f.field === GRAPH_INPUT && !initializers.has(text(parse(f.value), 1))) {
        edits++;
        return dynamicFirstDim(f.value);
      }
      if (f.field === GRAPH_OUTPUT) {
        edits++;
        return dynamicFirstDim(f.value);
      }
      if (f.field === GRAPH_INITIALIZER && reshapeShapes.has(text(parse(f.value), TENSOR_NAME))) {
        return rewrite(f.value, (t) => {
          if (t.field !== TENSOR_RAW_DATA) return undefined;
          if (!t.value.equals(INT64_ONE_MINUS_ONE)) throw new Error('descriptor model: a Reshape shape other than [1, -1]');
          edits++;
          return INT64_ZERO_MINUS_ONE;
        });
      }
      return undefined;
    });
  });
  if (edits !== 3) throw new Error(`descriptor model: expected 3 edits (input, output, Reshape), made ${edits}`);
  return out;
}

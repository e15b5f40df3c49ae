/** Scales a descriptor to unit length: distances are then cosine distances (FACE-NOTES.md: better than Euclidean). */
export function normalize(descriptor: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(descriptor);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i]! * out[i]!;
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < out.length; i++) out[i]! /= norm;
  return out;
}

/** Cosine distance (1 - cos) of two unit vectors: 0 same direction, 1 orthogonal, 2 opposite. */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return 1 - dot;
}

import usearch from 'usearch';
import { normalize } from './vectors.ts';

export interface GalleryMember {
  id: string;
  /** Raw descriptors of the member's reference selfies (one or more). */
  descriptors: ArrayLike<number>[];
}

/** Per query: the nearest member, and the nearest other member (cosine distances; -1/Infinity when absent). */
export interface NearestTwo {
  best: number;
  bestDistance: number;
  secondDistance: number;
}

/** Above this many reference rows the native SIMD scan (usearch's exact search) beats a JS loop. */
const NATIVE_SCAN_ROWS = 4096;

/**
 * Reference descriptors of a group's members, unit-normalised and packed into one contiguous array,
 * so a photo's faces are compared with every reference in one scan.
 */
export class Gallery {
  readonly memberIds: string[];
  /** For each packed reference row, the index of its member in memberIds. */
  readonly owner: Int32Array;
  readonly vectors: Float32Array;
  readonly dim: number;
  /** Reference count per member. */
  readonly referenceCounts: Int32Array;
  readonly #maxReferences: number;

  constructor(members: GalleryMember[]) {
    this.memberIds = members.map((m) => m.id);
    const rows = members.reduce((n, m) => n + m.descriptors.length, 0);
    this.dim = members.find((m) => m.descriptors.length > 0)?.descriptors[0]?.length ?? 128;
    this.vectors = new Float32Array(rows * this.dim);
    this.owner = new Int32Array(rows);
    this.referenceCounts = new Int32Array(members.length);
    let row = 0;
    members.forEach((m, memberIndex) => {
      for (const d of m.descriptors) {
        if (d.length !== this.dim) throw new Error(`descriptor of member ${m.id} has ${d.length} dimensions, expected ${this.dim}`);
        this.vectors.set(normalize(d), row * this.dim);
        this.owner[row++] = memberIndex;
      }
      this.referenceCounts[memberIndex] = m.descriptors.length;
    });
    this.#maxReferences = Math.max(0, ...this.referenceCounts);
  }

  get size(): number {
    return this.memberIds.length;
  }

  /** Cosine distance from one unit query to each member's nearest reference (Infinity for a member with none). */
  nearestPerMember(query: Float32Array): Float64Array {
    const best = new Float64Array(this.memberIds.length).fill(Infinity);
    const { vectors, dim, owner } = this;
    for (let row = 0, offset = 0; row < owner.length; row++, offset += dim) {
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += query[k]! * vectors[offset + k]!;
      const d = 1 - dot;
      const m = owner[row]!;
      if (d < best[m]!) best[m] = d;
    }
    return best;
  }

  /** For each unit query, the nearest member and the distance to the nearest other member. Exact. */
  nearestTwo(queries: Float32Array[]): NearestTwo[] {
    if (queries.length === 0 || this.owner.length === 0) return queries.map(() => ({ best: -1, bestDistance: Infinity, secondDistance: Infinity }));
    if (this.owner.length < NATIVE_SCAN_ROWS) return queries.map((q) => twoSmallest(this.nearestPerMember(q)));
    // The first maxReferences+1 rows by distance always include a second member, so top-k is exact here.
    const k = Math.min(this.owner.length, this.#maxReferences + 1);
    const packed = new Float32Array(queries.length * this.dim);
    queries.forEach((q, i) => packed.set(q, i * this.dim));
    const result = usearch.exactSearch(this.vectors, packed, this.dim, k, usearch.MetricKind.IP, 1) as unknown as {
      keys: BigUint64Array;
      distances: Float32Array;
    };
    return queries.map((_, i) => {
      let best = -1;
      let bestDistance = Infinity;
      let secondDistance = Infinity;
      for (let j = i * k; j < (i + 1) * k; j++) {
        // usearch's inner-product "distance" is 1 - dot: the cosine distance of unit vectors.
        const d = result.distances[j]!;
        const m = this.owner[Number(result.keys[j]!)]!;
        if (m === best) continue;
        if (d < bestDistance) {
          if (best >= 0) secondDistance = bestDistance;
          bestDistance = d;
          best = m;
        } else if (d < secondDistance) secondDistance = d;
      }
      return { best, bestDistance, secondDistance };
    });
  }
}

function twoSmallest(distances: Float64Array): NearestTwo {
  let best = -1;
  let bestDistance = Infinity;
  let secondDistance = Infinity;
  for (let m = 0; m < distances.length; m++) {
    const d = distances[m]!;
    if (d < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = d;
      best = m;
    } else if (d < secondDistance) secondDistance = d;
  }
  return { best, bestDistance, secondDistance };
}

import { normalize } from './vectors.ts';

export interface GalleryMember {
  id: string;
  /** Raw descriptors of the member's reference selfies (one or more). */
  descriptors: ArrayLike<number>[];
}

/**
 * Reference descriptors of a group's members, unit-normalised and packed into one contiguous array,
 * so a photo's faces are compared with every reference in one tight loop.
 */
export class Gallery {
  readonly memberIds: string[];
  /** For each packed reference row, the index of its member in memberIds. */
  readonly owner: Int32Array;
  readonly vectors: Float32Array;
  readonly dim: number;
  /** Reference count per member. */
  readonly referenceCounts: Int32Array;

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
}

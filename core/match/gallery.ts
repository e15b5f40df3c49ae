import usearch from 'usearch';
import { memberBand, type AgeBand } from './age.ts';
import { normalize } from './vectors.ts';

export interface GalleryMember {
  id: string;
  /** Raw descriptors of the member's reference selfies (one or more). */
  descriptors: ArrayLike<number>[];
  /** The age net's estimate for each reference (null where none was made). */
  ages?: ReadonlyArray<number | null | undefined>;
  /** Registered as a child (a dependent): matched as one whatever the estimate says. */
  minor?: boolean;
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
 * Candidates the int8 scan keeps beyond what exactness needs: quantising moves inner products by about
 * 0.001, far less than the spread of the extra rows; the float re-rank of the candidates is exact.
 */
const RERANK_SLACK = 64;

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
  /** Each member's age band (core/match/age.ts): children are matched with their band's table. */
  readonly memberBands: AgeBand[];
  readonly #maxReferences: number;
  #quantised: Int8Array | undefined;

  constructor(members: GalleryMember[]) {
    this.memberIds = members.map((m) => m.id);
    this.memberBands = members.map((m) => memberBand(m.ages ?? [], m.minor ?? false));
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

  /**
   * Cosine distances between members' first references, every pair (members spread evenly when there are more
   * than maxMembers, to bound the cost at maxMembers²/2 pairs): pairs of different people of the group's own
   * population (or of those members `include` keeps: its children are a population of their own).
   */
  memberPairDistances(maxMembers = 200, include: (memberIndex: number) => boolean = () => true): number[] {
    const first: number[] = [];
    for (let row = 0; row < this.owner.length; row++) if ((row === 0 || this.owner[row] !== this.owner[row - 1]) && include(this.owner[row]!)) first.push(row);
    const step = Math.max(1, first.length / maxMembers);
    const rows: number[] = [];
    for (let i = 0; i < first.length && rows.length < maxMembers; i += step) rows.push(first[Math.floor(i)]!);
    const out: number[] = [];
    for (let a = 0; a < rows.length; a++) {
      const query = this.vectors.subarray(rows[a]! * this.dim, (rows[a]! + 1) * this.dim);
      for (let b = a + 1; b < rows.length; b++) out.push(this.#distanceToRow(query, rows[b]!));
    }
    return out;
  }

  /** Cosine distance from one unit query to each member's nearest reference (Infinity for a member with none). */
  nearestPerMember(query: Float32Array): Float64Array {
    this.#checkDimension(query);
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

  /** A descriptor of another model's size would be compared on a prefix of it: meaningless, so refused. */
  #checkDimension(query: Float32Array): void {
    if (this.owner.length > 0 && query.length !== this.dim) throw new Error(`face descriptor has ${query.length} dimensions, the gallery's references ${this.dim}`);
  }

  #distanceToRow(query: Float32Array, row: number): number {
    let dot = 0;
    const offset = row * this.dim;
    for (let k = 0; k < this.dim; k++) dot += query[k]! * this.vectors[offset + k]!;
    return 1 - dot;
  }

  /** For each unit query, the nearest member and the distance to the nearest other member. */
  nearestTwo(queries: Float32Array[]): NearestTwo[] {
    for (const q of queries) this.#checkDimension(q);
    if (queries.length === 0 || this.owner.length === 0) return queries.map(() => ({ best: -1, bestDistance: Infinity, secondDistance: Infinity }));
    if (this.owner.length < NATIVE_SCAN_ROWS) return queries.map((q) => twoSmallest(this.nearestPerMember(q).entries()));
    // The first maxReferences+1 rows by distance always include a second member. The scan reads int8 copies
    // (a quarter of the memory traffic of float32, which is what bounds it), then the candidates are
    // re-ranked with their float32 vectors.
    const k = Math.min(this.owner.length, this.#maxReferences + 1 + RERANK_SLACK);
    this.#quantised ??= quantise(this.vectors);
    const packed = quantise(Float32Array.from(queries.flatMap((q) => Array.from(q))));
    const result = usearch.exactSearch(this.#quantised, packed, this.dim, k, usearch.MetricKind.IP, 1) as unknown as {
      keys: BigUint64Array;
      distances: Float32Array;
    };
    return queries.map((query, i) => {
      const nearest = new Map<number, number>();
      for (let j = i * k; j < (i + 1) * k; j++) {
        const row = Number(result.keys[j]!);
        const d = this.#distanceToRow(query, row);
        const m = this.owner[row]!;
        if (d < (nearest.get(m) ?? Infinity)) nearest.set(m, d);
      }
      return twoSmallest(nearest);
    });
  }
}

/**
 * Vectors to int8, scaled so the largest component is 127 (512-d unit vectors have small components, so
 * a fixed x127 would waste most of the range). Inner-product order does not depend on the scale.
 */
function quantise(vectors: Float32Array): Int8Array {
  let max = 0;
  for (let i = 0; i < vectors.length; i++) max = Math.max(max, Math.abs(vectors[i]!));
  const scale = max > 0 ? 127 / max : 1;
  const out = new Int8Array(vectors.length);
  for (let i = 0; i < vectors.length; i++) out[i] = Math.round(vectors[i]! * scale);
  return out;
}

/** The smallest and second-smallest distance among (member, distance) pairs. */
function twoSmallest(distances: Iterable<[number, number]>): NearestTwo {
  let best = -1;
  let bestDistance = Infinity;
  let secondDistance = Infinity;
  for (const [m, d] of distances) {
    if (d < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = d;
      best = m;
    } else if (d < secondDistance) secondDistance = d;
  }
  return { best, bestDistance, secondDistance };
}

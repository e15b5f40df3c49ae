import { describe, expect, it } from 'vitest';
import { Gallery, matchFaces, matchedMembers, normalize, type MatchPolicy } from '../../core/match/index.ts';

// Unit vectors at a chosen cosine distance from a base, in a 4-d toy space.
const at = (distance: number, axis = 1): number[] => {
  const v = [1 - distance, 0, 0, 0];
  v[axis] = Math.sqrt(1 - (1 - distance) ** 2);
  return v;
};
const policy: MatchPolicy = { threshold: 0.1, margin: 0.02, minFacePx: 0 };

describe('matchFaces', () => {
  it('matches a face to the member whose reference is close, and nobody to a far face', () => {
    const gallery = new Gallery([
      { id: 'ann', descriptors: [[1, 0, 0, 0]] },
      { id: 'bob', descriptors: [[0, 0, 1, 0]] },
    ]);
    const result = matchFaces([{ descriptor: at(0.05) }, { descriptor: [0, 1, 0, 0] }], gallery, policy);
    expect(result[0]).toMatchObject({ kind: 'match', memberId: 'ann' });
    expect(result[0]!.kind === 'match' && result[0]!.distance).toBeCloseTo(0.05, 5);
    expect(result[1]).toMatchObject({ kind: 'stranger', reason: 'no_close_member' });
  });

  it('refuses a face that is almost as close to a second member (margin)', () => {
    const gallery = new Gallery([
      { id: 'ann', descriptors: [[1, 0, 0, 0]] },
      { id: 'twin', descriptors: [normalize([1, 0.05, 0, 0]).map(Number)] },
    ]);
    const [m] = matchFaces([{ descriptor: normalize([1, 0.02, 0.3, 0]) }], gallery, { ...policy, threshold: 0.5 });
    expect(m).toMatchObject({ kind: 'stranger', reason: 'ambiguous' });
  });

  it('gives a member at most one face of a photo: the closer face wins', () => {
    const gallery = new Gallery([{ id: 'ann', descriptors: [[1, 0, 0, 0]] }]);
    const result = matchFaces([{ descriptor: at(0.08) }, { descriptor: at(0.03, 2) }], gallery, policy);
    expect(result[1]).toMatchObject({ kind: 'match', memberId: 'ann' });
    expect(result[0]).toMatchObject({ kind: 'stranger', reason: 'taken' });
    expect(matchedMembers(result)).toEqual(['ann']);
  });

  it('uses the nearest of a member\'s several references', () => {
    const gallery = new Gallery([{ id: 'ann', descriptors: [[0, 0, 0, 1], [1, 0, 0, 0]] }]);
    expect(matchFaces([{ descriptor: at(0.02) }], gallery, policy)[0]).toMatchObject({ kind: 'match', memberId: 'ann' });
  });

  it('ignores faces smaller than the policy minimum', () => {
    const gallery = new Gallery([{ id: 'ann', descriptors: [[1, 0, 0, 0]] }]);
    const [m] = matchFaces([{ descriptor: at(0.01), box: { width: 20, height: 24 } }], gallery, { ...policy, minFacePx: 32 });
    expect(m).toMatchObject({ kind: 'stranger', reason: 'too_small' });
  });

  it('is scale-invariant: descriptors are compared by direction (cosine)', () => {
    const gallery = new Gallery([{ id: 'ann', descriptors: [[3, 0, 0, 0]] }]);
    expect(matchFaces([{ descriptor: at(0.01).map((x) => x * 0.2) }], gallery, policy)[0]).toMatchObject({ kind: 'match' });
  });

  it('refuses descriptors of another dimension', () => {
    expect(() => new Gallery([{ id: 'a', descriptors: [[1, 0, 0, 0]] }, { id: 'b', descriptors: [[1, 0]] }])).toThrow(/dimensions/);
  });

  it('refuses a face whose descriptor is of another size than the references, instead of reading a prefix of it', () => {
    const gallery = new Gallery([{ id: 'a', descriptors: [at(0.01)] }, { id: 'b', descriptors: [at(0.5, 2)] }]);
    expect(() => matchFaces([{ descriptor: [...at(0.01), 0, 0, 0, 0] }], gallery, policy)).toThrow(/8 dimensions.*4/);
    expect(() => gallery.nearestPerMember(normalize([1, 0]))).toThrow(/dimensions/);
    expect(() => matchFaces([{ descriptor: [1, 0] }], new Gallery(Array.from({ length: 5000 }, (_, i) => ({ id: `m${i}`, descriptors: [at(0.3, 1 + (i % 3))] }))), policy)).toThrow(/dimensions/);
  });
});

describe('Gallery.nearestTwo on a big gallery (native int8 scan + float re-rank)', () => {
  it('finds the same nearest and second-nearest member as a plain scan', () => {
    let seed = 7;
    // mulberry32: a repeatable generator without short cycles (no two references alike by accident).
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32 - 0.5;
    };
    const vec = () => Array.from({ length: 512 }, rand);
    // 3,000 members with 2 references each: above the native-scan cut-over of 4,096 rows.
    const gallery = new Gallery(Array.from({ length: 3000 }, (_, i) => ({ id: `m${i}`, descriptors: [vec(), vec()] })));
    const queries = Array.from({ length: 20 }, (_, i) =>
      // Half the queries sit close to a member's reference, half are random.
      normalize(i % 2 ? vec() : Array.from(gallery.vectors.subarray(i * 512 * 7, i * 512 * 7 + 512)).map((x) => x + rand() * 0.05)),
    );
    const fast = gallery.nearestTwo(queries);
    queries.forEach((q, i) => {
      const all = [...gallery.nearestPerMember(q)].map((d, m) => ({ d, m })).sort((a, b) => a.d - b.d);
      expect(fast[i]!.best, `query ${i}`).toBe(all[0]!.m);
      expect(fast[i]!.bestDistance).toBeCloseTo(all[0]!.d, 5);
      expect(fast[i]!.secondDistance).toBeCloseTo(all[1]!.d, 5);
    });
  });
});

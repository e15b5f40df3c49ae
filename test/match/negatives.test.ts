import { describe, expect, it } from 'vitest';
import { applyNegatives, findUnsureFaces, Gallery, matchFaces, memberThreshold, normalize, type MatchPolicy } from '../../core/match/index.ts';

// Unit vectors at a chosen cosine distance from the first axis, leaning towards `axis`.
const at = (distance: number, axis = 1): number[] => {
  const v = [1 - distance, 0, 0, 0, 0];
  v[axis] = Math.sqrt(1 - (1 - distance) ** 2);
  return v;
};
const policy: MatchPolicy = { threshold: 0.3, margin: 0.05, minFacePx: 0 };
const gallery = () =>
  new Gallery([
    { id: 'ann', descriptors: [[1, 0, 0, 0, 0]] },
    { id: 'bob', descriptors: [[0, 0, 0, 0, 1]] },
  ]);

describe('"not me" negatives', () => {
  it('a member\'s threshold tightens from the second "not me", by at most 0.05, never looser than the group\'s', () => {
    expect(memberThreshold(0.4, 0)).toBe(0.4);
    expect(memberThreshold(0.4, 1)).toBe(0.4);
    expect(memberThreshold(0.4, 2)).toBeCloseTo(0.39, 10);
    expect(memberThreshold(0.4, 4)).toBeCloseTo(0.37, 10);
    expect(memberThreshold(0.4, 100)).toBeCloseTo(0.35, 10);
    for (let n = 0; n < 50; n++) expect(memberThreshold(0.4, n)).toBeLessThanOrEqual(0.4);
  });

  it('vetoes a match nearer to a face the member rejected than to their reference; other members are unaffected', () => {
    const g = gallery();
    const faces = [{ descriptor: at(0.2, 1) }, { descriptor: normalize([0.1, 0, 0, 0, 1]) }];
    const before = matchFaces(faces, g, policy);
    expect(before.map((m) => m.kind)).toEqual(['match', 'match']);
    const negatives = new Map([['ann', [at(0.22, 1)]]]);
    const after = applyNegatives(faces, before, negatives, policy.threshold);
    expect(after[0]).toMatchObject({ kind: 'stranger', reason: 'not_me' });
    expect(after[1]).toEqual(before[1]);
    // A face of ann's in another direction (far from the rejected face) still reaches her.
    const own = [{ descriptor: at(0.2, 2) }];
    expect(applyNegatives(own, matchFaces(own, g, policy), negatives, policy.threshold)[0]).toMatchObject({ kind: 'match', memberId: 'ann' });
  });

  it('applies the stricter threshold of a member who said "not me" often', () => {
    const g = gallery();
    const faces = [{ descriptor: at(0.28, 2) }];
    const negatives = new Map([['ann', [at(0.9, 3), at(0.9, 3), at(0.9, 3), at(0.9, 3)]]]); // far away, but four of them
    expect(applyNegatives(faces, matchFaces(faces, g, policy), negatives, policy.threshold)[0]).toMatchObject({ kind: 'stranger', reason: 'not_me' });
  });
});

describe('"is this you?" near misses', () => {
  it('asks about a face beyond the threshold and within the verification threshold, margin holding, one per member', () => {
    const g = gallery();
    const faces = [{ descriptor: at(0.45, 1) }, { descriptor: at(0.5, 2) }, { descriptor: at(0.7, 3) }, { descriptor: at(0.1, 3) }];
    const matches = matchFaces(faces, g, policy);
    // Face 3 matches ann: she is matched in this photo, so nothing about her is asked.
    expect(findUnsureFaces(faces, matches, g, policy, 0.62)).toEqual([]);
    const without = faces.slice(0, 3);
    const unsure = findUnsureFaces(without, matchFaces(without, g, policy), g, policy, 0.62);
    expect(unsure).toHaveLength(1);
    expect(unsure[0]).toMatchObject({ faceIndex: 0, memberId: 'ann' });
    expect(unsure[0]!.distance).toBeCloseTo(0.45, 5);
  });

  it('asks nothing when the margin fails, the face is too small, or a rejected face is nearer', () => {
    const g = new Gallery([
      { id: 'ann', descriptors: [[1, 0, 0, 0, 0]] },
      { id: 'twin', descriptors: [normalize([1, 0.1, 0, 0, 0]).map(Number)] },
    ]);
    const ambiguous = [{ descriptor: at(0.45, 2) }];
    expect(findUnsureFaces(ambiguous, matchFaces(ambiguous, g, policy), g, policy, 0.62)).toEqual([]);
    const g2 = gallery();
    const small = [{ descriptor: at(0.45, 1), box: { width: 20, height: 20 } }];
    expect(findUnsureFaces(small, matchFaces(small, g2, { ...policy, minFacePx: 32 }), g2, { ...policy, minFacePx: 32 }, 0.62)).toEqual([]);
    const face = [{ descriptor: at(0.45, 1) }];
    expect(findUnsureFaces(face, matchFaces(face, g2, policy), g2, policy, 0.62, new Map([['ann', [at(0.46, 1)]]]))).toEqual([]);
    expect(findUnsureFaces(face, matchFaces(face, g2, policy), g2, policy, 0.4)).toEqual([]);
  });
});

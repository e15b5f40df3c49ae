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
});

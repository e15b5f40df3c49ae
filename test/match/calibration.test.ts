import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_MODEL } from '../../core/faces/index.ts';
import { Gallery, IMPOSTOR_CALIBRATION, impostorQuantile, MAX_MATCH_DISTANCE, policyForGallery, thresholdForGroup } from '../../core/match/index.ts';

describe('group-size-aware thresholds', () => {
  it('were calibrated for the descriptor model in use', () => {
    expect(IMPOSTOR_CALIBRATION.descriptorModel).toBe(DESCRIPTOR_MODEL);
    expect(Object.keys(IMPOSTOR_CALIBRATION.byReferences).sort()).toEqual(['1', '2', '3']);
  });

  it('reads a monotone impostor table: rarer means closer', () => {
    const ps = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2];
    for (const k of [1, 2, 3, 5]) {
      const ds = ps.map((p) => impostorQuantile(p, k));
      for (let i = 1; i < ds.length; i++) expect(ds[i]!).toBeGreaterThanOrEqual(ds[i - 1]!);
    }
  });

  it('gets stricter as the group grows, and with more selfies per member', () => {
    const t = (n: number, k: number) => thresholdForGroup(n, k, 0.001);
    expect(t(10, 1)).toBeGreaterThan(t(100, 1));
    expect(t(100, 1)).toBeGreaterThan(t(300, 1));
    expect(t(100, 1)).toBeGreaterThan(t(100, 3));
    // The union bound over members: 100 members at 1e-3 is the same per-member rate as 10 at 1e-4.
    expect(thresholdForGroup(100, 1, 1e-3)).toBeCloseTo(thresholdForGroup(10, 1, 1e-4), 10);
  });

  it('never exceeds the album server\'s own check, so the album never refuses what the terminal sends', () => {
    expect(thresholdForGroup(1, 1, 0.1)).toBe(MAX_MATCH_DISTANCE);
  });

  it('sizes the policy from the gallery: members and their most selfies', () => {
    const unit = (i: number) => Array.from({ length: 8 }, (_, j) => (j === i ? 1 : 0));
    const gallery = new Gallery([
      { id: 'a', descriptors: [unit(0), unit(1), unit(2)] },
      { id: 'b', descriptors: [unit(3)] },
    ]);
    expect(policyForGallery(gallery).threshold).toBe(thresholdForGroup(2, 3, 0.001));
    expect(policyForGallery(gallery, { falseMatchRate: 1e-5 }).threshold).toBeLessThan(policyForGallery(gallery).threshold);
  });
});

import { describe, expect, it } from 'vitest';
import { ANALYSIS_VERSION, DESCRIPTOR_MODEL } from '../../core/faces/index.ts';
import { Gallery, galleryPopulationShift, IMPOSTOR_CALIBRATION, impostorQuantile, MAX_MATCH_DISTANCE, orderStatisticLevel, policyForGallery, populationShift, thresholdForGroup } from '../../core/match/index.ts';

describe('group-size-aware thresholds', () => {
  it('were calibrated for the descriptor model and the analysis pipeline in use', () => {
    expect(IMPOSTOR_CALIBRATION.descriptorModel).toBe(DESCRIPTOR_MODEL);
    expect(IMPOSTOR_CALIBRATION.analysisVersion).toBe(ANALYSIS_VERSION);
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

describe('population-aware thresholds (a group whose members look alike)', () => {
  /** n members whose every pair is at cosine distance d: a shared direction plus a private one each. */
  const alike = (n: number, d: number) => {
    const shared = Math.sqrt(1 - d);
    const own = Math.sqrt(d);
    return new Gallery(Array.from({ length: n }, (_, i) => ({ id: `m${i}`, descriptors: [Array.from({ length: 64 }, (_, j) => (j === 0 ? shared : j === i + 1 ? own : 0))] })));
  };

  it('reads the level of the j-th closest of n pairs with 95% confidence', () => {
    expect(orderStatisticLevel(1, 1)).toBeCloseTo(0.95, 6);
    expect(orderStatisticLevel(1, 190)).toBeCloseTo(1 - 0.05 ** (1 / 190), 6);
    expect(orderStatisticLevel(2, 190)).toBeGreaterThan(orderStatisticLevel(1, 190));
    expect(orderStatisticLevel(1, 1000)).toBeLessThan(orderStatisticLevel(1, 100));
  });

  it('is never negative: members further apart than the tables expect do not loosen anything', () => {
    expect(populationShift([0.95, 0.99, 1.0, 1.02], (p) => impostorQuantile(p, 1))).toBe(0);
    expect(populationShift([], (p) => impostorQuantile(p, 1))).toBe(0);
    expect(galleryPopulationShift(alike(20, 0.99))).toBe(0);
  });

  it('makes a group of look-alikes stricter than a group of the same size whose members are far apart', () => {
    const far = policyForGallery(alike(20, 0.99)).threshold;
    const close = policyForGallery(alike(20, 0.5)).threshold;
    expect(far).toBe(thresholdForGroup(20, 1, 0.001));
    expect(close).toBeLessThan(far);
    // The closer the members, the stricter.
    expect(policyForGallery(alike(20, 0.4)).threshold).toBeLessThan(close);
  });

  it('is at least as strict as every calibration population, ordinary volunteers included', () => {
    const populations = IMPOSTOR_CALIBRATION.populations ?? {};
    expect(Object.keys(populations).sort()).toEqual(['crowd', 'london']);
    for (const k of ['1', '2', '3']) {
      for (const [i, point] of IMPOSTOR_CALIBRATION.byReferences[k]!.entries()) {
        for (const pop of Object.values(populations)) expect(point.distance).toBeLessThanOrEqual(pop.byReferences[k]![i]!.distance);
      }
    }
  });
});

import type { MatchPolicy } from './assign.ts';
import { impostorQuantile, policyForGroup, type PolicySettings } from './calibration.ts';
import type { Gallery } from './gallery.ts';
import { populationShift } from './population.ts';

/**
 * Default settings of the terminal's matching (README, "How matching works"): at most 1 stranger face in 1,000
 * sent to anyone, whatever the group's size; a face must be 0.05 closer to its member than to any other
 * (genuine faces in the fixtures are 0.15+ ahead of the next member); faces under 32 px match nobody.
 */
export const DEFAULT_MATCH_SETTINGS = {
  falseMatchRate: 0.001,
  margin: 0.05,
  minFacePx: 32,
} as const satisfies PolicySettings;

const shifts = new WeakMap<Gallery, number>();

/** How much stricter than the calibration tables this gallery's members make its threshold (population.ts). */
export function galleryPopulationShift(gallery: Gallery): number {
  let shift = shifts.get(gallery);
  if (shift === undefined) {
    shift = populationShift(gallery.memberPairDistances(), (p) => impostorQuantile(p, 1));
    shifts.set(gallery, shift);
  }
  return shift;
}

/**
 * The policy for matching against this gallery: its threshold follows the group's size, its members' number of
 * references, and how alike its members are.
 */
export function policyForGallery(gallery: Gallery, settings: Partial<PolicySettings> = {}): MatchPolicy {
  const maxReferences = Math.max(1, ...gallery.referenceCounts);
  return policyForGroup(gallery.size, maxReferences, { ...DEFAULT_MATCH_SETTINGS, ...settings }, galleryPopulationShift(gallery));
}

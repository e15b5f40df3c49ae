import type { MatchPolicy } from './assign.ts';
import { policyForGroup, type PolicySettings } from './calibration.ts';
import type { Gallery } from './gallery.ts';

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

/** The policy for matching against this gallery: its threshold follows the group's size and references. */
export function policyForGallery(gallery: Gallery, settings: Partial<PolicySettings> = {}): MatchPolicy {
  const maxReferences = Math.max(1, ...gallery.referenceCounts);
  return policyForGroup(gallery.size, maxReferences, { ...DEFAULT_MATCH_SETTINGS, ...settings });
}

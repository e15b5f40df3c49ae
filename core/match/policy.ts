import { ADULT, AGE_BANDS, AGE_CALIBRATION, bandThreshold, childQuantile, type AgeBand, type BandThreshold } from './age.ts';
import { learnThreshold } from './learn.ts';
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

const shifts = new WeakMap<Gallery, number[]>();

/**
 * How much stricter than the calibration tables this gallery's members make each band's threshold
 * (population.ts), per age band: a group's children are a population of their own, measured against their
 * band's table, and left out of the adults' (a family's two toddlers would otherwise look like a group of
 * adult look-alikes).
 */
export function galleryBandShifts(gallery: Gallery): number[] {
  let out = shifts.get(gallery);
  if (out === undefined) {
    out = AGE_BANDS.map((_, b) => {
      const band = b as AgeBand;
      const pairs = gallery.memberPairDistances(200, (m) => gallery.memberBands[m] === band);
      return populationShift(pairs, (p) => (band === ADULT ? impostorQuantile(p, 1) : childQuantile(band, p, 1)));
    });
    shifts.set(gallery, out);
  }
  return out;
}

/** How much stricter than the adults' tables this gallery's adult members make its threshold. */
export function galleryPopulationShift(gallery: Gallery): number {
  return galleryBandShifts(gallery)[ADULT]!;
}

/**
 * The policy for matching against this gallery: its threshold follows the group's size, its members' number of
 * references, and how alike its members are; children's faces and members get their band's thresholds.
 */
export function policyForGallery(gallery: Gallery, settings: Partial<PolicySettings> = {}): MatchPolicy {
  const maxReferences = Math.max(1, ...gallery.referenceCounts);
  const s = { ...DEFAULT_MATCH_SETTINGS, ...settings };
  const bandShifts = galleryBandShifts(gallery);
  const policy = policyForGroup(gallery.size, maxReferences, s, bandShifts[ADULT]);
  const memo = new Map<number, BandThreshold>();
  // The union bound per member: each member's share of it at their own number of references.
  const forMember = (band: AgeBand, references: number): BandThreshold => {
    const key = band * 1000 + references;
    let t = memo.get(key);
    if (!t) memo.set(key, (t = bandThreshold(AGE_CALIBRATION ? band : ADULT, gallery.size, references, s.falseMatchRate, bandShifts[band])));
    return t;
  };
  const learnFor = (band: AgeBand, references: number): number => learnThreshold(forMember(band, references), band, gallery.size, references, s.falseMatchRate, bandShifts[band]!);
  const ages = AGE_CALIBRATION ? { ages: { bands: AGE_BANDS.map((_, b) => bandThreshold(b as AgeBand, gallery.size, maxReferences, s.falseMatchRate, bandShifts[b])) } } : {};
  return { ...policy, ...ages, forMember, learnFor };
}

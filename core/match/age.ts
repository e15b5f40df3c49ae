import calibration from './calibration.json' with { type: 'json' };
import { impostorQuantile, interpolateTable, MAX_MATCH_DISTANCE, type Points } from './calibration.ts';

/**
 * Children's faces get their own thresholds. The descriptor barely tells young children apart: over the
 * children set (../shared/faces/children), different toddlers come as close as different adults do only a
 * thousand times more rarely (README, "Children"). So every face and every member is read into an age band
 * from the age net's estimate (core/faces/age), with a margin towards the younger band, and a pair of a face and
 * a member is judged by the table of the younger of their two bands.
 */
export const AGE_BANDS = ['0-4', '5-12', '13-17', 'adult'] as const;
export type AgeBandName = (typeof AGE_BANDS)[number];
/** Index into AGE_BANDS: 0 is the youngest. */
export type AgeBand = 0 | 1 | 2 | 3;
export const ADULT = 3 as const;

/** The band a true age (the set's label) falls in. */
export function bandOfAge(age: number): AgeBand {
  return age <= 4 ? 0 : age <= 12 ? 1 : age <= 17 ? 2 : ADULT;
}

export interface ChildBandCalibration {
  name: Exclude<AgeBandName, 'adult'>;
  /**
   * A face whose estimated age is at or below this may be of this band (or a younger one): the quantile
   * `estimateQuantile` of the estimates of the band's own faces, so only that few of its faces read older.
   */
  estimateCutoff: number;
  estimateQuantile: number;
  /** Stranger-pair distances within the band, as the adults' byReferences['1'] (never looser than it). */
  table: Points;
  source: string;
}

export interface AgeCalibration {
  bands: ChildBandCalibration[];
  /**
   * Below this threshold a band's photos are not delivered automatically, only confirmed by a guardian: it
   * finds fewer than a quarter of members' own photos (the crowd's genuine pairs; calibrate.ts).
   */
  usefulDistance: number;
  /** Per-pair rate that bounds how often a confirmation-only member's guardians are asked about a stranger. */
  askRate: number;
  source: string;
}

export const AGE_CALIBRATION = (calibration as { ages?: AgeCalibration }).ages;

/**
 * The youngest band a face (or a member's reference) may be of, from the age net's estimate. Without an
 * estimate (analyses made before it existed) a face reads as an adult: the member's own band still applies.
 */
export function estimatedBand(estimate: number | undefined, table: AgeCalibration | undefined = AGE_CALIBRATION): AgeBand {
  if (estimate === undefined || !Number.isFinite(estimate) || !table) return ADULT;
  for (const [i, band] of table.bands.entries()) if (estimate <= band.estimateCutoff) return i as AgeBand;
  return ADULT;
}

/**
 * A member's band: the youngest their references read as. A member registered as a child (a dependent) is a
 * child whatever the estimate says, and one without any estimate the youngest band (nothing tells otherwise).
 */
export function memberBand(ages: ReadonlyArray<number | null | undefined>, minor: boolean, table: AgeCalibration | undefined = AGE_CALIBRATION): AgeBand {
  const known = ages.filter((a): a is number => typeof a === 'number' && Number.isFinite(a));
  if (known.length === 0) return minor ? 0 : ADULT;
  const band = Math.min(...known.map((a) => estimatedBand(a, table))) as AgeBand;
  return minor ? (Math.min(band, ADULT - 1) as AgeBand) : band;
}

/** The per-pair rate's quantile for a child band; k references are k chances (union bound). */
export function childQuantile(band: Exclude<AgeBand, 3>, p: number, references = 1, table: AgeCalibration | undefined = AGE_CALIBRATION): number {
  const calib = table?.bands[band];
  const adult = impostorQuantile(p, references);
  if (!calib) return adult;
  return Math.min(adult, interpolateTable(calib.table, p / Math.max(1, references)));
}

export interface BandThreshold {
  /** Faces of this band (or members of it) match under this; -Infinity: confirmation only. */
  threshold: number;
  /** The band's table at the group's bound, confirmation-only or not (the registration check refuses under it). */
  tableThreshold: number;
  /** For a confirmation-only band: how near a face must be for the guardians to be asked. */
  askDistance: number;
  confirmationOnly: boolean;
}

/**
 * The threshold for pairs of a band in a group of `members`, k references each, at the group's bound: the
 * band's table at bound / N (never looser than the adults'), minus the shift the group's own members of that
 * band show. Where that finds too few of a member's own photos to be useful, the band is confirmation-only.
 */
export function bandThreshold(band: AgeBand, members: number, references: number, falseMatchRate: number, shift = 0, table: AgeCalibration | undefined = AGE_CALIBRATION): BandThreshold {
  const p = falseMatchRate / Math.max(1, members);
  if (band === ADULT || !table) {
    const threshold = Math.min(MAX_MATCH_DISTANCE, impostorQuantile(p, references) - shift);
    return { threshold, tableThreshold: threshold, askDistance: MAX_MATCH_DISTANCE, confirmationOnly: false };
  }
  const threshold = Math.min(MAX_MATCH_DISTANCE, childQuantile(band, p, references, table) - shift);
  // Usefulness is the group's own yardstick: under a bound so strict that the adults' threshold is itself
  // below it, a child band just gets its (stricter) threshold too.
  const adults = impostorQuantile(p, references) - shift;
  if (threshold >= table.usefulDistance || adults < table.usefulDistance) return { threshold, tableThreshold: threshold, askDistance: MAX_MATCH_DISTANCE, confirmationOnly: false };
  const askDistance = Math.max(threshold, Math.min(MAX_MATCH_DISTANCE, childQuantile(band, table.askRate, references, table) - shift));
  return { threshold: -Infinity, tableThreshold: threshold, askDistance, confirmationOnly: true };
}

import calibration from './calibration.json' with { type: 'json' };
import type { MatchPolicy } from './assign.ts';

export type Points = Array<{ p: number; distance: number }>;

/**
 * The measured distributions behind the thresholds: for a probability p, the cosine distance below which a
 * fraction p of stranger-face-vs-member pairs fall, the member's distance being that of the nearest of their
 * first k selfies (one table per k = 1, 2, 3). Made by `npm run calibrate` from each calibration population
 * (LFW celebrities of the crowd fixture, ordinary London volunteers), using half of each (the bench reports
 * on the other half); empirical where at least 30 pairs back a point, an exponential fit of the lowest tail
 * below that. `byReferences` is the strictest population at every p. See README, "How matching works".
 */
export interface ImpostorCalibration {
  descriptorModel: string;
  /** The detector + landmarks + descriptor pipeline measured (core/faces ANALYSIS_VERSION). */
  analysisVersion?: string;
  source: string;
  /** Per number of selfies: ascending p, with the distance at each (the strictest population at each p). */
  byReferences: Record<string, Points>;
  /** The same tables per calibration population, for the record and the bench. */
  populations?: Record<string, { source: string; byReferences: Record<string, Points> }>;
}

export const IMPOSTOR_CALIBRATION = calibration as ImpostorCalibration;

const CALIBRATED_REFERENCES = 3;

/**
 * Distance below which a fraction p of stranger-member pairs fall, for members with k selfies; interpolated
 * on log p. More than 3 selfies: the 3-selfie table at a proportionally smaller p (conservative).
 */
export function impostorQuantile(p: number, references = 1, table: ImpostorCalibration = IMPOSTOR_CALIBRATION): number {
  const k = Math.max(1, Math.min(CALIBRATED_REFERENCES, Math.round(references)));
  const scaled = references > CALIBRATED_REFERENCES ? (p * CALIBRATED_REFERENCES) / references : p;
  return interpolateTable(table.byReferences[String(k)] ?? [], scaled);
}

/** A table's distance at p, interpolated on log p (its ends held beyond them). */
export function interpolateTable(pts: Points, p: number): number {
  if (pts.length === 0) throw new Error('empty calibration table');
  if (p <= pts[0]!.p) return pts[0]!.distance;
  for (let i = 1; i < pts.length; i++) {
    const b = pts[i]!;
    if (p <= b.p) {
      const a = pts[i - 1]!;
      const f = (Math.log(p) - Math.log(a.p)) / (Math.log(b.p) - Math.log(a.p));
      return a.distance + f * (b.distance - a.distance);
    }
  }
  return pts[pts.length - 1]!.distance;
}

/**
 * The album server's verification threshold and the terminal's ceiling: one reference against one face at
 * this distance lets about 3 in 10,000 stranger faces through (a spam picture), while the terminal never
 * sends a face the album would refuse.
 */
export const MAX_MATCH_DISTANCE = 0.62;

/**
 * The terminal's threshold for a group: a stranger's face lands on some member with probability at most
 * `falseMatchRate`, by the union bound over the group's N members (each under the calibrated per-member
 * rate for members with k selfies). Bigger groups get stricter thresholds; a group whose members are closer
 * to each other than the calibration populations' people are gets `populationShift` (population.ts) off it.
 */
export function thresholdForGroup(members: number, referencesPerMember: number, falseMatchRate: number, populationShift = 0): number {
  return Math.min(MAX_MATCH_DISTANCE, impostorQuantile(falseMatchRate / Math.max(1, members), referencesPerMember) - populationShift);
}

export interface PolicySettings {
  falseMatchRate: number;
  margin: number;
  minFacePx: number;
}

/** The full policy for a gallery of this shape. */
export function policyForGroup(members: number, referencesPerMember: number, settings: PolicySettings, populationShift = 0): MatchPolicy {
  return {
    threshold: thresholdForGroup(members, referencesPerMember, settings.falseMatchRate, populationShift),
    margin: settings.margin,
    minFacePx: settings.minFacePx,
  };
}

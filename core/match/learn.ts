import { bandThreshold, type AgeBand, type BandThreshold } from './age.ts';
import { pairBand, type FaceMatch, type MatchableFace, type MatchPolicy } from './assign.ts';
import type { Gallery } from './gallery.ts';

/**
 * Learned references (README, "Learned references"): a face matched with high confidence becomes one more
 * reference of its member in that group, so the member is found in more of the group's photos.
 * - Confident: under the threshold a stranger reaches `rarer` times more rarely than the match threshold (the
 *   same tables at bound / (N x rarer)), with `marginFactor` times the match margin; children's bands are
 *   confirmed, never learned automatically.
 * - At most `cap` learned references per member (old ones give way), none within `diversity` of one already
 *   kept (a face that close adds nothing: one London volunteer's two photos of one sitting lie 0.065 apart).
 */
export const LEARNING = { rarer: 10, marginFactor: 2, cap: 10, diversity: 0.1 } as const;

/** The distance under which a match of this band and reference count is learned; -Infinity: never. */
export function learnThreshold(match: BandThreshold, band: AgeBand, members: number, references: number, falseMatchRate: number, shift: number): number {
  if (match.confirmationOnly) return -Infinity;
  return Math.min(match.threshold, bandThreshold(band, members * LEARNING.rarer, references, falseMatchRate, shift).tableThreshold);
}

/** Whether this match is confident enough to become a reference of its member. Pure. */
export function isConfident(match: FaceMatch, face: MatchableFace, gallery: Gallery, policy: MatchPolicy): boolean {
  if (match.kind !== 'match' || !policy.learnFor) return false;
  const m = gallery.memberIds.indexOf(match.memberId);
  if (m < 0) return false;
  const limit = policy.learnFor(pairBand(face, m, gallery), gallery.referenceCounts[m] ?? 1);
  return match.distance < limit && match.margin >= policy.margin * LEARNING.marginFactor;
}

import { pairPolicy, type FaceMatch, type MatchableFace, type MatchPolicy } from './assign.ts';
import type { Gallery } from './gallery.ts';
import { cosineDistance, normalize } from './vectors.ts';

/** Per member: the faces they said are not them ("not me", or "no" to "is this you?"). */
export type Negatives = ReadonlyMap<string, ReadonlyArray<ArrayLike<number>>>;

/** How much stricter each "not me" after the first makes a member's threshold, and the most it may. */
export const NOT_ME_STEP = 0.01;
export const NOT_ME_MAX_TIGHTENING = 0.05;

/**
 * A member's own threshold: the group's, made stricter by 0.01 for each "not me" after the first, by at most
 * 0.05. A member who often gets strangers' faces gets fewer near ones; never looser than the group's.
 */
export function memberThreshold(groupThreshold: number, notMeCount: number): number {
  return groupThreshold - Math.min(NOT_ME_MAX_TIGHTENING, NOT_ME_STEP * Math.max(0, notMeCount - 1));
}

/** Distance from a face to the member's nearest negative example (Infinity without any). */
function nearestNegative(query: Float32Array, negatives: ReadonlyArray<ArrayLike<number>> | undefined): number {
  let best = Infinity;
  for (const n of negatives ?? []) best = Math.min(best, cosineDistance(query, normalize(n)));
  return best;
}

/**
 * Drops matches the member's negatives veto: a face nearer to one of the faces they said is not them than to
 * their own nearest reference is not theirs (one nearest neighbour, labelled "not them"); and a face beyond
 * the member's stricter threshold (memberThreshold). Such faces become strangers with reason `not_me`. Pure.
 */
export function applyNegatives(faces: MatchableFace[], matches: FaceMatch[], negatives: Negatives, groupThreshold?: number): FaceMatch[] {
  if (negatives.size === 0) return matches;
  return matches.map((m) => {
    if (m.kind !== 'match') return m;
    const own = negatives.get(m.memberId);
    if (!own || own.length === 0) return m;
    const query = normalize(faces[m.faceIndex]!.descriptor);
    if (nearestNegative(query, own) <= m.distance || m.distance >= memberThreshold(groupThreshold ?? m.threshold, own.length)) {
      return { kind: 'stranger', faceIndex: m.faceIndex, reason: 'not_me', nearestDistance: m.distance };
    }
    return m;
  });
}

/** A face the terminal did not deliver but whose owner might be this member: "is this you?". */
export interface UnsureFace {
  faceIndex: number;
  memberId: string;
  distance: number;
  margin: number;
}

/**
 * Near misses worth a private question: faces matched to nobody whose nearest member lies beyond the
 * member's threshold but within `verifyThreshold` (the album's own check, ALBUM_VERIFY_THRESHOLD), with the
 * margin over the next member holding, the face not too small, the member not already matched in this
 * photo, and no negative of theirs nearer. At most one face per member (the nearest). Pure.
 */
export function findUnsureFaces(
  faces: MatchableFace[],
  matches: FaceMatch[],
  gallery: Gallery,
  policy: MatchPolicy,
  verifyThreshold: number,
  negatives: Negatives = new Map(),
): UnsureFace[] {
  if (gallery.size === 0 || faces.length === 0) return [];
  const matched = new Set(matches.flatMap((m) => (m.kind === 'match' ? [m.memberId] : [])));
  const queries = faces.map((f) => normalize(f.descriptor));
  const nearest = gallery.nearestTwo(queries);
  const byMember = new Map<string, UnsureFace>();
  matches.forEach((m) => {
    if (m.kind !== 'stranger' || (m.reason !== 'no_close_member' && m.reason !== 'not_me')) return;
    const face = faces[m.faceIndex]!;
    if (face.box && Math.min(face.box.width, face.box.height) < policy.minFacePx) return;
    const { best, bestDistance, secondDistance } = nearest[m.faceIndex]!;
    if (best < 0 || secondDistance - bestDistance < policy.margin) return;
    // A confirmation-only band (young children) asks only about faces as near as few strangers come.
    const pair = pairPolicy(policy, face, best, gallery);
    if (bestDistance >= (pair.confirmationOnly ? Math.min(verifyThreshold, pair.askDistance) : verifyThreshold)) return;
    const memberId = gallery.memberIds[best]!;
    if (matched.has(memberId)) return;
    if (nearestNegative(queries[m.faceIndex]!, negatives.get(memberId)) <= bestDistance) return;
    const previous = byMember.get(memberId);
    if (!previous || bestDistance < previous.distance) byMember.set(memberId, { faceIndex: m.faceIndex, memberId, distance: bestDistance, margin: secondDistance - bestDistance });
  });
  // Two faces near one member: the nearer is asked about; a face near two members fails the margin above.
  return [...byMember.values()].sort((a, b) => a.faceIndex - b.faceIndex);
}

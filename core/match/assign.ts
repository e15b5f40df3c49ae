import { estimatedBand, type AgeBand, type BandThreshold } from './age.ts';
import type { Gallery } from './gallery.ts';
import { normalize } from './vectors.ts';

export interface MatchPolicy {
  /** A face matches a member only when its cosine distance to that member's nearest reference is below this... */
  threshold: number;
  /**
   * ...or, with age bands, below the threshold of the younger of the face's and the member's bands (a
   * confirmation-only band matches nobody automatically; its near misses are asked about).
   */
  ages?: { bands: ReadonlyArray<BandThreshold> };
  /**
   * The thresholds for a member of this band with this many references (each member gets the group's
   * per-member share of the bound at their own count: more references, more chances, a stricter threshold).
   */
  forMember?: (band: AgeBand, references: number) => BandThreshold;
  /** Under this a match is confident enough to learn from (core/match/learn.ts); absent: nothing is learned. */
  learnFor?: (band: AgeBand, references: number) => number;
  /** ...and the next-best member is at least this much further away. */
  margin: number;
  /** Faces narrower than this (original pixels) match nobody: small faces are where wrong matches hide. */
  minFacePx: number;
}

export interface MatchableFace {
  descriptor: ArrayLike<number>;
  box?: { width: number; height: number };
  /** The age net's estimate (core/faces): a child's face is matched with its band's table. */
  age?: number;
}

/** The band a face and a member are judged by: the younger of the two. */
export function pairBand(face: MatchableFace, memberIndex: number, gallery: Gallery): AgeBand {
  return Math.min(estimatedBand(face.age), gallery.memberBands[memberIndex] ?? 3) as AgeBand;
}

/** The threshold and, for a confirmation-only band, how far its questions reach, for this face and member. */
export function pairPolicy(policy: MatchPolicy, face: MatchableFace, memberIndex: number, gallery: Gallery): BandThreshold {
  const b = pairBand(face, memberIndex, gallery);
  const band = policy.forMember ? policy.forMember(b, gallery.referenceCounts[memberIndex] ?? 1) : policy.ages?.bands[b];
  return band ?? { threshold: policy.threshold, tableThreshold: policy.threshold, askDistance: Infinity, confirmationOnly: false };
}

export type FaceMatch =
  | { kind: 'match'; faceIndex: number; memberId: string; distance: number; margin: number; threshold: number }
  | { kind: 'stranger'; faceIndex: number; reason: 'no_close_member' | 'ambiguous' | 'too_small' | 'taken' | 'not_me'; nearestDistance: number };

interface Candidate {
  face: number;
  member: number;
  distance: number;
  margin: number;
  threshold: number;
}

/**
 * Assigns a photo's faces to a group's members, precision first: distance under the policy's threshold,
 * a margin over the second-best member, and one-to-one (a member gets at most one face of a photo, a face
 * at most one member). Pure: no I/O.
 */
export function matchFaces(faces: MatchableFace[], gallery: Gallery, policy: MatchPolicy): FaceMatch[] {
  const results: FaceMatch[] = new Array(faces.length);
  const candidates: Candidate[] = [];
  const nearest = gallery.nearestTwo(faces.map((f) => normalize(f.descriptor)));
  faces.forEach((face, faceIndex) => {
    const { best, bestDistance, secondDistance } = nearest[faceIndex]!;
    const stranger = (reason: Extract<FaceMatch, { kind: 'stranger' }>['reason']) => {
      results[faceIndex] = { kind: 'stranger', faceIndex, reason, nearestDistance: bestDistance };
    };
    if (face.box && Math.min(face.box.width, face.box.height) < policy.minFacePx) return stranger('too_small');
    if (best < 0) return stranger('no_close_member');
    const { threshold } = pairPolicy(policy, face, best, gallery);
    if (bestDistance >= threshold) return stranger('no_close_member');
    if (secondDistance - bestDistance < policy.margin) return stranger('ambiguous');
    candidates.push({ face: faceIndex, member: best, distance: bestDistance, margin: secondDistance - bestDistance, threshold });
  });
  // Two faces claiming one member: the closer one wins, the other is nobody (it is not re-routed to its
  // second choice, which already failed the margin test against the first).
  candidates.sort((a, b) => a.distance - b.distance);
  const taken = new Set<number>();
  for (const c of candidates) {
    if (taken.has(c.member)) {
      results[c.face] = { kind: 'stranger', faceIndex: c.face, reason: 'taken', nearestDistance: c.distance };
      continue;
    }
    taken.add(c.member);
    results[c.face] = { kind: 'match', faceIndex: c.face, memberId: gallery.memberIds[c.member]!, distance: c.distance, margin: c.margin, threshold: c.threshold };
  }
  return results;
}

/** The members matched in a photo, in face order. */
export function matchedMembers(matches: FaceMatch[]): string[] {
  return matches.flatMap((m) => (m.kind === 'match' ? [m.memberId] : []));
}

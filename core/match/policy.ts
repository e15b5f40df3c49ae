import type { MatchPolicy } from './assign.ts';

/**
 * Default terminal policy (cosine distance on unit face-api descriptors). Measured on ../shared/faces
 * (bbt, knn; see README "How matching works"): same-person distances 0.03-0.075, nearest other member
 * 0.086 and up, a background stranger in bbt2 at 0.085 with a margin of 0.007.
 */
export const DEFAULT_MATCH_POLICY = {
  threshold: 0.078,
  margin: 0.02,
  minFacePx: 32,
} as const satisfies MatchPolicy;

export function matchPolicy(overrides: Partial<MatchPolicy> = {}): MatchPolicy {
  return { ...DEFAULT_MATCH_POLICY, ...overrides };
}

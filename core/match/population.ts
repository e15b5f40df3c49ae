/**
 * How far a group's own population sits below the calibration tables. Every pair of a group's members is a
 * pair of different people from the population the group actually is (a school class, a family, colleagues
 * at one webcam), so the closest member pairs show whether strangers in that group's photos will come closer
 * to members than the calibration populations did. Measured on the project's fixtures: strangers come ~0.1
 * closer to ordinary volunteers than to LFW celebrities at 1 pair in 1,000 (README, "Safe for everyone").
 */

/** Confidence that the estimated shift is not smaller than the true one. */
const CONFIDENCE = 0.95;
/** Only the lower tail of the member pairs speaks about the tail that matters (p ≤ this). */
const TAIL_LEVEL = 0.1;
/** Order statistics looked at, from the closest pair up. */
const MAX_ORDER = 30;

/**
 * The level p at which the j-th closest of n pairs is, with CONFIDENCE, at or below the population's
 * quantile: P(Binomial(n, p) ≥ j) = CONFIDENCE. Bisection on p; n up to a few tens of thousands.
 */
export function orderStatisticLevel(j: number, n: number, confidence = CONFIDENCE): number {
  let lo = 0;
  let hi = 1;
  for (let iter = 0; iter < 60; iter++) {
    const mid = (lo + hi) / 2;
    if (binomialAtLeast(j, n, mid) < confidence) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** P(Binomial(n, p) ≥ j), summed in log space from the small side. */
export function binomialAtLeast(j: number, n: number, p: number): number {
  if (p <= 0) return j <= 0 ? 1 : 0;
  if (p >= 1) return 1;
  // P(X ≤ j-1) = Σ_{i<j} C(n,i) p^i (1-p)^(n-i)
  let logTerm = n * Math.log1p(-p); // i = 0
  let below = Math.exp(logTerm);
  for (let i = 1; i < j; i++) {
    logTerm += Math.log((n - i + 1) / i) + Math.log(p) - Math.log1p(-p);
    below += Math.exp(logTerm);
  }
  return Math.max(0, 1 - below);
}

/**
 * An upper confidence bound on how much closer different people of this group's population come than the
 * reference table says: for each of the closest member pairs, d_(j) is (with CONFIDENCE) at or below the
 * population's quantile at level p_j, while the table puts that quantile at `referenceQuantile(p_j)`; the
 * largest gap is the shift. 0 when the members are no closer than the table expects (never negative: group
 * evidence only ever makes matching stricter).
 */
export function populationShift(memberPairDistances: number[], referenceQuantile: (p: number) => number): number {
  const n = memberPairDistances.length;
  if (n === 0) return 0;
  const sorted = [...memberPairDistances].sort((a, b) => a - b);
  let shift = 0;
  for (let j = 1; j <= Math.min(n, MAX_ORDER); j++) {
    const level = orderStatisticLevel(j, n);
    if (level > TAIL_LEVEL) break;
    shift = Math.max(shift, referenceQuantile(level) - sorted[j - 1]!);
  }
  return shift;
}

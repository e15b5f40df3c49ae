export { Gallery, type GalleryMember } from './gallery.ts';
export { matchFaces, matchedMembers, pairBand, pairPolicy, type FaceMatch, type MatchPolicy, type MatchableFace } from './assign.ts';
export { IMPOSTOR_CALIBRATION, impostorQuantile, interpolateTable, MAX_MATCH_DISTANCE, policyForGroup, thresholdForGroup, type PolicySettings } from './calibration.ts';
export { ADULT, AGE_BANDS, AGE_CALIBRATION, bandOfAge, bandThreshold, childQuantile, estimatedBand, memberBand, type AgeBand, type AgeCalibration, type BandThreshold } from './age.ts';
export { DEFAULT_MATCH_SETTINGS, galleryBandShifts, galleryPopulationShift, policyForGallery } from './policy.ts';
export { binomialAtLeast, orderStatisticLevel, populationShift } from './population.ts';
export { cosineDistance, normalize } from './vectors.ts';
export { applyNegatives, findUnsureFaces, memberThreshold, NOT_ME_MAX_TIGHTENING, NOT_ME_STEP, type Negatives, type UnsureFace } from './negatives.ts';
export { isConfident, LEARNING, learnThreshold } from './learn.ts';

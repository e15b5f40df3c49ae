export { Gallery, type GalleryMember } from './gallery.ts';
export { matchFaces, matchedMembers, type FaceMatch, type MatchPolicy, type MatchableFace } from './assign.ts';
export { DEFAULT_MATCH_POLICY, matchPolicy } from './policy.ts';
export { cosineDistance, normalize } from './vectors.ts';

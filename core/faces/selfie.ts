import type { Analysis, Face } from './types.ts';

/** A second face at least this fraction of the chosen face's area makes the selfie ambiguous. */
export const SELFIE_SIMILAR_AREA = 0.4;

export type SelfiePick = { kind: 'one'; face: Face } | { kind: 'no_face' } | { kind: 'several_faces' };

/**
 * The selfie's subject: the face nearest the centre (FACE-NOTES.md). Refused when another face is of
 * similar size, since then we cannot tell whose selfie it is; a small bystander is ignored.
 */
export function pickSelfieFace(analysis: Pick<Analysis, 'width' | 'height' | 'faces'>): SelfiePick {
  const { faces } = analysis;
  if (faces.length === 0) return { kind: 'no_face' };
  const cx = analysis.width / 2;
  const cy = analysis.height / 2;
  const distance = (f: Face) => Math.hypot(f.box.x + f.box.width / 2 - cx, f.box.y + f.box.height / 2 - cy);
  const sorted = [...faces].sort((a, b) => distance(a) - distance(b));
  const chosen = sorted[0]!;
  const area = (f: Face) => f.box.width * f.box.height;
  const largest = Math.max(...faces.map(area));
  if (area(chosen) < largest * SELFIE_SIMILAR_AREA) return { kind: 'several_faces' };
  if (sorted.slice(1).some((f) => area(f) >= area(chosen) * SELFIE_SIMILAR_AREA)) return { kind: 'several_faces' };
  return { kind: 'one', face: chosen };
}

/** Detector confidence accepted for a selfie's face when nothing was found at the normal floor. */
export const SELFIE_FALLBACK_CONFIDENCE = 0.1;

/** A face that fills the picture's centre: at least 40% of its shorter side, centre in the middle third. */
export function isProminentFace(face: Face, image: { width: number; height: number }): boolean {
  const side = Math.min(image.width, image.height);
  const cx = face.box.x + face.box.width / 2;
  const cy = face.box.y + face.box.height / 2;
  return (
    Math.min(face.box.width, face.box.height) >= 0.4 * side &&
    Math.abs(cx - image.width / 2) <= image.width / 6 &&
    Math.abs(cy - image.height / 2) <= image.height / 6
  );
}

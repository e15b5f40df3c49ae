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

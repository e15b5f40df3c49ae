// Face hints (issue 24): a terminal that already found the faces sends their boxes with the packet, and the album
// checks the owner's face by analysing only its own pixels around them. A hint only says where to look: the album
// runs the detector's own windows over the hinted box (the same windows a whole analysis runs there), with its
// confidence floor and minimum size, then aligns and describes the face itself; it never reads a descriptor from
// the packet. So a wrong hint can only make the hinted check find nothing, and then
// the album checks the whole photo as without hints (album/routes/upload.ts).
import type { Box } from './types.ts';

/** Most hints one packet may carry (the terminal sends the matched face's box: one). */
export const MAX_FACE_HINTS = 4;

/** A face found near a hint counts only when it overlaps the hinted box by at least this (intersection over union). */
export const HINT_MIN_IOU = 0.5;

export function boxIou(a: Pick<Box, 'x' | 'y' | 'width' | 'height'>, b: Pick<Box, 'x' | 'y' | 'width' | 'height'>): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width);
  const y2 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Hints as a packet carries them (multipart field `faceHints`): JSON `[[x, y, width, height], ...]`, original
 * pixels after EXIF orientation, at most MAX_FACE_HINTS. Anything else reads as no hints (undefined): the
 * album then checks the whole photo, as it did before hints existed.
 */
export function parseFaceHints(value: string | undefined): Box[] | undefined {
  if (value === undefined || value.length === 0 || value.length > 512) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_FACE_HINTS) return undefined;
  const boxes: Box[] = [];
  for (const item of parsed) {
    if (!Array.isArray(item) || item.length !== 4 || !item.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 100_000)) return undefined;
    const [x, y, width, height] = item as [number, number, number, number];
    if (width < 1 || height < 1) return undefined;
    boxes.push({ x, y, width, height });
  }
  return boxes;
}

/** The field's text for these boxes (whole pixels), at most MAX_FACE_HINTS of them. */
export function formatFaceHints(boxes: readonly Box[]): string {
  return JSON.stringify(boxes.slice(0, MAX_FACE_HINTS).map((b) => [Math.round(b.x), Math.round(b.y), Math.max(1, Math.round(b.width)), Math.max(1, Math.round(b.height))]));
}

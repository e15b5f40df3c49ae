// Removes where a photo was taken from what the album stores: the GPS block of its EXIF, and its XMP and
// IPTC packets (which carry GPS and place names too). Lossless: only metadata blocks are touched, never the
// compressed pixels, and everything is zeroed in place: a file keeps its size and every offset. The bytes are
// untrusted: every read is bounded, and nothing here throws on a damaged block.
import { AlbumError } from './errors.ts';

/** What removing location did: the bytes to store (the same Buffer when nothing was removed). */
export type LocationStrip =
  | { kind: 'stripped'; bytes: Buffer; removed: string[] }
  | { kind: 'clean'; bytes: Buffer }
  // The container itself cannot be walked (a segment running past the end): location cannot be ruled out.
  | { kind: 'damaged'; reason: string };

const GPS_IFD = 0x8825;
const TIFF_XMP = 0x02bc; // XMP kept as an IFD0 tag (TIFF writers; some put it in EXIF too)
const MAX_IFD_ENTRIES = 1000;
/** Bytes per value of each TIFF field type (1 BYTE ... 13 IFD). */
const TYPE_SIZE = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4] as const;

/** Strips location from a JPEG, PNG or WebP; other formats (GIF, TIFF, AVIF) come back 'clean', unread. */
export function stripLocation(bytes: Buffer, format: string): LocationStrip {
  try {
    if (format === 'jpeg') return stripJpeg(bytes);
    if (format === 'png') return stripPng(bytes);
    if (format === 'webp') return stripWebp(bytes);
    return { kind: 'clean', bytes };
  } catch (error) {
    // Every read is bounds-checked below; this is a last guard, never a crash on a hostile file.
    return { kind: 'damaged', reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The bytes the album stores for a received picture: without location. An EXIF block that cannot be read is
 * removed whole (zeroed in a JPEG); a file whose blocks cannot even be walked is refused (400), since its
 * location cannot be ruled out.
 */
export function withoutLocation(bytes: Buffer, format: string): Buffer {
  const result = stripLocation(bytes, format);
  if (result.kind === 'damaged') {
    throw new AlbumError('not_an_image', `The picture's metadata blocks are damaged (${result.reason}), so its location could not be removed; send it again as a plain JPEG or PNG.`);
  }
  return result.bytes;
}

/**
 * In a copy of a TIFF block (EXIF's payload): drops IFD0's GPSInfo and XMP entries and zeroes what they point
 * to. 'damaged' when the block cannot be read safely: the caller then removes the whole block.
 */
export function stripTiffLocation(source: Buffer): { kind: 'stripped'; tiff: Buffer } | { kind: 'clean' } | { kind: 'damaged' } {
  if (source.length < 8) return { kind: 'damaged' };
  const order = source.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return { kind: 'damaged' };
  const le = order === 'II';
  const tiff = Buffer.from(source); // a copy: the received bytes stay as they were
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifdSpan = (offset: number): { start: number; count: number; end: number } | undefined => {
    if (offset < 8 || offset + 2 > tiff.length) return undefined;
    const count = u16(offset);
    const end = offset + 2 + 12 * count + 4;
    return count <= MAX_IFD_ENTRIES && end <= tiff.length ? { start: offset, count, end } : undefined;
  };
  /** The out-of-line bytes an entry's value occupies, or null when inline, undefined when unreadable. */
  const valueRange = (entry: number): [number, number] | null | undefined => {
    const size = TYPE_SIZE[u16(entry + 2)];
    if (size === undefined || size === 0) return undefined;
    const length = size * u32(entry + 4);
    if (length <= 4) return null;
    const at = u32(entry + 8);
    return at + length <= tiff.length ? [at, at + length] : undefined;
  };

  if (u16(2) !== 42) return { kind: 'damaged' };
  const ifd0 = ifdSpan(u32(4));
  if (!ifd0) return { kind: 'damaged' };
  const zero: Array<[number, number]> = [];
  const drop: number[] = [];
  for (let i = 0; i < ifd0.count; i++) {
    const entry = ifd0.start + 2 + 12 * i;
    const tag = u16(entry);
    if (tag !== GPS_IFD && tag !== TIFF_XMP) continue;
    drop.push(i);
    if (tag === TIFF_XMP) {
      const range = valueRange(entry);
      if (range === undefined) return { kind: 'damaged' };
      if (range) zero.push(range);
      continue;
    }
    const gps = ifdSpan(u32(entry + 8));
    if (!gps) return { kind: 'damaged' };
    zero.push([gps.start, gps.end]);
    for (let j = 0; j < gps.count; j++) {
      const range = valueRange(gps.start + 2 + 12 * j);
      if (range === undefined) return { kind: 'damaged' };
      if (range) zero.push(range);
    }
  }
  if (drop.length === 0) return { kind: 'clean' };
  // Zeroing must not reach IFD0 itself (a hostile block can point anywhere): that would break what we keep.
  if (zero.some(([from, to]) => from < ifd0.end && to > ifd0.start)) return { kind: 'damaged' };
  for (const [from, to] of zero) tiff.fill(0, from, to);

  // Remove the entries: later entries and the next-IFD offset move up, the freed tail is zeroed. Values are
  // addressed from the block's start, so nothing else moves.
  const entries = ifd0.start + 2;
  const kept = Array.from({ length: ifd0.count }, (_, i) => i).filter((i) => !drop.includes(i));
  const copy = Buffer.concat(kept.map((i) => Buffer.from(tiff.subarray(entries + 12 * i, entries + 12 * i + 12))));
  const next = Buffer.from(tiff.subarray(ifd0.end - 4, ifd0.end));
  copy.copy(tiff, entries);
  next.copy(tiff, entries + copy.length);
  tiff.fill(0, entries + copy.length + 4, ifd0.end);
  if (le) tiff.writeUInt16LE(kept.length, ifd0.start);
  else tiff.writeUInt16BE(kept.length, ifd0.start);
  return { kind: 'stripped', tiff };
}

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');
const XMP_HEADERS = ['http://ns.adobe.com/xap/1.0/\0', 'http://ns.adobe.com/xmp/extension/\0'].map((h) => Buffer.from(h, 'latin1'));
const PHOTOSHOP_HEADER = Buffer.from('Photoshop 3.0\0', 'latin1'); // APP13: IPTC (city, country, sublocation)

/**
 * JPEG: changed in place, never shortened. A phone's JPEG may carry more images after its own (MPF: depth and
 * HDR gain maps), addressed by offsets that a removed segment would break; so location segments are zeroed
 * (readers skip an APPn they do not recognise) and the embedded images get the same treatment.
 */
function stripJpeg(bytes: Buffer): LocationStrip {
  const out = Buffer.from(bytes);
  const primary = blankJpegLocation(out, 0);
  if (primary.kind === 'damaged') return primary;
  const removed = [...primary.removed];
  for (let at = out.indexOf(JPEG_START, primary.end); at >= 0; at = out.indexOf(JPEG_START, at + 3)) {
    const embedded = blankJpegLocation(out, at);
    if (embedded.kind === 'damaged') continue; // bytes that only look like a JPEG's start
    removed.push(...embedded.removed.map((r) => `${r} (embedded image)`));
    at = Math.max(at, embedded.end - 3);
  }
  return removed.length === 0 ? { kind: 'clean', bytes } : { kind: 'stripped', bytes: out, removed };
}

const JPEG_START = Buffer.from([0xff, 0xd8, 0xff]);

/** Zeroes the location segments of the JPEG starting at `start` in `out`; `end` is just past its EOI. */
function blankJpegLocation(out: Buffer, start: number): { kind: 'ok'; removed: string[]; end: number } | { kind: 'damaged'; reason: string } {
  if (out.length < start + 4 || out[start] !== 0xff || out[start + 1] !== 0xd8) return { kind: 'damaged', reason: 'no JPEG start marker' };
  const removed: string[] = [];
  let pos = start + 2;
  for (;;) {
    if (pos + 4 > out.length) return { kind: 'damaged', reason: 'the JPEG ends before its image data' };
    if (out[pos] !== 0xff) return { kind: 'damaged', reason: `no JPEG marker at byte ${pos}` };
    const marker = out[pos + 1]!;
    if (marker === 0xff) {
      pos += 1; // fill byte before a marker
      continue;
    }
    if (marker === 0xda) break; // start of scan: the compressed pixels follow, untouched
    if (marker === 0xd9) return { kind: 'damaged', reason: 'the JPEG ends before its image data' };
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2;
      continue;
    }
    const length = out.readUInt16BE(pos + 2);
    const end = pos + 2 + length;
    if (length < 2 || end > out.length) return { kind: 'damaged', reason: `a JPEG segment runs past the end (byte ${pos})` };
    const payload = out.subarray(pos + 4, end);
    if (marker === 0xe1 && startsWith(payload, EXIF_HEADER)) {
      const result = stripTiffLocation(payload.subarray(EXIF_HEADER.length));
      if (result.kind === 'damaged') {
        payload.fill(0);
        removed.push('EXIF (unreadable, zeroed whole)');
      } else if (result.kind === 'stripped') {
        result.tiff.copy(payload, EXIF_HEADER.length);
        removed.push('EXIF GPS');
      }
    } else if (marker === 0xe1 && XMP_HEADERS.some((h) => startsWith(payload, h))) {
      payload.fill(0);
      removed.push('XMP');
    } else if (marker === 0xed && startsWith(payload, PHOTOSHOP_HEADER)) {
      payload.fill(0);
      removed.push('IPTC');
    }
    pos = end;
  }
  // The image ends at its EOI: inside the entropy-coded data an 0xFF is always followed by 0x00 or a restart
  // marker, so the first FF D9 is it.
  const eoi = out.indexOf(EOI, pos);
  return { kind: 'ok', removed, end: eoi < 0 ? out.length : eoi + 2 };
}

const EOI = Buffer.from([0xff, 0xd9]);

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Text chunk keywords holding XMP, or EXIF/IPTC as ImageMagick's hex "raw profiles". */
const PNG_LOCATION_KEYWORD = /^(XML:com\.adobe\.xmp|Raw profile type (exif|xmp|iptc|8bim|app1))$/i;

/**
 * PNG: a location chunk becomes a private ancillary chunk of zeros, `zeRo`, of the same length (readers skip
 * ancillary chunks they do not know), so the file keeps its size like a JPEG does.
 */
function stripPng(bytes: Buffer): LocationStrip {
  if (!startsWith(bytes, PNG_SIGNATURE)) return { kind: 'damaged', reason: 'no PNG signature' };
  const out = Buffer.from(bytes);
  const removed: string[] = [];
  let pos = 8;
  for (;;) {
    if (pos + 12 > out.length) return { kind: 'damaged', reason: 'the PNG ends before its IEND chunk' };
    const length = out.readUInt32BE(pos);
    const end = pos + 12 + length;
    if (end > out.length) return { kind: 'damaged', reason: `a PNG chunk runs past the end (byte ${pos})` };
    const type = out.toString('latin1', pos + 4, pos + 8);
    const data = out.subarray(pos + 8, pos + 8 + length);
    let blank = false;
    if (type === 'eXIf') {
      const prefix = startsWith(data, EXIF_HEADER) ? EXIF_HEADER.length : 0;
      const result = stripTiffLocation(data.subarray(prefix));
      if (result.kind === 'damaged') {
        removed.push('EXIF (unreadable, zeroed whole)');
        blank = true;
      } else if (result.kind === 'stripped') {
        removed.push('EXIF GPS');
        result.tiff.copy(data, prefix);
        out.writeUInt32BE(crc32(out.subarray(pos + 4, pos + 8 + length)), pos + 8 + length);
      }
    } else if ((type === 'tEXt' || type === 'zTXt' || type === 'iTXt') && PNG_LOCATION_KEYWORD.test(keyword(data))) {
      removed.push(type === 'iTXt' ? 'XMP' : `${type} ${keyword(data)}`);
      blank = true;
    }
    if (blank) {
      out.write('zeRo', pos + 4, 'latin1');
      data.fill(0);
      out.writeUInt32BE(crc32(out.subarray(pos + 4, pos + 8 + length)), pos + 8 + length);
    }
    pos = end;
    if (type === 'IEND') break;
  }
  return removed.length === 0 ? { kind: 'clean', bytes } : { kind: 'stripped', bytes: out, removed };
}

/** WebP: the same in place; a location chunk becomes an unknown `ZERO` chunk (readers ignore those). */
function stripWebp(bytes: Buffer): LocationStrip {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WEBP') return { kind: 'damaged', reason: 'no WebP header' };
  const out = Buffer.from(bytes);
  const riffEnd = Math.min(out.length, 8 + out.readUInt32LE(4));
  const removed: string[] = [];
  let clearFlags = 0;
  let vp8x = -1;
  for (let pos = 12; pos + 8 <= riffEnd; ) {
    const type = out.toString('latin1', pos, pos + 4);
    const length = out.readUInt32LE(pos + 4);
    if (pos + 8 + length > riffEnd) return { kind: 'damaged', reason: `a WebP chunk runs past the end (byte ${pos})` };
    const data = out.subarray(pos + 8, pos + 8 + length);
    let blank = false;
    if (type === 'VP8X' && length >= 1) vp8x = pos + 8;
    if (type === 'EXIF') {
      const prefix = startsWith(data, EXIF_HEADER) ? EXIF_HEADER.length : 0;
      const result = stripTiffLocation(data.subarray(prefix));
      if (result.kind === 'damaged') {
        removed.push('EXIF (unreadable, zeroed whole)');
        blank = true;
        clearFlags |= 0x08;
      } else if (result.kind === 'stripped') {
        removed.push('EXIF GPS');
        result.tiff.copy(data, prefix);
      }
    } else if (type === 'XMP ') {
      removed.push('XMP');
      blank = true;
      clearFlags |= 0x04;
    }
    if (blank) {
      out.write('ZERO', pos, 'latin1');
      data.fill(0);
    }
    pos += 8 + length + (length % 2);
  }
  if (removed.length === 0) return { kind: 'clean', bytes };
  // VP8X's flags say which metadata chunks follow: clear the ones zeroed (EXIF 0x08, XMP 0x04).
  if (vp8x >= 0) out[vp8x] = out[vp8x]! & ~clearFlags;
  return { kind: 'stripped', bytes: out, removed };
}

const startsWith = (bytes: Uint8Array, prefix: Uint8Array) => bytes.length >= prefix.length && Buffer.from(bytes.buffer, bytes.byteOffset, prefix.length).equals(prefix);

/** A PNG text chunk's keyword: up to its NUL, at most 79 bytes. */
const keyword = (data: Buffer) => {
  const nul = data.subarray(0, 80).indexOf(0);
  return nul < 0 ? '' : data.toString('latin1', 0, nul);
};


// zlib.crc32 needs Node 20.15; package.json allows 20.9.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

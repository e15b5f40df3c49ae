// When a photo was taken, from its EXIF block (as sharp's metadata().exif returns it): DateTimeOriginal, with
// OffsetTimeOriginal when the camera wrote one. Phones send old photos long after: the album sorts and groups
// by this date, the arrival time when there is none.

const EXIF_IFD = 0x8769;
const DATE_TIME_ORIGINAL = 0x9003;
const OFFSET_TIME_ORIGINAL = 0x9011;
const DATE_TIME = 0x0132; // IFD0's "modified", the fallback some cameras write alone

/** ISO 8601 UTC time the photo was taken, or undefined when the EXIF block has no usable date. */
export function exifTakenAt(exif: Buffer | undefined, now = Date.now()): string | undefined {
  if (!exif) return undefined;
  try {
    // sharp hands the APP1 payload: "Exif\0\0" then a TIFF header.
    const tiff = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif;
    const order = tiff.subarray(0, 2).toString('latin1');
    if (order !== 'II' && order !== 'MM') return undefined;
    const le = order === 'II';
    const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
    const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
    /** The ASCII or LONG values of one IFD's entries we care about. */
    const readIfd = (offset: number): Map<number, string | number> => {
      const found = new Map<number, string | number>();
      const count = u16(offset);
      for (let i = 0; i < Math.min(count, 512); i++) {
        const entry = offset + 2 + i * 12;
        const tag = u16(entry);
        const type = u16(entry + 2);
        const n = u32(entry + 4);
        if (type === 4 && n === 1) found.set(tag, u32(entry + 8));
        if (type === 2 && n > 0 && n < 64) {
          const at = n <= 4 ? entry + 8 : u32(entry + 8);
          found.set(tag, tiff.subarray(at, at + n).toString('latin1').replace(/\0+$/, ''));
        }
      }
      return found;
    };
    const ifd0 = readIfd(u32(4));
    const exifOffset = ifd0.get(EXIF_IFD);
    const sub = typeof exifOffset === 'number' ? readIfd(exifOffset) : new Map<number, string | number>();
    const text = sub.get(DATE_TIME_ORIGINAL) ?? ifd0.get(DATE_TIME);
    const m = typeof text === 'string' ? /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(text) : null;
    if (!m) return undefined;
    const offset = sub.get(OFFSET_TIME_ORIGINAL);
    // Without an offset the camera's clock is all there is: read as UTC (the page shows days, not minutes).
    const zone = typeof offset === 'string' && /^[+-]\d{2}:\d{2}$/.test(offset) ? offset : 'Z';
    const time = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`);
    // A reset clock (1970, 2000) or one in the future says nothing true.
    if (!Number.isFinite(time) || time < Date.UTC(1990, 0, 1) || time > now + 86_400_000) return undefined;
    return new Date(time).toISOString();
  } catch {
    return undefined; // a damaged EXIF block is no date, not a refused photo
  }
}

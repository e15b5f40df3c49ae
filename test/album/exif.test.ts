// When a photo was taken (album/exif.ts), from EXIF blocks as phones and cameras write them.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { exifTakenAt } from '../../album/exif.ts';

const NOW = Date.UTC(2026, 11, 4, 12);

async function exifOf(tags: { IFD0?: Record<string, string>; IFD2?: Record<string, string> }): Promise<Buffer | undefined> {
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).withExif(tags).jpeg().toBuffer();
  return (await sharp(jpeg).metadata()).exif;
}

describe('the EXIF date a photo was taken', () => {
  it.each([
    ['the original time with its offset, as UTC', { IFD2: { DateTimeOriginal: '2024:07:14 21:30:05', OffsetTimeOriginal: '+02:00' } }, '2024-07-14T19:30:05.000Z'],
    ['the original time without an offset, read as UTC', { IFD2: { DateTimeOriginal: '2019:01:02 03:04:05' } }, '2019-01-02T03:04:05.000Z'],
    ['the original time before the "modified" time', { IFD0: { DateTime: '2025:05:05 05:05:05' }, IFD2: { DateTimeOriginal: '2020:02:02 02:02:02' } }, '2020-02-02T02:02:02.000Z'],
    ['the "modified" time when it is all there is', { IFD0: { DateTime: '2025:05:05 05:05:05' } }, '2025-05-05T05:05:05.000Z'],
    ['an offset that is not one is ignored', { IFD2: { DateTimeOriginal: '2021:06:01 10:00:00', OffsetTimeOriginal: 'local' } }, '2021-06-01T10:00:00.000Z'],
    ['no date for a reset clock', { IFD2: { DateTimeOriginal: '1970:01:01 00:00:00' } }, undefined],
    ['no date for a clock in the future', { IFD2: { DateTimeOriginal: '2031:01:01 00:00:00' } }, undefined],
    ['no date for a blank date', { IFD2: { DateTimeOriginal: '    :  :     :  :  ' } }, undefined],
    ['no date for EXIF with other tags only', { IFD0: { Make: 'facedrop test camera' } }, undefined],
  ])('%s', async (_what, tags, expected) => {
    expect(exifTakenAt(await exifOf(tags), NOW)).toBe(expected);
  });

  it('reads no date, and throws nothing, from a missing, truncated or garbage block', async () => {
    const good = await exifOf({ IFD2: { DateTimeOriginal: '2024:07:14 21:30:05' } });
    expect(exifTakenAt(undefined, NOW)).toBeUndefined();
    expect(exifTakenAt(good!.subarray(0, 20), NOW)).toBeUndefined();
    expect(exifTakenAt(Buffer.from('Exif\0\0not a tiff header at all'), NOW)).toBeUndefined();
    expect(exifTakenAt(Buffer.alloc(3), NOW)).toBeUndefined();
  });
});

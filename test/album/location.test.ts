// Issue 26, item 8 (location): what the album stores loses its GPS block, XMP and IPTC, losslessly; damaged
// blocks never throw. Unit tier: sharp only, no face engine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AlbumError } from '../../album/errors.ts';
import { exifTakenAt } from '../../album/exif.ts';
import { stripLocation, withoutLocation } from '../../album/location.ts';
import { PhotoStorage } from '../../album/storage.ts';
import { GPS_EXIF, GPS_XMP, holdsLatitude, ifd0Tags } from './location-fixtures.ts';

const pixels = (bytes: Buffer) => sharp(bytes).raw().toBuffer();
const picture = (format: 'jpeg' | 'png' | 'webp') =>
  sharp({ create: { width: 64, height: 48, channels: 3, background: '#c84' } }).withExif(GPS_EXIF).withXmp(GPS_XMP)[format]().toBuffer();

describe('location stripped from stored photos', () => {
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    it(`removes the GPS block and XMP from a ${format}, keeping its pixels, its date and its other tags`, async () => {
      const sent = await picture(format);
      expect(holdsLatitude(sent)).toBe(true);
      expect(await ifd0Tags(sent)).toContain(0x8825);
      const result = stripLocation(sent, format);
      expect(result.kind).toBe('stripped');
      const stored = result.kind === 'stripped' ? result.bytes : sent;
      expect(stored.length).toBe(sent.length); // cleaned in place: a stored photo's size stays its record's
      expect(holdsLatitude(stored)).toBe(false);
      expect(stored.includes('GPSLatitude')).toBe(false);
      const tags = await ifd0Tags(stored);
      expect(tags).not.toContain(0x8825);
      expect(tags).toContain(0x010f); // Make
      const meta = await sharp(stored).metadata();
      expect(meta.xmp).toBeUndefined();
      expect(exifTakenAt(meta.exif)).toBe('2019-07-14T13:30:00.000Z');
      expect((await pixels(stored)).equals(await pixels(sent))).toBe(true);
    });
  }

  it('cleans an image embedded after the photo (MPF: depth, gain map) in place, so its offset stays valid', async () => {
    const main = await picture('jpeg');
    const embedded = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#fff' } }).withExif(GPS_EXIF).withXmp(GPS_XMP).jpeg().toBuffer();
    const sent = Buffer.concat([main, embedded]);
    const result = stripLocation(sent, 'jpeg');
    expect(result.kind === 'stripped' && result.removed).toEqual(['EXIF GPS', 'XMP', 'EXIF GPS (embedded image)', 'XMP (embedded image)']);
    const stored = result.kind === 'stripped' ? result.bytes : sent;
    expect(stored.length).toBe(sent.length);
    expect(holdsLatitude(stored)).toBe(false);
    const after = stored.subarray(main.length);
    expect(await ifd0Tags(after)).not.toContain(0x8825);
    expect((await pixels(after)).equals(await pixels(embedded))).toBe(true);
    expect((await pixels(stored)).equals(await pixels(sent))).toBe(true);
  });

  it('gives back the very same bytes when there is no location', async () => {
    const plain = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#48c' } })
      .withExif({ IFD0: { Make: 'facedrop-test' }, IFD2: { DateTimeOriginal: '2020:01:02 03:04:05' } })
      .jpeg()
      .toBuffer();
    const result = stripLocation(plain, 'jpeg');
    expect(result.kind).toBe('clean');
    expect(result.kind !== 'damaged' && result.bytes).toBe(plain);
  });

  it('drops an EXIF block whose GPS pointer leads outside it, and keeps the pixels', async () => {
    const sent = await picture('jpeg');
    const damaged = Buffer.from(sent);
    // Point the GPSInfo entry's offset past the end of the block.
    const exifAt = damaged.indexOf('Exif\0\0', 0, 'latin1') + 6;
    const le = damaged.toString('latin1', exifAt, exifAt + 2) === 'II';
    const ifd0 = exifAt + (le ? damaged.readUInt32LE(exifAt + 4) : damaged.readUInt32BE(exifAt + 4));
    const count = le ? damaged.readUInt16LE(ifd0) : damaged.readUInt16BE(ifd0);
    const entry = Array.from({ length: count }, (_, i) => ifd0 + 2 + 12 * i).find((e) => (le ? damaged.readUInt16LE(e) : damaged.readUInt16BE(e)) === 0x8825)!;
    if (le) damaged.writeUInt32LE(0x7fff_0000, entry + 8);
    else damaged.writeUInt32BE(0x7fff_0000, entry + 8);
    const result = stripLocation(damaged, 'jpeg');
    expect(result.kind === 'stripped' && result.removed).toContain('EXIF (unreadable, zeroed whole)');
    const stored = result.kind === 'stripped' ? result.bytes : damaged;
    expect((await sharp(stored).metadata()).exif).toBeUndefined();
    expect(holdsLatitude(stored)).toBe(false);
    expect((await pixels(stored)).equals(await pixels(sent))).toBe(true);
  });

  it('refuses, with a clear error, a JPEG whose segments cannot be walked', async () => {
    const sent = await picture('jpeg');
    const truncated = sent.subarray(0, sent.indexOf('Exif\0\0', 0, 'latin1') + 40); // ends inside the EXIF segment
    expect(stripLocation(truncated, 'jpeg').kind).toBe('damaged');
    expect(() => withoutLocation(truncated, 'jpeg')).toThrow(AlbumError);
    expect(() => withoutLocation(truncated, 'jpeg')).toThrow(/location could not be removed/);
  });

  it('never throws on damaged metadata, and never lets the latitude through', async () => {
    let seed = 26;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const format of ['jpeg', 'png', 'webp'] as const) {
      const sent = await picture(format);
      const metaEnd = format === 'jpeg' ? sent.indexOf(Buffer.from([0xff, 0xda])) : Math.min(sent.length, 400);
      for (let round = 0; round < 300; round++) {
        const damaged = Buffer.from(sent);
        for (let k = 0; k < 1 + Math.floor(random() * 4); k++) damaged[2 + Math.floor(random() * (metaEnd - 2))] = Math.floor(random() * 256);
        const result = stripLocation(damaged, format);
        if (result.kind === 'damaged') continue;
        // Stripped, or the flips hid the GPS pointer: then the latitude may remain only where no reader finds it.
        if (holdsLatitude(result.bytes)) expect(await ifd0Tags(result.bytes).catch(() => [])).not.toContain(0x8825);
      }
    }
  });

  it('cleans photos stored before (PhotoStorage.stripStoredLocations): in place, same size; clean and damaged ones untouched', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-strip-stored-'));
    try {
      const storage = new PhotoStorage(dir);
      const gps = await picture('jpeg');
      const png = await picture('png');
      const plain = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123' } }).jpeg().toBuffer();
      const broken = Buffer.concat([gps.subarray(0, 200), Buffer.from('junk'), gps.subarray(200)]);
      const id = (n: number) => String(n).repeat(64);
      const files = { [storage.photoPath('sheldon', id(1), 'jpg')]: gps, [storage.selfiePath('sheldon', id(2), 'png')]: png, [storage.photoPath('sheldon', id(3), 'jpg')]: plain, [storage.photoPath('amy', id(4), 'jpg')]: broken, [storage.thumbnailPath('amy', id(4))]: gps };
      for (const [file, bytes] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, bytes);
      }
      const result = await storage.stripStoredLocations();
      expect(result).toEqual({ checked: 4, stripped: [path.join('sheldon', id(1) + '.jpg'), path.join('sheldon', 'selfies', id(2) + '.png')].sort(), damaged: [path.join('amy', id(4) + '.jpg')] });
      for (const [file, bytes] of Object.entries(files)) {
        const now = fs.readFileSync(file);
        expect(now.length, file).toBe(bytes.length);
        const cleaned = bytes === gps && !file.includes('thumbs') ? true : bytes === png;
        expect(holdsLatitude(now), file).toBe(!cleaned && holdsLatitude(bytes));
        if (cleaned) expect((await pixels(now)).equals(await pixels(bytes))).toBe(true);
      }
      expect((await storage.stripStoredLocations()).stripped).toEqual([]); // once is enough
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves GIF, TIFF and AVIF as they came (not read)', () => {
    const bytes = Buffer.from('GIF89a');
    expect(stripLocation(bytes, 'gif')).toEqual({ kind: 'clean', bytes });
  });
});

// What the album stores loses its location, on a real camera's JPEG from the labelled fixtures (knn): the
// plumbing suite test/album/location.test.ts makes its own photos, so it needs no ../shared.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { stripLocation } from '../../album/location.ts';
import { FACES_DIR, hasFixtures } from '../helpers.ts';
import { ifd0Tags } from './location-fixtures.ts';

const pixels = (bytes: Buffer) => sharp(bytes).raw().toBuffer();

describe('location stripped from a camera photo', () => {
  // A real camera's JPEG (EXIF with GPS and a thumbnail, IPTC, XMP, ICC, Adobe), in the labelled fixtures.
  const camera = path.join(FACES_DIR, 'knn/test/alex_lacamoire1.jpg');
  it.skipIf(!hasFixtures('knn'))('cleans a real camera photo: GPS, IPTC and XMP gone, the pixels and the rest of EXIF kept', async () => {
    const sent = fs.readFileSync(camera);
    expect(await ifd0Tags(sent)).toContain(0x8825);
    const result = stripLocation(sent, 'jpeg');
    expect(result.kind === 'stripped' && result.removed).toEqual(['EXIF GPS', 'IPTC', 'XMP']);
    const stored = result.kind === 'stripped' ? result.bytes : sent;
    const tags = await ifd0Tags(stored);
    expect(tags).not.toContain(0x8825);
    expect(tags).toEqual((await ifd0Tags(sent)).filter((t) => t !== 0x8825));
    const meta = await sharp(stored).metadata();
    expect(meta.xmp).toBeUndefined();
    expect(meta.iptc).toBeUndefined();
    expect(meta.icc).toBeDefined();
    expect((await pixels(stored)).equals(await pixels(sent))).toBe(true);
  });

});

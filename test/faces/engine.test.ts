import fs from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine, ImageError, SelfieError, type FaceEngine } from '../../core/faces/index.ts';
import { demoSamples, FACES_DIR, forgedPng, hasFixtures, read } from '../helpers.ts';

let engine: FaceEngine;
beforeAll(() => {
  engine = createFaceEngine({ threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

const bombPng = () => forgedPng(50_000, 50_000);

describe('face engine on real photos', () => {
  it('finds every face of the demo group photos with 68 landmarks and the 512-d matching descriptor', async () => {
    const analyses = await Promise.all(demoSamples.map((f) => engine.analyze(read(f))));
    // Face counts of the demo samples, checked by eye against the photos.
    expect(analyses.map((a) => a.faces.length)).toEqual([3, 3, 3, 4, 5, 4]);
    for (const a of analyses) {
      expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
      for (const face of a.faces) {
        expect(face.descriptor).toHaveLength(512);
        expect(Math.hypot(...face.descriptor)).toBeCloseTo(1, 4);
        expect(face.landmarks).toHaveLength(68);
        expect(face.score).toBeGreaterThan(0.5);
        // Boxes are in the original photo's pixels (1920 wide), not the analysis resolution.
        expect(face.box.x + face.box.width).toBeLessThanOrEqual(a.width + 1);
        expect(face.box.width).toBeGreaterThan(100);
      }
    }
  });

  it('serves the same bytes from its cache instead of analysing twice', async () => {
    const bytes = read(demoSamples[0]!);
    const first = await engine.analyze(bytes);
    // The very same result object: nothing was analysed again (no timing bound: it breaks on a busy machine).
    const again = await engine.analyze(Buffer.from(bytes));
    expect(again).toBe(first);
  });

  it('reads grayscale, alpha, CMYK, WebP, GIF and EXIF-rotated images', async () => {
    const src = read(demoSamples[3]!);
    const variants = {
      gray: await sharp(src).grayscale().jpeg().toBuffer(),
      alpha: await sharp(src).ensureAlpha(1).png().toBuffer(),
      cmyk: await sharp(src).toColourspace('cmyk').jpeg().toBuffer(),
      webp: await sharp(src).webp().toBuffer(),
      gif: await sharp(src).gif().toBuffer(),
      // Pixels stored rotated, with EXIF orientation 6 saying "turn me upright".
      exif: await sharp(src).rotate(270).withMetadata({ orientation: 6 }).jpeg().toBuffer(),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      const a = await engine.analyze(bytes);
      // Grayscale loses colour cues: one of the four (a half-turned face) drops below the detector's confidence.
      if (name === 'gray') expect(a.faces.length, name).toBeGreaterThanOrEqual(3);
      else expect(a.faces.length, name).toBe(4);
    }
    const exif = await engine.analyze(variants.exif);
    expect([exif.width, exif.height]).toEqual([1920, 1448]);
  });

  it.skipIf(!hasFixtures())('finds the face in a tight 150x150 crop (a profile picture)', async () => {
    const { face } = await engine.selfie(read(`${FACES_DIR}/bbt/amy/amy1.png`));
    expect(face.box.width).toBeGreaterThan(80);
    const photo = await engine.analyze(read(`${FACES_DIR}/bbt/amy/amy1.png`), 'photo');
    expect(photo.faces.length).toBe(1);
  });

  it('refuses a selfie with several faces of similar size, and one with no face', async () => {
    await expect(engine.selfie(read(demoSamples[0]!))).rejects.toMatchObject({ name: 'SelfieError', code: 'several_faces' });
    const blank = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3366aa' } }).jpeg().toBuffer();
    await expect(engine.selfie(blank)).rejects.toBeInstanceOf(SelfieError);
    await expect(engine.selfie(blank)).rejects.toMatchObject({ code: 'no_face' });
    expect((await engine.analyze(blank)).faces).toEqual([]);
  });
});

describe('bad input gives a typed error quickly and leaves the engine healthy', () => {
  const jpeg = () => read(demoSamples[1]!);
  const cases: Array<[string, () => Promise<Buffer> | Buffer, string]> = [
    ['0 bytes', () => Buffer.alloc(0), 'empty'],
    ['not an image', () => Buffer.from('%PDF-1.4 definitely not a picture'), 'not_an_image'],
    ['a truncated JPEG', () => jpeg().subarray(0, Math.floor(jpeg().length * 0.6)), 'corrupt'],
    ['a 50000x50000 PNG', bombPng, 'too_large'],
  ];
  for (const [name, make, code] of cases) {
    it(`${name} -> ImageError ${code}`, async () => {
      const bytes = await make();
      const error = await engine.analyze(bytes).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ImageError);
      expect((error as ImageError).code).toBe(code);
    });
  }

  it('still analyses photos after all of that', async () => {
    // Re-encoded, so it is not a cache hit.
    const a = await engine.analyze(await sharp(read(demoSamples[4]!)).jpeg({ quality: 92 }).toBuffer());
    expect(a.faces.length).toBe(5);
  });

  it('does not cache a failure', async () => {
    const bytes = Buffer.from('not an image either');
    await expect(engine.analyze(bytes)).rejects.toBeInstanceOf(ImageError);
    await expect(engine.analyze(bytes)).rejects.toBeInstanceOf(ImageError);
  });
});

it('keeps fixtures out of the repository', () => {
  expect(fs.existsSync('faces')).toBe(false);
});

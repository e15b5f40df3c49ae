// Reads the labelled fixtures in ../shared/faces (never copied into the project).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';

export const FACES_DIR = path.resolve(process.env.FACES_DIR ?? path.join(import.meta.dirname, '..', '..', 'shared', 'faces'));
export const DEMO_DIR = path.join(import.meta.dirname, '..', 'node_modules', '@vladmandic', 'face-api', 'demo');
export const demoSamples = [1, 2, 3, 4, 5, 6].map((i) => path.join(DEMO_DIR, `sample${i}.jpg`));

/** FACEDROP_FIXTURES=off: behave as if ../shared/faces were absent (CI checks a fresh clone this way). */
export const FIXTURES_OFF = process.env.FACEDROP_FIXTURES === 'off';

export function hasFixtures(name = 'bbt'): boolean {
  return !FIXTURES_OFF && fs.existsSync(path.join(FACES_DIR, name, 'truth.json'));
}

export interface Fixture {
  name: string;
  members: string[];
  /** Absolute paths of each member's selfie candidates, in order. */
  selfies: Record<string, string[]>;
  /** Absolute path of each test photo -> members truly in it. */
  photos: Record<string, string[]>;
}

/** A labelled fixture; `root` is FACES_DIR unless a test reads the demo stand-in (test/demo-fixture.ts). */
export function loadFixture(name: 'bbt' | 'knn' | 'crowd', root = FACES_DIR): Fixture {
  const dir = path.join(root, name);
  const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8')) as {
    members: string[];
    selfies: string | Record<string, string[]>;
    photos: Record<string, string[]>;
  };
  const selfies: Record<string, string[]> = {};
  for (const member of truth.members) {
    if (typeof truth.selfies === 'object') selfies[member] = (truth.selfies[member] ?? []).map((p) => path.join(dir, p));
    else {
      // bbt/<member>/<member>N.png and knn/train/<member>/*: the member's own folder, sorted.
      const folder = name === 'knn' ? path.join(dir, 'train', member) : path.join(dir, member);
      selfies[member] = fs
        .readdirSync(folder)
        .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
        .map((f) => path.join(folder, f));
    }
  }
  const photos = Object.fromEntries(Object.entries(truth.photos).map(([p, m]) => [path.join(dir, p), m]));
  return { name, members: truth.members, selfies, photos };
}

/** A tiny real PNG whose IHDR claims width x height (valid CRC): a decompression bomb's header, for hostile-input checks. */
export async function forgedPng(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer());
  // Signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4) ... + CRC over type and data.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}

// The crowd fixture (../shared/faces/crowd): descriptors of every image, cached per descriptor model, for the
// calibration (`npm run calibrate`) and the crowd table of `npm run bench`.
import fs from 'node:fs';
import path from 'node:path';
import PQueue from 'p-queue';
import { ANALYSIS_VERSION, createFaceEngine } from '../core/faces/index.ts';
import { FACES_DIR, loadFixture } from './fixtures.ts';

export interface CachedFace {
  descriptor: number[];
  width: number;
  score: number;
  /** Estimated age (core/faces age net). */
  age?: number | undefined;
}

export interface CrowdData {
  members: string[];
  /** member -> faces of each selfie candidate that gave one face (in order). */
  selfies: Record<string, number[][]>;
  /** member -> estimated age of each of those selfies' faces. */
  selfieAges: Record<string, number[]>;
  /** Photos: each with its truth and every face found. */
  photos: Array<{ file: string; truth: string[]; faces: CachedFace[] }>;
}

const CACHE_DIR = path.join(import.meta.dirname, '.cache');

export async function loadCrowd(log: (s: string) => void): Promise<CrowdData> {
  const cacheFile = path.join(CACHE_DIR, `crowd-${ANALYSIS_VERSION.replace(/[^\w.-]/g, '_')}.json`);
  if (fs.existsSync(cacheFile)) return JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as CrowdData;
  const fx = loadFixture('crowd');
  const engine = createFaceEngine();
  const queue = new PQueue({ concurrency: engine.threads * 2 });
  const selfies: Record<string, number[][]> = {};
  const selfieAges: Record<string, number[]> = {};
  const photoEntries = Object.entries(fx.photos);
  const total = fx.members.reduce((n, m) => n + fx.selfies[m]!.length, 0) + photoEntries.length;
  let done = 0;
  const tick = () => {
    if (++done % 250 === 0) log(`  crowd: ${done}/${total} images analysed`);
  };
  for (const m of fx.members) {
    selfies[m] = [];
    selfieAges[m] = [];
  }
  await Promise.all(
    fx.members.flatMap((m) =>
      fx.selfies[m]!.map((file, i) =>
        queue.add(async () => {
          try {
            const { face } = await engine.selfie(fs.readFileSync(file));
            (selfies[m]![i] as unknown) = face.descriptor;
            (selfieAges[m]![i] as unknown) = face.age;
          } catch {
            // a refused selfie: the member would be asked for another one
          }
          tick();
        }),
      ),
    ),
  );
  for (const m of fx.members) {
    selfieAges[m] = selfieAges[m]!.filter((_, i) => selfies[m]![i]);
    selfies[m] = selfies[m]!.filter(Boolean);
  }
  const photos = await Promise.all(
    photoEntries.map(([file, truth]) =>
      queue.add(async () => {
        const a = await engine.analyze(fs.readFileSync(file), 'photo');
        tick();
        return { file: path.relative(FACES_DIR, file), truth, faces: a.faces.map((f) => ({ descriptor: f.descriptor, width: f.box.width, score: f.score, age: f.age })) };
      }),
    ),
  );
  await engine.close();
  const data: CrowdData = { members: fx.members, selfies, selfieAges, photos: photos as CrowdData['photos'] };
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.writeFileSync(cacheFile, JSON.stringify(data));
  return data;
}

/** Strangers are split in two halves by position: calibration uses the even ones, the bench reports on the odd. */
export function strangerHalves(data: CrowdData) {
  const strangers = data.photos.filter((p) => p.truth.length === 0);
  return { calibration: strangers.filter((_, i) => i % 2 === 0), heldOut: strangers.filter((_, i) => i % 2 === 1) };
}

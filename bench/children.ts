// The children set (../shared/faces/children: 1,300 UTKFace crops, mostly one per person, labelled by age;
// non-commercial research terms, read from there, never copied): each file's face as a selfie and as a photo,
// with the age net's estimate, cached per analysis version (bench/.cache, not in the repository).
import fs from 'node:fs';
import path from 'node:path';
import PQueue from 'p-queue';
import { ANALYSIS_VERSION, createFaceEngine } from '../core/faces/index.ts';
import type { CachedFace } from './crowd.ts';
import { FACES_DIR, FIXTURES_OFF } from './fixtures.ts';

export const CHILDREN_DIR = path.join(FACES_DIR, 'children');

export interface ChildFace {
  file: string;
  /** The set's label, in years. */
  age: number;
  /** The file as a selfie: its descriptor and estimated age (absent when refused as a selfie). */
  selfie?: { descriptor: number[]; age: number };
  /** Every face found in it as a photo. */
  photo: CachedFace[];
}

export function hasChildren(): boolean {
  return !FIXTURES_OFF && fs.existsSync(path.join(CHILDREN_DIR, 'labels.csv'));
}

export function childrenFile(file: string): string {
  return path.join(CHILDREN_DIR, 'images', file);
}

export async function loadChildren(log: (s: string) => void): Promise<ChildFace[]> {
  const cacheFile = path.join(import.meta.dirname, '.cache', `children-${ANALYSIS_VERSION.replace(/[^\w.-]/g, '_')}.json`);
  if (fs.existsSync(cacheFile)) return JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as ChildFace[];
  const rows = fs.readFileSync(path.join(CHILDREN_DIR, 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const engine = createFaceEngine();
  const queue = new PQueue({ concurrency: engine.threads * 2 });
  log(`  children: analysing ${rows.length} faces`);
  let done = 0;
  const out = await Promise.all(
    rows.map(([file, age]) =>
      queue.add(async (): Promise<ChildFace> => {
        const bytes = fs.readFileSync(childrenFile(file!));
        const entry: ChildFace = { file: file!, age: Number(age), photo: [] };
        try {
          const { face } = await engine.selfie(bytes);
          entry.selfie = { descriptor: face.descriptor, age: face.age ?? NaN };
        } catch {
          // refused as a selfie (no clear face): that person would be asked for another one
        }
        const a = await engine.analyze(bytes, 'photo');
        entry.photo = a.faces.map((f) => ({ descriptor: f.descriptor, width: f.box.width, score: f.score, age: f.age }));
        if (++done % 200 === 0) log(`  children: ${done}/${rows.length}`);
        return entry;
      }),
    ),
  );
  await engine.close();
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(cacheFile, JSON.stringify(out));
  return out;
}

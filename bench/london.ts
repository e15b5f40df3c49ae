// The London volunteers (../shared/faces/london: ordinary adults, CC BY 4.0, attribution in its README):
// descriptors of both photos of each person, as a selfie and as a photo, cached per descriptor model.
import fs from 'node:fs';
import path from 'node:path';
import PQueue from 'p-queue';
import { ANALYSIS_VERSION, createFaceEngine } from '../core/faces/index.ts';
import type { CachedFace } from './crowd.ts';
import { FACES_DIR, FIXTURES_OFF } from './fixtures.ts';

export const LONDON_DIR = path.join(FACES_DIR, 'london');
export const EXPRESSIONS = ['neutral', 'smiling'] as const;
export type Expression = (typeof EXPRESSIONS)[number];

export interface LondonPerson {
  id: string;
  gender: string;
  ethnicity: string;
  /** Per expression: the descriptor of that photo used as a selfie (absent when refused as one)... */
  selfie: Partial<Record<Expression, number[]>>;
  /** ...and its estimated age. */
  selfieAge: Partial<Record<Expression, number | undefined>>;
  /** ...and every face found in it used as a group photo. */
  photo: Record<Expression, CachedFace[]>;
}

export function hasLondon(): boolean {
  return !FIXTURES_OFF && fs.existsSync(path.join(LONDON_DIR, 'people.csv'));
}

export const londonFile = (id: string, e: Expression) => path.join(LONDON_DIR, e, `${id}.jpg`);

export async function loadLondon(log: (s: string) => void): Promise<LondonPerson[]> {
  const cacheFile = path.join(import.meta.dirname, '.cache', `london-${ANALYSIS_VERSION.replace(/[^\w.-]/g, '_')}.json`);
  if (fs.existsSync(cacheFile)) return JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as LondonPerson[];
  const rows = fs.readFileSync(path.join(LONDON_DIR, 'people.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const engine = createFaceEngine();
  const queue = new PQueue({ concurrency: engine.threads * 2 });
  log(`  london: analysing ${rows.length * 2} photos`);
  const people = await Promise.all(
    rows.map(([id, , gender, ethnicity]) =>
      queue.add(async () => {
        const person: LondonPerson = { id: id!, gender: gender!, ethnicity: ethnicity!, selfie: {}, selfieAge: {}, photo: { neutral: [], smiling: [] } };
        for (const e of EXPRESSIONS) {
          const bytes = fs.readFileSync(londonFile(id!, e));
          try {
            const { face } = await engine.selfie(bytes);
            person.selfie[e] = face.descriptor;
            person.selfieAge[e] = face.age;
          } catch {
            // refused as a selfie: that person would be asked for another one
          }
          const a = await engine.analyze(bytes, 'photo');
          person.photo[e] = a.faces.map((f) => ({ descriptor: f.descriptor, width: f.box.width, score: f.score, age: f.age }));
        }
        return person;
      }),
    ),
  );
  await engine.close();
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(cacheFile, JSON.stringify(people));
  return people as LondonPerson[];
}

// Medium tier: real photos through the real engine and the default policy (README, "How matching works").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { Gallery, matchedMembers, matchFaces, policyForGallery } from '../../core/match/index.ts';
import { hasFixtures, loadFixture, read } from '../helpers.ts';

let engine: FaceEngine;
beforeAll(() => {
  engine = createFaceEngine({ threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

async function score(name: 'bbt' | 'knn', selfiesPerMember: number) {
  const fx = loadFixture(name);
  const members = [];
  for (const m of fx.members) {
    const files = fx.selfies[m]!.slice(0, selfiesPerMember);
    const descriptors = [];
    for (const f of files) descriptors.push((await engine.selfie(read(f))).face.descriptor);
    members.push({ id: m, descriptors });
  }
  const gallery = new Gallery(members);
  let tp = 0;
  let fp = 0;
  let expected = 0;
  const wrong: string[] = [];
  for (const [photo, truth] of Object.entries(fx.photos)) {
    const analysis = await engine.analyze(read(photo));
    const got = matchedMembers(matchFaces(analysis.faces, gallery, policyForGallery(gallery)));
    expected += truth.length;
    for (const m of got) {
      if (truth.includes(m)) tp++;
      else {
        fp++;
        wrong.push(`${m} in ${photo}`);
      }
    }
  }
  return { precision: tp / Math.max(1, tp + fp), recall: tp / expected, wrong };
}

describe.skipIf(!hasFixtures('bbt') || !hasFixtures('knn'))('matching the labelled fixtures in ../shared/faces', () => {
  // Recall floors follow the thresholds that hold for ordinary people (README, "Safe for everyone"): bbt's selfies
  // are tight grayscale crops, 0.19-0.59 from their owners' faces in the colour group photos.
  it('bbt, 1 selfie per member: precision 1.00, recall >= 0.6', async () => {
    const r = await score('bbt', 1);
    expect(r.wrong).toEqual([]);
    expect(r.precision).toBe(1);
    expect(r.recall).toBeGreaterThanOrEqual(0.6);
  });

  it('knn, 1 selfie per member: precision 1.00, recall >= 0.95', async () => {
    const r = await score('knn', 1);
    expect(r.wrong).toEqual([]);
    expect(r.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('bbt, 3 selfies per member: precision 1.00, and more of the members found than with one', async () => {
    const one = await score('bbt', 1);
    const r = await score('bbt', 3);
    expect(r.wrong).toEqual([]);
    expect(r.precision).toBe(1);
    expect(r.recall).toBeGreaterThan(one.recall);
  });
});

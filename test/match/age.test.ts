// Children's faces and members are matched with their age band's table (core/match/age.ts); the tables come
// from ../shared/faces/children through `npm run calibrate` and ship in calibration.json.
import { describe, expect, it } from 'vitest';
import { ADULT, AGE_CALIBRATION, bandThreshold, estimatedBand, findUnsureFaces, Gallery, IMPOSTOR_CALIBRATION, matchFaces, memberBand, policyForGallery, thresholdForGroup } from '../../core/match/index.ts';
import { ContactBook } from '../../core/contacts/index.ts';

// Unit vectors at a chosen cosine distance from the first axis, leaning towards `axis`.
const at = (distance: number, axis = 1): number[] => {
  const v = Array.from({ length: 16 }, () => 0);
  v[0] = 1 - distance;
  v[axis] = Math.sqrt(1 - (1 - distance) ** 2);
  return v;
};
const axis = (i: number) => Array.from({ length: 16 }, (_, j) => (j === i ? 1 : 0));
const calib = AGE_CALIBRATION!;
const TODDLER = 1.5;
const ADULT_AGE = 35;

describe('age bands', () => {
  it('ship with the calibration: three children\'s bands, cutoffs that never fall with age, tables never looser than the adults\'', () => {
    expect(calib.bands.map((b) => b.name)).toEqual(['0-4', '5-12', '13-17']);
    for (let i = 1; i < calib.bands.length; i++) expect(calib.bands[i]!.estimateCutoff).toBeGreaterThanOrEqual(calib.bands[i - 1]!.estimateCutoff);
    for (const band of calib.bands) {
      for (const [i, point] of band.table.entries()) expect(point.distance).toBeLessThanOrEqual(IMPOSTOR_CALIBRATION.byReferences['1']![i]!.distance);
    }
  });

  it('read a face as the youngest band its estimate allows; no estimate reads as an adult, a dependent never as one', () => {
    expect(estimatedBand(TODDLER)).toBe(0);
    expect(estimatedBand(ADULT_AGE)).toBe(ADULT);
    expect(estimatedBand(undefined)).toBe(ADULT);
    expect(memberBand([ADULT_AGE, TODDLER], false)).toBe(0);
    expect(memberBand([ADULT_AGE], true)).toBeLessThan(ADULT);
    expect(memberBand([], true)).toBe(0);
    expect(memberBand([null], false)).toBe(ADULT);
  });

  it('toddlers are confirmation-only at every group size: no threshold that finds their photos keeps the bound', () => {
    for (const n of [2, 10, 20, 100]) {
      const t = bandThreshold(0, n, 1, 0.001);
      expect(t.confirmationOnly).toBe(true);
      expect(t.tableThreshold).toBeLessThan(calib.usefulDistance);
      expect(t.askDistance).toBeGreaterThan(t.tableThreshold);
    }
    expect(bandThreshold(ADULT, 10, 1, 0.001).threshold).toBe(thresholdForGroup(10, 1, 0.001));
  });

  it('a toddler member gets no photo automatically, however close; the near one is asked about, a far one not', () => {
    const gallery = new Gallery([
      { id: 'mia', descriptors: [axis(0)], ages: [TODDLER] },
      { id: 'dad', descriptors: [axis(7)], ages: [ADULT_AGE] },
    ]);
    const policy = policyForGallery(gallery);
    const ask = policy.ages!.bands[0]!.askDistance;
    const faces = [{ descriptor: at(0.02), age: TODDLER }, { descriptor: at(0.02), age: ADULT_AGE }, { descriptor: at(Math.min(0.6, ask + 0.05), 2), age: TODDLER }];
    const matches = matchFaces(faces, gallery, policy);
    expect(matches.map((m) => m.kind)).toEqual(['stranger', 'stranger', 'stranger']);
    const unsure = findUnsureFaces(faces, matches, gallery, policy, 0.62);
    expect(unsure.map((u) => [u.faceIndex, u.memberId])).toEqual([[0, 'mia']]);
    // The adult member still gets his photo at once.
    expect(matchFaces([{ descriptor: axis(7), age: ADULT_AGE }], gallery, policy)[0]).toMatchObject({ kind: 'match', memberId: 'dad' });
  });

  it('a child\'s face is judged by the child\'s table even against an adult member', () => {
    const gallery = new Gallery(Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, descriptors: [axis(i === 0 ? 0 : i + 5)], ages: [ADULT_AGE] })));
    const policy = policyForGallery(gallery);
    const d = (policy.threshold + policy.ages!.bands[0]!.tableThreshold) / 2;
    expect(matchFaces([{ descriptor: at(d), age: ADULT_AGE }], gallery, policy)[0]).toMatchObject({ kind: 'match', memberId: 'm0' });
    expect(matchFaces([{ descriptor: at(d), age: TODDLER }], gallery, policy)[0]).toMatchObject({ kind: 'stranger' });
  });

  it('the registration check holds two toddlers to their band\'s table: two different ones are not refused as one, the same picture twice is', async () => {
    const rows: Array<{ id: string; descriptors: number[][]; ages: number[] }> = [];
    const records = {
      list: async () => rows.map((r) => ({ ...r, name: r.id, album: 'http://a', username: r.id, descriptorModel: 'arcface-fr_feature-bgr/1', addedAt: '' })),
      insert: async (_g: string, c: { id: string; descriptors: number[][]; ages?: Array<number | null> }, check: (m: unknown[]) => void) => {
        check(await records.list());
        rows.push({ id: c.id, descriptors: c.descriptors, ages: (c.ages ?? []) as number[] });
      },
    };
    const book = new ContactBook(records as never, {} as never);
    await book.add('g', { name: 'mia', album: 'http://a', username: 'mia', descriptors: [axis(0)], ages: [TODDLER] });
    // Further apart than a toddler pair's table allows, nearer than an adult pair's: two different toddlers.
    const between = (bandThreshold(0, 10, 1, 0.001).tableThreshold + thresholdForGroup(10, 1, 0.001)) / 2;
    await expect(book.add('g', { name: 'leo', album: 'http://a', username: 'leo', descriptors: [at(between)], ages: [TODDLER] })).resolves.toBeDefined();
    await expect(book.add('g', { name: 'mia again', album: 'http://a', username: 'mia2', descriptors: [at(0.001, 3)], ages: [TODDLER] })).rejects.toMatchObject({ code: 'face_already_registered' });
    // Two adults as close as those two toddlers are one face.
    await book.add('g', { name: 'ann', album: 'http://a', username: 'ann', descriptors: [axis(5)], ages: [ADULT_AGE] });
    const near = axis(5).map((x, j) => (j === 5 ? 1 - between : j === 6 ? Math.sqrt(1 - (1 - between) ** 2) : x));
    await expect(book.add('g', { name: 'ann2', album: 'http://a', username: 'ann2', descriptors: [near], ages: [ADULT_AGE] })).rejects.toMatchObject({ code: 'face_already_registered' });
  });
});

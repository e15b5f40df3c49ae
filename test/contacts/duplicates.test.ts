// The registration check ("this face is already registered to ...") must not refuse two different people of a
// look-alike population as one (issue 16): its threshold follows the group's population, and a small group is
// held to a 10-member group's rate until its members can show that population.
import { describe, expect, it } from 'vitest';
import { ContactBook, DUPLICATE_CHECK_MIN_GROUP, duplicateFaceDistance } from '../../core/contacts/book.ts';
import type { FaceEngine } from '../../core/faces/index.ts';
import { thresholdForGroup } from '../../core/match/index.ts';
import { openStore } from '../../core/store.ts';

/** Unit 512-d descriptors: a shared direction plus a private one, so any two are `d` apart (cosine). */
function pair(d: number, first: number, second: number): [number[], number[]] {
  const make = (own: number) => Array.from({ length: 512 }, (_, j) => (j === 0 ? Math.sqrt(1 - d) : j === own ? Math.sqrt(d) : 0));
  return [make(first), make(second)];
}

const noEngine = new Proxy({}, { get: () => { throw new Error('the engine is not needed for descriptors'); } }) as FaceEngine;

describe('the registration check', () => {
  it('is held to a 10-member group\'s threshold in a small group', () => {
    expect(DUPLICATE_CHECK_MIN_GROUP).toBe(10);
    expect(duplicateFaceDistance(DUPLICATE_CHECK_MIN_GROUP)).toBe(thresholdForGroup(10, 1, 0.001));
    expect(thresholdForGroup(2, 1, 0.001)).toBeGreaterThan(thresholdForGroup(10, 1, 0.001));
  });

  it('registers a look-alike second member whose selfie lies between the 2- and the 10-member thresholds, and refuses the same face', async () => {
    const store = await openStore('memory://');
    const book = new ContactBook(store, noEngine);
    const between = (thresholdForGroup(2, 1, 0.001) + thresholdForGroup(10, 1, 0.001)) / 2;
    const [a, b] = pair(between, 1, 2);
    await book.add('g', { name: 'ana', album: 'http://album', username: 'ana', descriptors: [a] });
    await book.add('g', { name: 'bea', album: 'http://album', username: 'bea', descriptors: [b] });
    expect((await book.list('g')).map((c) => c.name)).toEqual(['ana', 'bea']);
    // Ana's face again, 0.02 away (another selfie of her): refused as hers.
    const same = a.map((x, j) => (j === 5 ? 0.2 : x));
    await expect(book.add('g', { name: 'eve', album: 'http://album', username: 'eve', descriptors: [same] })).rejects.toMatchObject({ code: 'face_already_registered', otherMember: 'ana' });
    expect((await book.list('g')).map((c) => c.name)).toEqual(['ana', 'bea']);
    await store.close();
  });
});

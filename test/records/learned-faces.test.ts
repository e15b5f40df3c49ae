// The learned-reference rules of core/records/contacts.ts, on the in-memory database: a face that adds
// nothing is not kept, the cap lets old learned faces go but never a selfie, and "not me" removes the face
// and everything learned through it.
import { afterEach, describe, expect, it } from 'vitest';
import { LEARNING } from '../../core/match/learn.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import type { LearnedFace } from '../../core/records/contacts.ts';

// Unit vectors: axis i, or axis 0 turned towards axis i by a chosen cosine distance.
const DIM = 32;
const axis = (i: number): number[] => Array.from({ length: DIM }, (_, j) => (j === i ? 1 : 0));
const near = (i: number, distance: number) => {
  const v = axis(0);
  v[0] = 1 - distance;
  v[i] = Math.sqrt(1 - (1 - distance) ** 2);
  return v;
};

let records: Records | undefined;
afterEach(async () => {
  await records?.close();
  records = undefined;
});

async function withMember(): Promise<Records> {
  records = await openRecords('memory://');
  await records.contacts.insert('g', { id: 'amy', name: 'amy', album: 'http://album.test', username: 'amy', descriptors: [axis(0)], descriptorModel: 'test', addedAt: new Date(0).toISOString() }, () => {});
  return records;
}
const learned = (sha256: string, descriptor: number[], at: number, cause?: string): LearnedFace => ({ descriptor, age: 30, sha256, source: 'confident', at, ...(cause ? { cause } : {}) });
const rule = { cap: LEARNING.cap, diversity: LEARNING.diversity };
const faces = async (r: Records) => (await r.contacts.list('g'))[0]!;

describe('learned references in the records', () => {
  it('keeps a face that adds something and refuses one within the diversity distance of a kept one', async () => {
    const r = await withMember();
    expect(await r.contacts.learn('g', 'amy', learned('p1', near(1, LEARNING.diversity / 2), 1), rule)).toBe(false);
    expect(await r.contacts.learn('g', 'amy', learned('p2', near(1, LEARNING.diversity * 2), 2), rule)).toBe(true);
    expect(await r.contacts.learn('g', 'amy', learned('p2', near(2, LEARNING.diversity * 3), 3), rule)).toBe(false); // same photo again
    const amy = await faces(r);
    expect(amy.descriptors).toHaveLength(2);
    expect(amy.sources).toEqual(['selfie', 'confident']);
    expect(amy.learnedFrom).toEqual([null, 'p2']);
  });

  it('past the cap lets the oldest learned face go, never the selfie', async () => {
    const r = await withMember();
    for (let i = 1; i <= LEARNING.cap + 3; i++) expect(await r.contacts.learn('g', 'amy', learned(`p${i}`, axis(i), i), rule)).toBe(true);
    const amy = await faces(r);
    expect(amy.sources!.filter((s) => s === 'selfie')).toHaveLength(1);
    expect(amy.descriptors).toHaveLength(1 + LEARNING.cap);
    expect(amy.learnedFrom).not.toContain('p1');
    expect(amy.learnedFrom).toContain(`p${LEARNING.cap + 3}`);
  });

  it('"not me" removes the learned face and every face learned through it, and bumps the group version', async () => {
    const r = await withMember();
    await r.contacts.learn('g', 'amy', learned('p1', axis(1), 1), rule);
    await r.contacts.learn('g', 'amy', learned('p2', axis(2), 2, 'p1'), rule);
    await r.contacts.learn('g', 'amy', learned('p3', axis(3), 3, 'p2'), rule);
    await r.contacts.learn('g', 'amy', learned('p4', axis(4), 4), rule);
    const before = await r.contacts.version('g');
    expect((await r.contacts.forgetLearned('g', 'amy', 'p1')).sort()).toEqual(['p1', 'p2', 'p3']);
    expect((await faces(r)).learnedFrom).toEqual([null, 'p4']);
    expect(await r.contacts.version('g')).toBeGreaterThan(before);
  });

  it('learns nothing for a member who is not in the group', async () => {
    const r = await withMember();
    expect(await r.contacts.learn('g', 'nobody', learned('p1', axis(1), 1), rule)).toBe(false);
    expect(await r.contacts.learn('other', 'amy', learned('p1', axis(1), 1), rule)).toBe(false);
  });
});

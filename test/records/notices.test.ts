// Notice batching on the records (core/records/notices.ts) with a clock the test sets.
import { afterEach, describe, expect, it } from 'vitest';
import { openRecords, type Records } from '../../core/records/index.ts';
import { ALBUM_NEGATIVE_TTL_MS } from '../../core/records/notices.ts';

let clock = 1_000_000;
let records: Records | undefined;
const open = async () => (records = await openRecords('memory://', { now: () => clock }));
afterEach(async () => {
  await records?.close();
  records = undefined;
});
const timing = { delayMs: 180_000, digestIntervalMs: 3_600_000 };
const sighting = async (r: Records, memberId: string, sha: string) =>
  (await r.notices.recordSighting({ group: 'tg:-1', memberId, sha256: sha, kind: 'delivered', descriptor: [1, 0], box: { x: 0, y: 0, width: 1, height: 1 }, distance: 0.3, filename: 'a.jpg', thumb: Buffer.from('x'), createdAt: clock })).sighting.seq;

describe('notice batching', () => {
  it('one job per batch: due a delay after the first photo, then no sooner than an hour after the last notice', async () => {
    const r = await open();
    for (const sha of ['a', 'b', 'c']) {
      expect(await r.notices.addNoticeItem('tg:7', await sighting(r, 'tg:7', sha), 'photo', timing, clock)).toBe(true);
      clock += 10_000;
    }
    const jobs = await r.jobs.list<{ userKey: string; batch: number }>('notices:tg');
    expect(jobs).toHaveLength(1);
    expect(await r.jobs.claim('notices:tg', 'w', 1000, 10)).toEqual([]); // not due yet
    clock = 1_000_000 + 180_000;
    const [job] = await r.jobs.claim<{ userKey: string; batch: number }, never>('notices:tg', 'w', 1000, 10);
    expect(job!.payload).toEqual({ userKey: 'tg:7', batch: 0 });
    const items = await r.notices.takeBatch('tg:7', 0, clock);
    expect(items.map((i) => i.sighting.sha256)).toEqual(['a', 'b', 'c']);
    // A run again after a crash gets the same batch; a photo arriving now starts the next one.
    expect((await r.notices.takeBatch('tg:7', 0, clock)).map((i) => i.sighting.sha256)).toEqual(['a', 'b', 'c']);
    await r.jobs.complete({ id: job!.id }, 'w');
    await r.notices.addNoticeItem('tg:7', await sighting(r, 'tg:7', 'd'), 'photo', timing, clock);
    clock += 3_600_000 - 1;
    expect(await r.jobs.claim('notices:tg', 'w', 1000, 10)).toEqual([]);
    clock += 1;
    const [next] = await r.jobs.claim<{ userKey: string; batch: number }, never>('notices:tg', 'w', 1000, 10);
    expect(next!.payload.batch).toBe(1);
    expect((await r.notices.takeBatch('tg:7', 1, clock)).map((i) => i.sighting.sha256)).toEqual(['d']);
  });

  it('off queues nothing; instant is due at once; a photo is queued once', async () => {
    const r = await open();
    await r.notices.setMode('tg:8', 'off');
    expect(await r.notices.addNoticeItem('tg:8', await sighting(r, 'tg:8', 'a'), 'photo', timing, clock)).toBe(false);
    expect(await r.jobs.list('notices:tg')).toEqual([]);
    await r.notices.setMode('tg:8', 'instant');
    const seq = await sighting(r, 'tg:8', 'b');
    expect(await r.notices.addNoticeItem('tg:8', seq, 'photo', timing, clock)).toBe(true);
    expect(await r.notices.addNoticeItem('tg:8', seq, 'photo', timing, clock)).toBe(false);
    expect(await r.jobs.claim('notices:tg', 'w', 1000, 10)).toHaveLength(1);
  });

  it('an answer counts once; no and not-me make a negative example', async () => {
    const r = await open();
    const seq = await sighting(r, 'tg:9', 'a');
    expect(await r.notices.answer(seq, 'not_me', 'notice')).toBe(true);
    expect(await r.notices.answer(seq, 'not_me', 'notice')).toBe(false);
    expect((await r.notices.negatives(['tg:9'])).get('tg:9')).toEqual([[1, 0]]);
  });

  it("a negative learned from an album's rejected_by_owner counts for a day (the album may have undone it); one given here stays", async () => {
    const r = await open();
    expect(await r.notices.answer(await sighting(r, 'tg:9', 'from-album'), 'not_me', 'album', clock)).toBe(true);
    expect(await r.notices.answer(await sighting(r, 'tg:10', 'from-notice'), 'not_me', 'notice', clock)).toBe(true);
    expect((await r.notices.negatives(['tg:9', 'tg:10'], clock + ALBUM_NEGATIVE_TTL_MS - 1)).size).toBe(2);
    expect([...(await r.notices.negatives(['tg:9', 'tg:10'], clock + ALBUM_NEGATIVE_TTL_MS + 1)).keys()]).toEqual(['tg:10']);
  });
});

describe('what notices keep of a member', () => {
  it('a group shares its members\' negatives; a member who leaves takes their sightings, and their negatives once in no group', async () => {
    const r = await open();
    const contact = (id: string) => ({ id, name: id, album: 'http://a', username: id, descriptors: [[1, 0]], descriptorModel: 'm', addedAt: '' });
    await r.contacts.insert('tg:-1', contact('tg:7'), () => {});
    await r.contacts.insert('tg:-2', contact('tg:7'), () => {});
    const seq = await sighting(r, 'tg:7', 'a');
    await r.notices.answer(seq, 'not_me', 'notice');
    expect((await r.notices.groupNegatives('tg:-1')).get('tg:7')).toEqual([[1, 0]]);
    expect((await r.notices.groupNegatives('tg:-3')).size).toBe(0);
    await r.contacts.remove('tg:-1', 'tg:7');
    await r.notices.forgetMember('tg:-1', 'tg:7');
    expect(await r.notices.sighting(seq)).toBeUndefined();
    expect((await r.notices.negatives(['tg:7'])).size).toBe(1); // still in tg:-2
    await r.contacts.remove('tg:-2', 'tg:7');
    await r.notices.forgetMember('tg:-2', 'tg:7');
    expect((await r.notices.negatives(['tg:7'])).size).toBe(0);
  });
});

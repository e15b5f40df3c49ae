// Durable jobs with leases (core/jobs) on the embedded database, with a clock the test sets.
import { afterEach, describe, expect, it } from 'vitest';
import { openRecords, type Records } from '../../core/records/index.ts';

let clock = 1_000_000;
let records: Records | undefined;
const open = async () => (records = await openRecords('memory://', { now: () => clock }));
afterEach(async () => {
  await records?.close();
  records = undefined;
});

describe('job leases', () => {
  it('gives a job to one worker; another takes it only once the lease ran out, and the first then changes nothing', async () => {
    const { jobs } = await open();
    expect(await jobs.enqueue({ id: 'j1', queue: 'q', kind: 'notice', payload: { n: 1 } })).toBe(true);
    expect(await jobs.enqueue({ id: 'j1', queue: 'q', kind: 'notice', payload: { n: 2 } })).toBe(false);
    const [mine] = await jobs.claim<{ n: number }, never>('q', 'host:1:a', 1000, 10);
    expect(mine).toMatchObject({ id: 'j1', kind: 'notice', payload: { n: 1 }, attempts: 1 });
    expect(await jobs.claim('q', 'host:2:b', 1000, 10)).toEqual([]);
    clock += 500;
    expect(await jobs.extend('j1', 'host:1:a', 1000)).toBe(true);
    clock += 999;
    expect(await jobs.claim('q', 'host:2:b', 1000, 10)).toEqual([]);
    clock += 2;
    const [theirs] = await jobs.claim('q', 'host:2:b', 1000, 10);
    expect(theirs).toMatchObject({ id: 'j1', attempts: 2 });
    expect(await jobs.complete({ id: 'j1' }, 'host:1:a')).toBe(false);
    expect(await jobs.countReady('q')).toBe(1);
    expect(await jobs.complete({ id: 'j1' }, 'host:2:b')).toBe(true);
    expect(await jobs.countReady('q')).toBe(0);
  });

  it('runs a job no earlier than its run-at time, after a retry too; a failed job is kept and never claimed', async () => {
    const { jobs } = await open();
    await jobs.enqueue({ id: 'later', queue: 'q', kind: 'retention', payload: {}, runAt: clock + 60_000 });
    expect(await jobs.claim('q', 'w', 1000, 10)).toEqual([]);
    clock += 60_000;
    expect((await jobs.claim('q', 'w', 1000, 10)).map((j) => j.id)).toEqual(['later']);
    expect(await jobs.retry('later', 'w', clock + 5000, 'album down')).toBe(true);
    expect(await jobs.claim('q', 'w', 1000, 10)).toEqual([]);
    clock += 5000;
    const [again] = await jobs.claim('q', 'w', 1000, 10);
    expect(again).toMatchObject({ attempts: 2, lastError: 'album down' });
    expect(await jobs.fail('later', 'w', 'gave up')).toBe(true);
    clock += 3_600_000;
    expect(await jobs.claim('q', 'w', 1000, 10)).toEqual([]);
    expect(await jobs.countReady('q')).toBe(0);
    expect(await jobs.list('q')).toEqual([expect.objectContaining({ id: 'later', state: 'failed' })]);
  });

  it('runs jobs with one order key one after another, other keys meanwhile', async () => {
    const { jobs } = await open();
    await jobs.enqueue({ id: 'a1', queue: 'q', kind: 'command', payload: {}, orderKey: 'chat-a' });
    await jobs.enqueue({ id: 'a2', queue: 'q', kind: 'share', payload: {}, orderKey: 'chat-a' });
    await jobs.enqueue({ id: 'b1', queue: 'q', kind: 'share', payload: {}, orderKey: 'chat-b' });
    expect((await jobs.claim('q', 'w', 1000, 10)).map((j) => j.id)).toEqual(['a1', 'b1']);
    expect(await jobs.claim('q', 'w', 1000, 10)).toEqual([]);
    await jobs.complete({ id: 'a1' }, 'w');
    expect((await jobs.claim('q', 'w', 1000, 10)).map((j) => j.id)).toEqual(['a2']);
  });

  it('collects parts until quiet; a part added while the job runs makes it run again with that part', async () => {
    const { jobs } = await open();
    const job = { id: 'mg', queue: 'q', kind: 'share', payload: { chatId: 1 } };
    await jobs.addPart({ ...job, runAt: clock + 1000 }, 'm1', { id: 1 });
    clock += 800;
    await jobs.addPart({ ...job, runAt: clock + 1000 }, 'm2', { id: 2 });
    await jobs.addPart({ ...job, runAt: clock + 1000 }, 'm2', { id: 2 });
    clock += 800;
    expect(await jobs.claim('q', 'w', 10_000, 10)).toEqual([]);
    clock += 200;
    const [claimed] = await jobs.claim<unknown, { id: number }>('q', 'w', 10_000, 10);
    expect(claimed!.parts).toEqual([{ id: 1 }, { id: 2 }]);
    await jobs.addPart({ ...job, runAt: clock + 1000 }, 'm3', { id: 3 });
    expect(await jobs.complete({ id: 'mg', partsSeen: claimed!.parts.length }, 'w')).toBe(true);
    const [rerun] = await jobs.claim<unknown, { id: number }>('q', 'w', 10_000, 10);
    expect(rerun!.parts).toEqual([{ id: 3 }]);
    await jobs.complete({ id: 'mg', partsSeen: 1 }, 'w');
    expect(await jobs.countReady('q')).toBe(0);
  });
});

describe('one SQLite connection, many callers at once', () => {
  it('serialises concurrent transactions and keeps plain statements out of them', async () => {
    const { jobs, kv } = await open();
    // Enqueues, claims and plain writes all interleaved on one connection: none may land inside another's transaction.
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => jobs.enqueue({ id: `c${i}`, queue: 'q', kind: 'k', payload: {} })),
      ...Array.from({ length: 20 }, () => jobs.claim('q', 'w', 1000, 3)),
      ...Array.from({ length: 40 }, (_, i) => kv.set(`k${i}`, i)),
    ]);
    const claimed = (await jobs.list<unknown>('q')).filter((j) => j.attempts > 0).length;
    const rest = await jobs.claim('q', 'w2', 1000, 100);
    expect(claimed + rest.length).toBe(40);
    expect(await kv.get('k39')).toBe(39);
  });
});

// Records and jobs on a real PostgreSQL (Debian's package, started here on a free port): the same
// repositories as on SQLite, jobs run by pg-boss with our leases, order keys and parts, and the
// advisory lock that decides which replica polls Telegram.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseLock } from '../../core/jobs/lease-lock.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { waitUntil } from '../processes.ts';
import { skipReason, startPostgres, type TestPostgres } from '../postgres.ts';

const skip = skipReason();
let server: TestPostgres | undefined;
const opened: Records[] = [];
const open = async (url: string) => {
  const records = await openRecords(url, { maintenanceSeconds: 1 });
  opened.push(records);
  return records;
};

beforeAll(async () => {
  if (!skip) server = await startPostgres();
}, 120_000);
afterAll(async () => {
  for (const r of opened) await r.close().catch(() => {});
  await server?.stop();
});

describe.skipIf(!!skip)('records and jobs on PostgreSQL', () => {
  it('migrates once when two processes open one database together, and keeps records as SQLite does', { timeout: 120_000 }, async () => {
    const url = await server!.database();
    const [a, b] = await Promise.all([open(url), open(url)]);
    await a.contacts.insert('g', { id: 'ann', name: 'Ann', album: 'http://a', username: 'ann', descriptors: [[0.1, 0.2]], descriptorModel: 'm', addedAt: 'now' }, () => {});
    expect((await b.contacts.list('g')).map((c) => [c.id, c.descriptors])).toEqual([['ann', [[0.1, 0.2]]]]);
    expect(await b.contacts.version('g')).toBe(1);
    // Two registrations of one face at once: the check inside the transaction lets one through.
    const check = (members: Array<{ id: string }>) => {
      if (members.length > 1) throw new Error('that face is taken');
    };
    const results = await Promise.allSettled(
      [a, b].map((r, i) => r.contacts.insert('g', { id: `m${i}`, name: `M${i}`, album: 'http://a', username: `m${i}`, descriptors: [[1]], descriptorModel: 'm', addedAt: 'now' }, check)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await a.contacts.list('g')).toHaveLength(2);

    expect(await a.kv.setOnce('reply:1')).toBe(true);
    expect(await b.kv.setOnce('reply:1')).toBe(false);
    const account = { username: 'Ann', createdAt: 'now', tokenHash: 'h', descriptorModel: 'm', references: [] };
    expect(await a.albums.createAccount(account)).toBe(true);
    expect(await b.albums.createAccount(account)).toBe(false);
    const photo = (id: string, at: string) => ({ id, ext: 'jpg', mime: 'image/jpeg', bytes: 1, width: 1, height: 1, receivedAt: at, faceBox: { x: 0, y: 0, width: 1, height: 1 }, distance: 0.25 });
    expect((await a.albums.addPhoto('ann', photo('p1', '2026-01-01'))).outcome).toBe('stored');
    expect((await b.albums.addPhoto('ANN', photo('p1', '2026-01-01'))).outcome).toBe('duplicate');
    await a.albums.addPhoto('ann', photo('p2', '2026-01-02'));
    expect((await b.albums.listPhotos('ann', { limit: 1 })).map((p) => [p.id, p.distance])).toEqual([['p2', 0.25]]);
    expect((await b.albums.listPhotos('ann', { cursor: { receivedAt: '2026-01-02', id: 'p2' } })).map((p) => p.id)).toEqual(['p1']);
  });

  it('runs jobs on pg-boss: one holder at a time, owners checked, order keys kept, parts collected', { timeout: 120_000 }, async () => {
    const { jobs } = await open(await server!.database());
    expect(await jobs.enqueue({ id: 'j1', queue: 'q', kind: 'notice', payload: { n: 1 } })).toBe(true);
    expect(await jobs.enqueue({ id: 'j1', queue: 'q', kind: 'notice', payload: { n: 2 } })).toBe(false);
    // Two workers at once: one gets it.
    const both = await Promise.all([jobs.claim<{ n: number }, never>('q', 'w1', 60_000, 10), jobs.claim<{ n: number }, never>('q', 'w2', 60_000, 10)]);
    expect(both.flat().map((j) => j.payload)).toEqual([{ n: 1 }]);
    const [holder, other] = both[0]!.length === 1 ? ['w1', 'w2'] : ['w2', 'w1'];
    expect(await jobs.complete({ id: 'j1' }, 'someone-else')).toBe(false);
    expect(await jobs.extend('j1', 'someone-else', 1000)).toBe(false);
    expect(await jobs.countReady('q')).toBe(1);
    expect(await jobs.retry('j1', other!, Date.now() + 60_000)).toBe(false);
    expect(await jobs.retry('j1', holder!, Date.now() + 60_000, 'album down')).toBe(true);
    expect(await jobs.claim('q', other!, 60_000, 10)).toEqual([]);
    // claimById takes a waiting job at once (a packet tried right after it was queued).
    const byId = await jobs.claimById<{ n: number }, never>('j1', 'w3', 60_000);
    expect(byId?.attempts).toBe(2);
    expect(byId?.lastError).toBe('album down');
    expect(await jobs.claimById('j1', 'w4', 60_000)).toBeUndefined();
    expect(await jobs.fail('j1', 'w3', 'gave up')).toBe(true);
    expect(await jobs.countReady('q')).toBe(0);
    expect(await jobs.list('q')).toEqual([expect.objectContaining({ id: 'j1', state: 'failed', attempts: 2 })]);

    // One chat's jobs one after another, other chats meanwhile.
    await jobs.enqueue({ id: 'a1', queue: 'chat', kind: 'command', payload: {}, orderKey: 'a' });
    await jobs.enqueue({ id: 'a2', queue: 'chat', kind: 'share', payload: {}, orderKey: 'a' });
    await jobs.enqueue({ id: 'b1', queue: 'chat', kind: 'share', payload: {}, orderKey: 'b' });
    expect((await jobs.claim('chat', 'w', 60_000, 10)).map((j) => j.id).sort()).toEqual(['a1', 'b1']);
    expect(await jobs.claim('chat', 'w', 60_000, 10)).toEqual([]);
    expect(await jobs.complete({ id: 'a1' }, 'w')).toBe(true);
    expect((await jobs.claim('chat', 'w', 60_000, 10)).map((j) => j.id)).toEqual(['a2']);

    // A media group: parts collected while it waits; a part added while it runs makes it run again.
    const mg = { id: 'mg', queue: 'parts', kind: 'share', payload: {} };
    await jobs.addPart({ ...mg, runAt: Date.now() + 300 }, 'm1', { n: 1 });
    await jobs.addPart({ ...mg, runAt: Date.now() + 300 }, 'm2', { n: 2 });
    await jobs.addPart({ ...mg, runAt: Date.now() + 300 }, 'm2', { n: 2 });
    let claimed: Awaited<ReturnType<typeof jobs.claim<unknown, { n: number }>>> = [];
    await waitUntil('the group quiet', async () => (claimed = await jobs.claim<unknown, { n: number }>('parts', 'w', 60_000, 10)).length > 0);
    expect(claimed[0]!.parts).toEqual([{ n: 1 }, { n: 2 }]);
    await jobs.addPart({ ...mg, runAt: Date.now() }, 'm3', { n: 3 });
    expect(await jobs.complete({ id: 'mg', partsSeen: 2 }, 'w')).toBe(true);
    await waitUntil('the rerun', async () => (claimed = await jobs.claim<unknown, { n: number }>('parts', 'w', 60_000, 10)).length > 0);
    expect(claimed[0]!.parts).toEqual([{ n: 3 }]);
  });

  it('a job whose holder stopped renewing is taken by another once its lease ran out; the first then changes nothing', { timeout: 120_000 }, async () => {
    const url = await server!.database();
    const [a, b] = [await open(url), await open(url)];
    await a.jobs.enqueue({ id: 'slow', queue: 'q', kind: 'share', payload: {} });
    const [held] = await a.jobs.claim('q', 'remote-host:1:a', 1500, 1);
    expect(held?.id).toBe('slow');
    expect(await b.jobs.claim('q', 'remote-host:2:b', 60_000, 1)).toEqual([]);
    // pg-boss's maintenance (every second here) times the run out; b's next fetch gets it.
    let taken: Array<{ id: string; attempts: number }> = [];
    await waitUntil('the take-over', async () => (taken = await b.jobs.claim('q', 'remote-host:2:b', 60_000, 1)).length > 0, 60_000);
    expect(taken.map((j) => [j.id, j.attempts])).toEqual([['slow', 2]]);
    expect(await a.jobs.complete({ id: 'slow' }, 'remote-host:1:a')).toBe(false);
    expect(await a.jobs.extend('slow', 'remote-host:1:a', 60_000)).toBe(false);
    expect(await b.jobs.complete({ id: 'slow' }, 'remote-host:2:b')).toBe(true);
    expect(await a.jobs.countReady('q')).toBe(0);
  });

  it('one lock holder at a time across connections; a released lock goes to the next', { timeout: 60_000 }, async () => {
    const url = await server!.database();
    const [a, b] = [await open(url), await open(url)];
    const events: string[] = [];
    const lockA = new LeaseLock(a.jobs, 'telegram-polling:1');
    const lockB = new LeaseLock(b.jobs, 'telegram-polling:1');
    lockA.hold({ onAcquired: () => events.push('a'), onLost: () => events.push('a lost') }, 100);
    await waitUntil('a holds it', () => events.includes('a'));
    lockB.hold({ onAcquired: () => events.push('b'), onLost: () => events.push('b lost') }, 100);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(events).toEqual(['a']);
    await lockA.release();
    await waitUntil('b holds it', () => events.includes('b'));
    expect(events).toEqual(['a', 'b']);
    await lockB.release();
  });
});

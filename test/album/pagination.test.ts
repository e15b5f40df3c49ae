// Album listing in pages: the first page keeps the old response shape plus nextCursor; following the
// cursors gives every photo once, newest first; the album page serves the first page and a way on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../album/app.ts';
import { hashToken, newToken } from '../../album/records.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { albumTestConfig, fileTempDir } from './helpers.ts';

const PHOTOS = 250;
const hexId = (i: number) => i.toString(16).padStart(64, '0');

describe('paginated album listing', () => {
  const tmp = fileTempDir('facedrop-pages-');
  let engine: FaceEngine;
  let records: Records;
  let app: FastifyInstance;
  const token = newToken();

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 1 });
    records = await openRecords(`sqlite://${tmp.dir}/store.sqlite`);
    app = await buildApp({ config: albumTestConfig(tmp.dir), records, engine });
    await records.albums.createAccount({ username: 'ann', createdAt: new Date().toISOString(), tokenHash: hashToken(token), descriptorModel: 'm', references: [] });
    // Two photos share each second, so ties are ordered by id across page borders too.
    for (let i = 0; i < PHOTOS; i++) {
      const receivedAt = new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 2) * 1000).toISOString();
      await records.albums.addPhoto('ann', { id: hexId(i), ext: 'jpg', mime: 'image/jpeg', bytes: 10, width: 1, height: 1, receivedAt, faceBox: { x: 0, y: 0, width: 1, height: 1 }, distance: 0.3 });
    }
  });
  afterAll(async () => {
    await app?.close();
    await records?.close();
    await engine?.close();
    tmp.remove();
  });

  const list = async (query = '') => {
    const res = await app.inject({ method: 'GET', url: `/api/albums/${token}${query}` });
    return { status: res.statusCode, body: res.json<{ username: string; photos: Array<{ id: string; receivedAt: string; url: string; thumbnailUrl: string; sha256: string }>; nextCursor: string | null; error?: string }>() };
  };

  it('answers the first page in the old shape plus nextCursor, and the cursors walk every photo once, newest first', async () => {
    const first = await list();
    expect(first.status).toBe(200);
    expect(first.body.username).toBe('ann');
    expect(first.body.photos).toHaveLength(200);
    expect(first.body.photos[0]).toMatchObject({ id: expect.any(String), url: expect.any(String), thumbnailUrl: expect.any(String), sha256: expect.any(String), receivedAt: expect.any(String) });
    expect(first.body.nextCursor).toEqual(expect.any(String));

    const seen = [...first.body.photos];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const next = await list(`?cursor=${encodeURIComponent(cursor)}&limit=7`);
      expect(next.status).toBe(200);
      expect(next.body.photos.length).toBeLessThanOrEqual(7);
      seen.push(...next.body.photos);
      cursor = next.body.nextCursor;
    }
    expect(seen).toHaveLength(PHOTOS);
    expect(new Set(seen.map((p) => p.id)).size).toBe(PHOTOS);
    const order = seen.map((p) => `${p.receivedAt} ${p.id}`);
    const expected = [...order].sort((a, b) => b.slice(0, 24).localeCompare(a.slice(0, 24)) || a.slice(25).localeCompare(b.slice(25)));
    expect(order).toEqual(expected);
  });

  it('refuses a cursor it did not give and a limit out of range', async () => {
    expect((await list('?cursor=not-a-cursor')).body.error).toBe('bad_request');
    expect((await list('?limit=0')).status).toBe(400);
    expect((await list('?limit=100000')).status).toBe(400);
  });

  it('serves the album page with the first photos, the total count and a link to the next page', async () => {
    const res = await app.inject({ method: 'GET', url: `/a/${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.body.match(/<li class="tile"/g)).toHaveLength(120);
    expect(res.body).toContain(`${PHOTOS} photos`);
    const cursor = res.body.match(/data-next-cursor="([^"]+)"/)?.[1];
    expect(cursor).toBeDefined();
    const next = await app.inject({ method: 'GET', url: `/a/${token}?cursor=${cursor!}` });
    expect(next.body.match(/<li class="tile"/g)).toHaveLength(120);
    expect(next.body).not.toContain(`data-id="${hexId(PHOTOS - 1)}"`);
  });
});

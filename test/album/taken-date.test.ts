// Issue 26, item 8 (EXIF date): a phone sends old photos long after they were taken; the album lists and
// groups them by when they were taken (EXIF DateTimeOriginal), by arrival when a photo has no date.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../album/app.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { albumTestConfig, bbt, fileTempDir, postForm, sha256 } from './helpers.ts';

interface Listed {
  photos: Array<{ id: string; receivedAt: string; takenAt?: string }>;
  nextCursor: string | null;
}

describe('photos dated by when they were taken (issue 26)', () => {
  const tmp = fileTempDir('facedrop-taken-');
  let engine: FaceEngine;
  let records: Records;
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 1 });
    records = await openRecords(`sqlite://${path.join(tmp.dir, 'store.sqlite')}`);
    app = await buildApp({ config: albumTestConfig(tmp.dir, { FACE_THREADS: '1' }), records, engine });
  });
  afterAll(async () => {
    await app?.close();
    await records?.close();
    await engine?.close();
    tmp.remove();
  });

  it('lists an old photo sent last under its own day, after a new one; pages follow the same order', async () => {
    const created = await postForm(app, '/api/accounts', { username: 'sheldon' }, [{ field: 'face', bytes: fs.readFileSync(bbt('sheldon/sheldon1.png')) }]);
    const { token } = created.json<{ token: string }>();
    const plain = fs.readFileSync(bbt('group/bbt5.jpg')); // no EXIF: dated by arrival
    const old = await sharp(bbt('group/bbt2.jpg'))
      .withExif({ IFD0: { Make: 'facedrop-test' }, IFD2: { DateTimeOriginal: '2019:07:14 15:30:00', OffsetTimeOriginal: '+02:00' } })
      .jpeg()
      .toBuffer();
    for (const picture of [plain, old]) {
      const r = await postForm(app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: picture }]);
      expect(r.statusCode, r.body).toBe(201);
    }
    const all = (await app.inject({ method: 'GET', url: `/api/albums/${token}` })).json<Listed>();
    expect(all.photos.map((p) => p.id)).toEqual([sha256(plain), sha256(old)]);
    expect(all.photos[1]!.takenAt).toBe('2019-07-14T13:30:00.000Z');
    expect(all.photos[0]!.takenAt).toBeUndefined();
    // The original bytes are served unchanged, EXIF included.
    expect((await app.inject({ method: 'GET', url: `/api/albums/${token}/photos/${sha256(old)}` })).rawPayload.equals(old)).toBe(true);

    const first = (await app.inject({ method: 'GET', url: `/api/albums/${token}?limit=1` })).json<Listed>();
    const second = (await app.inject({ method: 'GET', url: `/api/albums/${token}?limit=1&cursor=${first.nextCursor!}` })).json<Listed>();
    expect([...first.photos, ...second.photos].map((p) => p.id)).toEqual([sha256(plain), sha256(old)]);
    expect(second.nextCursor).toBeNull();

    const page = (await app.inject({ method: 'GET', url: `/a/${token}` })).body;
    expect(page).toContain('<li class="day" data-day="2019-07-14"><h2>Sunday, 14 July 2019</h2></li>');
    expect(page).toContain(`data-taken="2019-07-14T13:30:00.000Z"`);
  });
});

// Issue 26, item 8 (EXIF date): a phone sends old photos long after they were taken; the album lists and
// groups them by when they were taken (EXIF DateTimeOriginal), by arrival when a photo has no date.
import fs from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { albumForSuite, bbt, postForm, sha256 } from './helpers.ts';

interface Listed {
  photos: Array<{ id: string; receivedAt: string; takenAt?: string }>;
  nextCursor: string | null;
}

describe('photos dated by when they were taken (issue 26)', () => {
  const album = albumForSuite('facedrop-taken-');

  it('lists an old photo sent last under its own day, after a new one; pages follow the same order', async () => {
    const created = await postForm(album.app, '/api/accounts', { username: 'sheldon' }, [{ field: 'face', bytes: fs.readFileSync(bbt('sheldon/sheldon1.png')) }]);
    const { token } = created.json<{ token: string }>();
    const plain = fs.readFileSync(bbt('group/bbt5.jpg')); // no EXIF: dated by arrival
    const old = await sharp(bbt('group/bbt2.jpg'))
      .withExif({ IFD0: { Make: 'facedrop-test' }, IFD2: { DateTimeOriginal: '2019:07:14 15:30:00', OffsetTimeOriginal: '+02:00' } })
      .jpeg()
      .toBuffer();
    for (const picture of [plain, old]) {
      const r = await postForm(album.app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: picture }]);
      expect(r.statusCode, r.body).toBe(201);
    }
    const all = (await album.app.inject({ method: 'GET', url: `/api/albums/${token}` })).json<Listed>();
    expect(all.photos.map((p) => p.id)).toEqual([sha256(plain), sha256(old)]);
    expect(all.photos[1]!.takenAt).toBe('2019-07-14T13:30:00.000Z');
    expect(all.photos[0]!.takenAt).toBeUndefined();
    // The original bytes are served unchanged, EXIF included.
    expect((await album.app.inject({ method: 'GET', url: `/api/albums/${token}/photos/${sha256(old)}` })).rawPayload.equals(old)).toBe(true);

    const first = (await album.app.inject({ method: 'GET', url: `/api/albums/${token}?limit=1` })).json<Listed>();
    const second = (await album.app.inject({ method: 'GET', url: `/api/albums/${token}?limit=1&cursor=${first.nextCursor!}` })).json<Listed>();
    expect([...first.photos, ...second.photos].map((p) => p.id)).toEqual([sha256(plain), sha256(old)]);
    expect(second.nextCursor).toBeNull();

    const page = (await album.app.inject({ method: 'GET', url: `/a/${token}` })).body;
    expect(page).toContain('<li class="day" data-day="2019-07-14"><h2>Sunday, 14 July 2019</h2></li>');
    expect(page).toContain(`data-taken="2019-07-14T13:30:00.000Z"`);
  });
});

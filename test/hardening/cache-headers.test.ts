// Issue 23, finding 8: a browser must not keep a photo after it was deleted, marked "not me" or its link
// rotated. Originals and thumbnails are served `private, no-store`: never written to a browser's cache.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../album/app.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { albumTestConfig, bbt, fileTempDir, postForm, waitHealthy } from '../album/helpers.ts';

describe('cache headers of album photos', () => {
  const tmp = fileTempDir('facedrop-cache-');
  let engine: FaceEngine;
  let records: Records;
  let app: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    engine = createFaceEngine({ threads: 2 });
    records = await openRecords(`sqlite://${path.join(tmp.dir, 'store.sqlite')}`);
    app = await buildApp({ config: albumTestConfig(tmp.dir), records, engine });
    await waitHealthy(app);
  });
  afterAll(async () => {
    await app?.close();
    await records?.close();
    await engine?.close();
    tmp.remove();
  });

  it('originals, downloads and thumbnails are private, no-store; after deletion, rotation or "not me" they are 404', async () => {
    const account = await postForm(app, '/api/accounts', { username: 'sheldon' }, [{ field: 'face', bytes: fs.readFileSync(bbt('sheldon/sheldon1.png')), name: 's.png' }]);
    let token = account.json<{ token: string }>().token;
    const ids: string[] = [];
    for (const photo of ['group/bbt2.jpg', 'group/bbt1.jpg', 'group/bbt3.jpg']) {
      const stored = await postForm(app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: fs.readFileSync(bbt(photo)) }]);
      expect(stored.statusCode, photo).toBe(201);
      ids.push(stored.json<{ id: string }>().id);
    }
    const urls = (id: string) => [`/api/albums/${token}/photos/${id}`, `/api/albums/${token}/photos/${id}?download=1`, `/api/albums/${token}/photos/${id}/thumbnail`];
    for (const url of urls(ids[0]!)) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toBe('private, no-store');
      expect(res.headers.etag, url).toBeUndefined();
    }

    // Deleted, "not me", old link: the same URLs answer 404 (nothing cached would have been shown instead).
    const deleted = urls(ids[0]!);
    expect((await app.inject({ method: 'DELETE', url: `/api/albums/${token}/photos/${ids[0]}` })).statusCode).toBe(200);
    const rejected = urls(ids[1]!);
    expect((await app.inject({ method: 'POST', url: `/api/albums/${token}/photos/${ids[1]}/not-me` })).statusCode).toBe(200);
    const oldLink = urls(ids[2]!);
    token = (await app.inject({ method: 'POST', url: `/api/albums/${token}/token` })).json<{ token: string }>().token;
    for (const url of [...deleted, ...rejected, ...oldLink]) expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    expect((await app.inject({ method: 'GET', url: urls(ids[2]!)[0]! })).statusCode).toBe(200);
  });
});

// Issue 23, finding 9: a write that fails half way (a full disk) leaves no file without a record, and files
// no record names (from a failed write or a crash) are removed at the next start. The failure is made by a
// file where the thumbnail folder should be, so the original is written and the thumbnail is not.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../album/app.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { albumFiles, albumTestConfig, bbt, fileTempDir, postForm, sha256, waitHealthy } from '../album/helpers.ts';

describe('failed writes leave nothing behind', () => {
  const tmp = fileTempDir('facedrop-fw-');
  let engine: FaceEngine;
  let records: Records;
  const build = async () => {
    const app = await buildApp({ config: albumTestConfig(tmp.dir), records, engine });
    await waitHealthy(app);
    return app;
  };
  beforeAll(async () => {
    engine = createFaceEngine({ threads: 2 });
    records = await openRecords(`sqlite://${path.join(tmp.dir, 'store.sqlite')}`);
  });
  afterAll(async () => {
    await records?.close();
    await engine?.close();
    tmp.remove();
  });

  it('an upload whose thumbnail cannot be written answers 5xx and leaves no original on disk; orphans are removed at start, fresh and recorded files stay', async () => {
    let app = await build();
    const account = await postForm(app, '/api/accounts', { username: 'sheldon' }, [{ field: 'face', bytes: fs.readFileSync(bbt('sheldon/sheldon1.png')), name: 's.png' }]);
    const token = account.json<{ token: string }>().token;
    const albumDir = path.join(tmp.dir, 'albums', 'sheldon');
    fs.mkdirSync(albumDir, { recursive: true });
    fs.writeFileSync(path.join(albumDir, 'thumbs'), 'not a folder'); // the thumbnail's write fails

    const photo = fs.readFileSync(bbt('group/bbt2.jpg'));
    const failed = await postForm(app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: photo }]);
    expect(failed.statusCode).toBeGreaterThanOrEqual(500);
    expect(albumFiles(tmp.dir)).toEqual(['sheldon/thumbs']);
    expect((await app.inject({ method: 'GET', url: `/api/albums/${token}` })).json<{ photos: unknown[] }>().photos).toEqual([]);

    // The disk has room again: the photo goes in whole.
    fs.rmSync(path.join(albumDir, 'thumbs'));
    const stored = await postForm(app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: photo }]);
    expect(stored.statusCode).toBe(201);
    await app.close();

    // What a crash or an older version left: an original and a thumbnail nobody records, an account folder
    // whose account is gone; and one file written a moment ago (another process finishing an upload).
    const old = new Date(Date.now() - 3600_000);
    const planted = ['sheldon/' + 'a'.repeat(64) + '.jpg', 'sheldon/thumbs/' + 'a'.repeat(64) + '.jpg', 'ghost/' + 'b'.repeat(64) + '.png'];
    for (const f of planted) {
      fs.mkdirSync(path.dirname(path.join(tmp.dir, 'albums', f)), { recursive: true });
      fs.writeFileSync(path.join(tmp.dir, 'albums', f), 'orphan');
      fs.utimesSync(path.join(tmp.dir, 'albums', f), old, old);
    }
    const fresh = 'sheldon/' + 'c'.repeat(64) + '.jpg';
    fs.writeFileSync(path.join(tmp.dir, 'albums', fresh), 'in flight');
    for (const f of albumFiles(tmp.dir)) if (f.includes(sha256(photo))) fs.utimesSync(path.join(tmp.dir, 'albums', f), old, old);

    app = await build();
    const left = albumFiles(tmp.dir);
    for (const f of planted) expect(left, f).not.toContain(f);
    expect(left).toContain(fresh);
    expect(left).toEqual(expect.arrayContaining([`sheldon/${sha256(photo)}.jpg`, `sheldon/thumbs/${sha256(photo)}.jpg`]));
    const id = sha256(photo);
    expect((await app.inject({ method: 'GET', url: `/api/albums/${token}/photos/${id}` })).statusCode).toBe(200);
    await app.close();
  });
});

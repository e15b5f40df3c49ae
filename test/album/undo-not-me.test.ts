// Issue 26, item 3: one "Not me" tap is no longer for ever. The album lists its owner's rejections (API and
// page) and each can be undone; after the undo the same photo of the owner is accepted again.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../album/app.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { albumTestConfig, bbt, fileTempDir, postForm, sha256 } from './helpers.ts';

describe('"not me" with an undo (issue 26)', () => {
  const tmp = fileTempDir('facedrop-undo-not-me-');
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

  it('lists a rejection on the page and in the API, undoes it, and then accepts that face again', async () => {
    const created = await postForm(app, '/api/accounts', { username: 'sheldon' }, [{ field: 'face', bytes: fs.readFileSync(bbt('sheldon/sheldon1.png')) }]);
    expect(created.statusCode, created.body).toBe(201);
    const { token } = created.json<{ token: string }>();
    const api = `/api/albums/${token}`;
    const photo = fs.readFileSync(bbt('group/bbt2.jpg'));
    const upload = () => postForm(app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: photo }]);
    expect((await upload()).statusCode).toBe(201);
    expect((await app.inject({ method: 'GET', url: `${api}/rejections` })).json()).toEqual({ rejections: [] });
    expect((await app.inject({ method: 'GET', url: `/a/${token}` })).body).toMatch(/<section class="rejections" id="rejections" hidden>/);

    expect((await app.inject({ method: 'POST', url: `${api}/photos/${sha256(photo)}/not-me` })).json()).toEqual({ status: 'not_me', id: sha256(photo) });
    expect((await upload()).json()).toMatchObject({ error: 'rejected_by_owner' });

    const listed = (await app.inject({ method: 'GET', url: `${api}/rejections` })).json<{ rejections: Array<{ id: string; rejectedAt: string }> }>();
    expect(listed.rejections.map((r) => r.id)).toEqual([sha256(photo)]);
    expect(Number.isNaN(Date.parse(listed.rejections[0]!.rejectedAt))).toBe(false);
    const page = (await app.inject({ method: 'GET', url: `/a/${token}` })).body;
    expect(page).toMatch(/<section class="rejections" id="rejections">/);
    expect(page).toContain(`<li data-id="${sha256(photo)}">`);
    expect(page).toMatch(/class="button undo-not-me"[^>]*>Undo</);

    expect((await app.inject({ method: 'DELETE', url: `${api}/rejections/${sha256(photo)}` })).json()).toEqual({ status: 'deleted', id: sha256(photo) });
    expect((await app.inject({ method: 'GET', url: `${api}/rejections` })).json()).toEqual({ rejections: [] });
    // The owner's own face again: stored.
    expect((await upload()).json()).toMatchObject({ status: 'stored', id: sha256(photo) });
  });

  it('refuses an undo of nothing, or with a token that opens no album, and changes nothing', async () => {
    const created = await postForm(app, '/api/accounts', { username: 'leonard' }, [{ field: 'face', bytes: fs.readFileSync(bbt('leonard/leonard1.png')) }]);
    const { token } = created.json<{ token: string }>();
    const none = await app.inject({ method: 'DELETE', url: `/api/albums/${token}/rejections/${'0'.repeat(64)}` });
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ error: 'unknown_rejection' });
    expect((await app.inject({ method: 'DELETE', url: `/api/albums/${token}/rejections/not-an-id` })).statusCode).toBe(404);
    const stranger = await app.inject({ method: 'GET', url: '/api/albums/not-a-token/rejections' });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json()).toMatchObject({ error: 'unknown_album' });
  });
});

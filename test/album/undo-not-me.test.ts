// Issue 26, item 3: one "Not me" tap is no longer for ever. The album lists its owner's rejections (API and
// page) and each can be undone; after the undo the same photo of the owner is accepted again.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { albumForSuite, bbt, postForm, sha256 } from './helpers.ts';

describe('"not me" with an undo (issue 26)', () => {
  const album = albumForSuite('facedrop-undo-not-me-');

  it('lists a rejection on the page and in the API, undoes it, and then accepts that face again', async () => {
    const created = await postForm(album.app, '/api/accounts', { username: 'sheldon' }, [{ field: 'face', bytes: fs.readFileSync(bbt('sheldon/sheldon1.png')) }]);
    expect(created.statusCode, created.body).toBe(201);
    const { token } = created.json<{ token: string }>();
    const api = `/api/albums/${token}`;
    const photo = fs.readFileSync(bbt('group/bbt2.jpg'));
    const upload = () => postForm(album.app, '/api/upload', { username: 'sheldon' }, [{ field: 'picture', bytes: photo }]);
    expect((await upload()).statusCode).toBe(201);
    expect((await album.app.inject({ method: 'GET', url: `${api}/rejections` })).json()).toEqual({ rejections: [] });
    expect((await album.app.inject({ method: 'GET', url: `/a/${token}` })).body).toMatch(/<section class="rejections" id="rejections" hidden>/);

    expect((await album.app.inject({ method: 'POST', url: `${api}/photos/${sha256(photo)}/not-me` })).json()).toEqual({ status: 'not_me', id: sha256(photo) });
    expect((await upload()).json()).toMatchObject({ error: 'rejected_by_owner' });

    const listed = (await album.app.inject({ method: 'GET', url: `${api}/rejections` })).json<{ rejections: Array<{ id: string; rejectedAt: string }> }>();
    expect(listed.rejections.map((r) => r.id)).toEqual([sha256(photo)]);
    expect(Number.isNaN(Date.parse(listed.rejections[0]!.rejectedAt))).toBe(false);
    const page = (await album.app.inject({ method: 'GET', url: `/a/${token}` })).body;
    expect(page).toMatch(/<section class="rejections" id="rejections">/);
    expect(page).toContain(`<li data-id="${sha256(photo)}">`);
    expect(page).toMatch(/class="button undo-not-me"[^>]*>Undo</);

    expect((await album.app.inject({ method: 'DELETE', url: `${api}/rejections/${sha256(photo)}` })).json()).toEqual({ status: 'deleted', id: sha256(photo) });
    expect((await album.app.inject({ method: 'GET', url: `${api}/rejections` })).json()).toEqual({ rejections: [] });
    // The owner's own face again: stored.
    expect((await upload()).json()).toMatchObject({ status: 'stored', id: sha256(photo) });
  });

  it('refuses an undo of nothing, or with a token that opens no album, and changes nothing', async () => {
    const created = await postForm(album.app, '/api/accounts', { username: 'leonard' }, [{ field: 'face', bytes: fs.readFileSync(bbt('leonard/leonard1.png')) }]);
    const { token } = created.json<{ token: string }>();
    const none = await album.app.inject({ method: 'DELETE', url: `/api/albums/${token}/rejections/${'0'.repeat(64)}` });
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ error: 'unknown_rejection' });
    expect((await album.app.inject({ method: 'DELETE', url: `/api/albums/${token}/rejections/not-an-id` })).statusCode).toBe(404);
    const stranger = await album.app.inject({ method: 'GET', url: '/api/albums/not-a-token/rejections' });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json()).toMatchObject({ error: 'unknown_album' });
  });
});

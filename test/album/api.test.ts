// Every row of ARCHITECTURE.md's album API table, on real photos (bbt fixtures), a real face engine and real SQLite.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../album/app.ts';
import { startAlbumServer } from '../../album/server.ts';
import { createFaceEngine, DESCRIPTOR_MODEL, type FaceEngine } from '../../core/faces/index.ts';
import { signPacket, uploadPicture } from '../../core/share/album-client.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { demoSamples } from '../helpers.ts';
import { albumFiles, albumTestConfig, bbt, encodeForm, fileTempDir, formOf, postForm, recordingStore, sha256, waitHealthy } from './helpers.ts';


describe('album HTTP API', () => {
  const tmp = fileTempDir('facedrop-album-api-');
  const dataDir = tmp.dir;
  const config = albumTestConfig(dataDir);
  let engine: FaceEngine;
  let store: Records & { writes: string[] };
  let app: Awaited<ReturnType<typeof buildApp>>;
  let token = '';
  let sheldon1: Buffer, bbt2: Buffer, bbt4: Buffer, penny1: Buffer;

  beforeAll(async () => {
    sheldon1 = fs.readFileSync(bbt('sheldon/sheldon1.png'));
    bbt2 = fs.readFileSync(bbt('group/bbt2.jpg'));
    bbt4 = fs.readFileSync(bbt('group/bbt4.jpg'));
    penny1 = fs.readFileSync(bbt('penny/penny1.png'));
    engine = createFaceEngine({ threads: 2 });
    store = recordingStore(await openRecords(`sqlite://${path.join(dataDir, 'store.sqlite')}`));
    app = await buildApp({ config, records: store, engine });
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
    await engine?.close();
    tmp.remove();
  });

  const upload = (username: string, picture: Uint8Array, extra: Record<string, string> = {}, headers: Record<string, string> = {}) =>
    postForm(app, '/api/upload', { username, ...extra }, [{ field: 'picture', bytes: picture }], headers);
  const originals = () => albumFiles(dataDir).filter((f) => /^[^/]+\/[0-9a-f]{64}\.\w+$/.test(f));

  it('GET /healthz answers 200 once the store is open and the face engine has answered', async () => {
    await waitHealthy(app);
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('POST /api/accounts creates an account from a tight selfie crop, keeping its descriptor and not the image', async () => {
    const res = await postForm(app, '/api/accounts', { username: 'sheldon' }, [{ field: 'face', bytes: sheldon1, name: 'sheldon1.png' }]);
    expect(res.statusCode).toBe(201);
    const body = res.json<{ username: string; token: string; albumUrl: string }>();
    token = body.token;
    expect(body.username).toBe('sheldon');
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/); // 24 random bytes = 192 bits
    expect(body.albumUrl).toBe(`http://album.test/a/${token}`);
    const account = await store.albums.account('sheldon');
    expect(account?.references).toHaveLength(1);
    expect(account?.references[0]?.descriptor).toHaveLength(512);
    expect(account?.descriptorModel).toBe(DESCRIPTOR_MODEL);
    expect(JSON.stringify(account)).not.toContain(token); // only its hash is stored
    expect(albumFiles(dataDir)).toEqual([]); // the selfie image is not kept
  });

  it('POST /api/accounts answers 409 for a taken username (any letter case) before any face work', async () => {
    // Proof of "no face work": the engine is never asked (a timing bound would break on a busy machine).
    const selfie = vi.spyOn(engine, 'selfie');
    const analyze = vi.spyOn(engine, 'analyze');
    try {
      for (const username of ['sheldon', 'SHELDON']) {
        const res = await postForm(app, '/api/accounts', { username }, [{ field: 'face', bytes: penny1 }]);
        expect(res.statusCode).toBe(409);
        expect(res.json()).toMatchObject({ error: 'username_taken' });
      }
      expect(selfie).not.toHaveBeenCalled();
      expect(analyze).not.toHaveBeenCalled();
    } finally {
      selfie.mockRestore();
      analyze.mockRestore();
    }
  });

  it('POST /api/accounts answers 422 for a selfie with no face or with several faces, and creates nothing', async () => {
    const writes = store.writes.length;
    const blank = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#7a9cc6' } }).jpeg().toBuffer();
    const none = await postForm(app, '/api/accounts', { username: 'nobody' }, [{ field: 'face', bytes: blank }]);
    expect(none.statusCode).toBe(422);
    expect(none.json()).toMatchObject({ error: 'no_face', message: expect.any(String) });
    const crowd = await sharp(demoSamples[0]!).resize({ width: 640 }).jpeg().toBuffer();
    const group = await postForm(app, '/api/accounts', { username: 'crowd' }, [{ field: 'face', bytes: crowd }]);
    expect(group.statusCode).toBe(422);
    expect(group.json()).toMatchObject({ error: 'several_faces' });
    expect(store.writes.length).toBe(writes);
    expect(await store.albums.account('nobody')).toBeUndefined();
  });

  it('POST /api/upload for an unknown account answers 404 unknown_account and stores nothing', async () => {
    const writes = store.writes.length;
    const res = await upload('leonard', bbt2);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'unknown_account', message: expect.any(String) });
    expect(albumFiles(dataDir)).toEqual([]);
    expect(store.writes.length).toBe(writes);
  });

  it("POST /api/upload of someone else's photo (penny1 to sheldon) answers 422 no_matching_face and stores nothing", async () => {
    const writes = store.writes.length;
    const res = await upload('sheldon', penny1);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ error: 'no_matching_face' });
    expect(albumFiles(dataDir)).toEqual([]);
    expect(store.writes.length).toBe(writes);
  });

  it("POST /api/upload of the owner's group photo answers 201 and stores the original bytes unchanged, a thumbnail and metadata", async () => {
    const res = await upload('sheldon', bbt2, { group: 'Caltech lunch', terminal: 'telegram' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ status: 'stored', id: sha256(bbt2) });
    const id = sha256(bbt2);
    expect(fs.readFileSync(path.join(dataDir, 'albums', 'sheldon', `${id}.jpg`)).equals(bbt2)).toBe(true);
    const thumb = await sharp(path.join(dataDir, 'albums', 'sheldon', 'thumbs', `${id}.jpg`)).metadata();
    expect(thumb.format).toBe('jpeg');
    expect(Math.max(thumb.width!, thumb.height!)).toBeLessThanOrEqual(480);
    const photos = await store.albums.listPhotos('sheldon');
    expect(photos[0]).toMatchObject({ id, group: 'Caltech lunch', terminal: 'telegram', faceBox: expect.any(Object), receivedAt: expect.any(String) });
    expect(albumFiles(dataDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('POST /api/upload of the same photo again answers 200 duplicate, with one copy on disk', async () => {
    const res = await upload('sheldon', bbt2);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'duplicate', id: sha256(bbt2) });
    expect(originals()).toEqual([`sheldon/${sha256(bbt2)}.jpg`]);
  });

  it('GET /api/albums/:token lists photos newest first; url gives the original bytes, thumbnailUrl a JPEG', async () => {
    expect((await upload('sheldon', bbt4)).statusCode).toBe(201);
    const res = await app.inject({ method: 'GET', url: `/api/albums/${token}` });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ username: string; photos: Array<{ id: string; url: string; thumbnailUrl: string; sha256: string; receivedAt: string }> }>();
    expect(body.username).toBe('sheldon');
    expect(body.photos.map((p) => p.sha256)).toEqual([sha256(bbt4), sha256(bbt2)]);
    for (const p of body.photos) expect(Object.keys(p)).toEqual(expect.arrayContaining(['id', 'url', 'thumbnailUrl', 'sha256', 'receivedAt']));
    const original = await app.inject({ method: 'GET', url: body.photos[1]!.url });
    expect(original.statusCode).toBe(200);
    expect(original.headers['content-type']).toBe('image/jpeg');
    expect(original.rawPayload.equals(bbt2)).toBe(true);
    const download = await app.inject({ method: 'GET', url: `${body.photos[1]!.url}?download=1` });
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="facedrop-.*\.jpg"$/);
    const thumb = await app.inject({ method: 'GET', url: body.photos[1]!.thumbnailUrl });
    expect(thumb.statusCode).toBe(200);
    expect((await sharp(thumb.rawPayload).metadata()).format).toBe('jpeg');
  });

  it('GET /api/albums/:token/download streams a zip holding every original byte for byte', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/albums/${token}/download` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    const zip = res.rawPayload;
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    // Entries are stored, not deflated, so each original appears verbatim.
    expect(zip.includes(bbt2)).toBe(true);
    expect(zip.includes(bbt4)).toBe(true);
  });

  it('GET /a/:token serves the album page; an unknown token gets the plain 404 page', async () => {
    const page = await app.inject({ method: 'GET', url: `/a/${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body.match(/class="tile"/g)).toHaveLength(2);
    expect(page.body).toContain(`/api/albums/${token}/photos/${sha256(bbt4)}/thumbnail`);
    const css = await app.inject({ method: 'GET', url: '/assets/album.css' });
    expect(css.statusCode).toBe(200);
    const unknown = await app.inject({ method: 'GET', url: '/a/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('This album link does not work');
    const api404 = await app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(api404.statusCode).toBe(404);
    expect(api404.json()).toMatchObject({ error: 'not_found' });
    expect((await app.inject({ method: 'GET', url: '/nothing-here' })).body).toBe(unknown.body);
    for (const url of ['/assets/..%2Fapp.ts', '/assets/../../config.ts', '/assets/%2e%2e/%2e%2e/package.json']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain('import');
    }
  });

  it('DELETE /api/albums/:token/photos/:id removes the photo, its file and its thumbnail', async () => {
    const id = sha256(bbt4);
    const res = await app.inject({ method: 'DELETE', url: `/api/albums/${token}/photos/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'deleted', id });
    expect(albumFiles(dataDir).some((f) => f.includes(id))).toBe(false);
    const list = (await app.inject({ method: 'GET', url: `/api/albums/${token}` })).json<{ photos: unknown[] }>();
    expect(list.photos).toHaveLength(1);
    expect((await app.inject({ method: 'DELETE', url: `/api/albums/${token}/photos/${id}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/albums/${token}/photos/..%2F..%2Fstore.sqlite` })).statusCode).toBe(404);
  });

  it('an owner adds a reference selfie with POST /api/albums/:token/faces, and may ask to keep its image', async () => {
    const sheldon2 = fs.readFileSync(bbt('sheldon/sheldon2.png'));
    const res = await postForm(app, `/api/albums/${token}/faces`, { keepSelfies: 'true' }, [{ field: 'face', bytes: sheldon2 }]);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ username: 'sheldon', references: 2 });
    const list = (await app.inject({ method: 'GET', url: `/api/albums/${token}/faces` })).json<{ references: Array<{ imageUrl?: string }> }>();
    expect(list.references).toHaveLength(2);
    expect(list.references[0]!.imageUrl).toBeUndefined(); // the first selfie was not kept
    const kept = await app.inject({ method: 'GET', url: list.references[1]!.imageUrl! });
    expect(kept.statusCode).toBe(200);
    expect(kept.rawPayload.equals(sheldon2)).toBe(true);
  });

  it('signed uploads: with UPLOAD_HMAC_SECRET set, only packets signed like core/share signs them pass', async () => {
    const secret = 'a-shared-secret-of-some-length';
    const signed = await buildApp({ config: albumTestConfig(dataDir, { UPLOAD_HMAC_SECRET: secret }), records: store, engine });
    try {
      const send = (username: string, headers: Record<string, string>) =>
        postForm(signed, '/api/upload', { username }, [{ field: 'picture', bytes: bbt2 }], headers);
      const now = Math.floor(Date.now() / 1000);
      for (const headers of [
        {},
        { 'x-facedrop-signature': signPacket('not-the-secret-at-all', 'sheldon', bbt2) },
        { 'x-facedrop-signature': signPacket(secret, 'sheldon', bbt2, now - 3600) },
        { 'x-facedrop-signature': signPacket(secret, 'leonard', bbt2) },
        { 'x-facedrop-signature': 'garbage' },
      ]) {
        const res = await send('sheldon', headers);
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ error: 'bad_signature' });
      }
      const ok = await send('sheldon', { 'x-facedrop-signature': signPacket(secret, 'sheldon', bbt2) });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ status: 'duplicate' });
      // The unsigned app (default: no secret) needs no header.
      expect((await upload('sheldon', bbt2)).statusCode).toBe(200);
    } finally {
      await signed.close();
    }
  });

  it('rate-limits uploads per client address with 429 rate_limited', async () => {
    const limited = await buildApp({ config: albumTestConfig(dataDir, { UPLOAD_RATE_LIMIT: '2' }), records: store, engine });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await postForm(limited, '/api/upload', { username: 'nobody' }, [{ field: 'picture', bytes: bbt2 }])).statusCode);
      expect(codes).toEqual([404, 404, 429]);
      const res = await postForm(limited, '/api/upload', { username: 'nobody' }, [{ field: 'picture', bytes: bbt2 }]);
      expect(res.json()).toMatchObject({ error: 'rate_limited' });
      expect(res.headers['retry-after']).toBeDefined();
      // Another address has its own budget.
      const { payload, headers } = await encodeForm(formOf({ username: 'nobody' }, [{ field: 'picture', bytes: bbt2 }]));
      const other = await limited.inject({ method: 'POST', url: '/api/upload', payload, headers, remoteAddress: '10.0.0.7' });
      expect(other.statusCode).toBe(404);
    } finally {
      await limited.close();
    }
  });

  it('behind a proxy (TRUST_PROXY=true) rate-limits each forwarded client address, not the proxy\'s', async () => {
    const proxied = await buildApp({ config: albumTestConfig(dataDir, { UPLOAD_RATE_LIMIT: '1', TRUST_PROXY: 'true' }), records: store, engine });
    try {
      const from = async (client: string) => {
        const { payload, headers } = await encodeForm(formOf({ username: 'nobody' }, [{ field: 'picture', bytes: bbt2 }]));
        return (await proxied.inject({ method: 'POST', url: '/api/upload', payload, headers: { ...headers, 'x-forwarded-for': client }, remoteAddress: '127.0.0.1' })).statusCode;
      };
      expect([await from('203.0.113.1'), await from('203.0.113.1'), await from('203.0.113.2')]).toEqual([404, 429, 404]);
    } finally {
      await proxied.close();
    }
  });

  it('never writes an album token into its log', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const logged = await buildApp({ config, records: store, engine, logger: { level: 'info', stream: sink } });
    try {
      await logged.inject({ method: 'GET', url: `/a/${token}` });
      await logged.inject({ method: 'GET', url: `/api/albums/${token}` });
      expect(lines.join('')).toContain('/a/[token]');
      expect(lines.join('')).not.toContain(token);
    } finally {
      await logged.close();
    }
  });

  it('listens on a real port (PORT 0) and speaks to the terminal client in core/share', async () => {
    const server = await startAlbumServer(albumTestConfig(dataDir), { records: store, engine });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
      const again = await uploadPicture({ album: server.url, username: 'sheldon', picture: bbt2 });
      expect(again).toEqual({ status: 'duplicate', id: sha256(bbt2) });
      const list = (await (await fetch(`${server.url}/api/albums/${token}`)).json()) as { photos: Array<{ url: string }> };
      const bytes = Buffer.from(await (await fetch(`${server.url}${list.photos[0]!.url}`)).arrayBuffer());
      expect(bytes.equals(bbt2)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('POST /api/albums/:token/token rotates the token: the old link stops working', async () => {
    const res = await app.inject({ method: 'POST', url: `/api/albums/${token}/token` });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ token: string; albumUrl: string }>();
    expect(body.token).not.toBe(token);
    expect(body.albumUrl).toBe(`http://album.test/a/${body.token}`);
    const old = await app.inject({ method: 'GET', url: `/api/albums/${token}` });
    expect(old.statusCode).toBe(404);
    expect(old.json()).toMatchObject({ error: 'unknown_album' });
    expect((await app.inject({ method: 'GET', url: `/a/${token}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/a/${body.token}` })).statusCode).toBe(200);
    token = body.token;
  });

  it('DELETE /api/albums/:token removes the account and everything in it; its link then looks like any unknown link', async () => {
    const unknownPage = await app.inject({ method: 'GET', url: '/a/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' });
    const res = await app.inject({ method: 'DELETE', url: `/api/albums/${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'deleted' });
    expect(fs.existsSync(path.join(dataDir, 'albums', 'sheldon'))).toBe(false);
    expect(await store.albums.account('sheldon')).toBeUndefined();
    expect(await store.albums.listPhotos('sheldon')).toEqual([]);
    const page = await app.inject({ method: 'GET', url: `/a/${token}` });
    expect(page.statusCode).toBe(404);
    expect(page.body).toBe(unknownPage.body);
    expect((await app.inject({ method: 'GET', url: `/api/albums/${token}` })).statusCode).toBe(404);
    const late = await upload('sheldon', bbt2);
    expect(late.statusCode).toBe(404);
    expect(late.json()).toMatchObject({ error: 'unknown_account' });
    expect(albumFiles(dataDir)).toEqual([]);
  });
});

// Hostile and broken uploads: each is a 4xx JSON error, nothing reaches the disk or the store, and the server keeps answering.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../album/app.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { forgedPng } from '../helpers.ts';
import { albumFiles, albumTestConfig, bbt, fileTempDir, postForm, recordingStore, waitHealthy, type FilePart } from './helpers.ts';


const MAX_UPLOAD_BYTES = 400_000;

describe('album server under bad input', () => {
  const tmp = fileTempDir('facedrop-album-bad-');
  const dataDir = tmp.dir;
  let engine: FaceEngine;
  let store: Records & { writes: string[] };
  let app: Awaited<ReturnType<typeof buildApp>>;
  let bbt2: Buffer;
  let selfie: Buffer;
  let writesBefore = 0;

  beforeAll(async () => {
    bbt2 = fs.readFileSync(bbt('group/bbt2.jpg'));
    selfie = fs.readFileSync(bbt('sheldon/sheldon1.png'));
    engine = createFaceEngine({ threads: 2 });
    store = recordingStore(await openRecords(`sqlite://${path.join(dataDir, 'store.sqlite')}`));
    app = await buildApp({ config: albumTestConfig(dataDir, { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) }), records: store, engine });
    await waitHealthy(app);
    // A real account, so that broken pictures get past the account check to the image checks.
    const res = await postForm(app, '/api/accounts', { username: 'sheldon' }, [{ field: 'face', bytes: selfie }]);
    expect(res.statusCode).toBe(201);
    writesBefore = store.writes.length;
  });

  afterEach(async () => {
    // After every bad request: nothing written, and the server still healthy.
    expect(albumFiles(dataDir)).toEqual([]);
    expect(store.writes.slice(writesBefore)).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
    await engine?.close();
    tmp.remove();
  });

  async function expectRefused(files: FilePart[], status: number, error: string, fields: Record<string, string> = { username: 'sheldon' }) {
    const res = await postForm(app, '/api/upload', fields, files);
    expect({ status: res.statusCode, error: res.json<{ error: string }>().error }).toEqual({ status, error });
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json<{ message: string }>().message).toEqual(expect.any(String));
  }
  const picture = (bytes: Uint8Array, name = 'photo.jpg'): FilePart => ({ field: 'picture', bytes, name });

  it('refuses a text file named .jpg: 400 not_an_image (judged by its bytes, not its name)', async () => {
    await expectRefused([picture(Buffer.from('Buy cheap watches at example.com!\n'.repeat(50)), 'advert.jpg')], 400, 'not_an_image');
  });

  it('refuses an SVG (a renderer, not a photo): 400 not_an_image', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><circle cx="50" cy="50" r="40"/></svg>');
    await expectRefused([picture(svg, 'face.png')], 400, 'not_an_image');
  });

  it('refuses a truncated JPEG: 400 not_an_image', async () => {
    await expectRefused([picture(bbt2.subarray(0, Math.floor(bbt2.length / 2)))], 400, 'not_an_image');
  });

  it('refuses an empty (0-byte) file: 400 not_an_image', async () => {
    await expectRefused([picture(Buffer.alloc(0))], 400, 'not_an_image');
  });

  it('refuses a file over MAX_UPLOAD_BYTES: 413 payload_too_large', async () => {
    const big = Buffer.concat([bbt2, Buffer.alloc(MAX_UPLOAD_BYTES)]);
    await expectRefused([picture(big)], 413, 'payload_too_large');
  });

  it('refuses a PNG whose header claims 50000x50000 pixels: 413 image_too_large, from the header alone', async () => {
    // "From the header alone": the face engine never sees it.
    const analyze = vi.spyOn(engine, 'analyze');
    try {
      await expectRefused([picture(await forgedPng(50_000, 50_000), 'bomb.png')], 413, 'image_too_large');
      expect(analyze).not.toHaveBeenCalled();
    } finally {
      analyze.mockRestore();
    }
  });

  it('refuses a real decompression bomb (a 290 kB PNG of 10000x10000 pixels): 413 image_too_large', async () => {
    const bomb = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#000' } }).grayscale().png({ compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(MAX_UPLOAD_BYTES);
    await expectRefused([picture(bomb, 'bomb.png')], 413, 'image_too_large');
  });

  it('refuses path-traversal and look-alike usernames on upload: 400 invalid_username', async () => {
    for (const username of ['../x', '..', '.', '', '../../etc/passwd', 'a/b', 'a\\b', '%2e%2e', 'x'.repeat(65), 'shеldon' /* Cyrillic е */, 'she ldon', 'sheldon\u0000', '\u202esheldon', 'sheldon\n']) {
      const res = await postForm(app, '/api/upload', { username }, [picture(bbt2)]);
      expect({ username, status: res.statusCode, body: res.json() }).toMatchObject({ username, status: 400, body: { error: 'invalid_username' } });
    }
  });

  it('refuses the same usernames on account creation, before any face work: 400 invalid_username', async () => {
    for (const username of ['../x', '..', '.', '', 'a/b', 'x'.repeat(65), 'shеldon', '\u202esheldon']) {
      const res = await postForm(app, '/api/accounts', { username }, [{ field: 'face', bytes: selfie }]);
      expect({ username, status: res.statusCode, error: res.json<{ error: string }>().error }).toEqual({ username, status: 400, error: 'invalid_username' });
    }
    expect(fs.readdirSync(dataDir).filter((f) => !f.startsWith('store.sqlite'))).toEqual([]);
  });

  it('refuses two files in one upload: 413 too_many_files', async () => {
    await expectRefused([picture(bbt2), picture(selfie, 'second.png')], 413, 'too_many_files');
  });

  it('refuses an upload without a picture (400 missing_picture), a file under another name (400) and a non-multipart body (415)', async () => {
    await expectRefused([], 400, 'missing_picture');
    await expectRefused([{ field: 'photo', bytes: bbt2 }], 400, 'bad_request');
    const json = await app.inject({ method: 'POST', url: '/api/upload', payload: { username: 'sheldon', picture: 'aGVsbG8=' } });
    expect(json.statusCode).toBe(415);
    expect(json.json()).toMatchObject({ error: 'not_multipart' });
    const raw = await app.inject({ method: 'POST', url: '/api/upload', payload: bbt2, headers: { 'content-type': 'image/jpeg' } });
    expect(raw.statusCode).toBe(415);
    expect(raw.json()).toMatchObject({ error: 'not_multipart' });
  });

  it('refuses a username over its field size limit and garbage multipart framing with a 4xx', async () => {
    const long = await postForm(app, '/api/upload', { username: 'x'.repeat(5000) }, [picture(bbt2)]);
    expect(long.statusCode).toBeGreaterThanOrEqual(400);
    expect(long.statusCode).toBeLessThan(500);
    const broken = await app.inject({
      method: 'POST',
      url: '/api/upload',
      payload: '--xyz\r\nContent-Disposition: form-data; name="picture"; filename="a.jpg"\r\n\r\nabc',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    });
    expect(broken.statusCode).toBeGreaterThanOrEqual(400);
    expect(broken.statusCode).toBeLessThan(500);
    expect(broken.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  });
});

// The album's public routes under load from one address: concurrent requests are capped (429 with
// Retry-After) while the server stays responsive, and multipart parts are checked as they stream.
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_CONCURRENCY } from '../../album/concurrency.ts';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { albumTestConfig, bbt, fileTempDir, waitHealthy } from './helpers.ts';

let engine: FaceEngine;
let album: AlbumServer;
let temp: { dir: string; remove(): void };
beforeAll(async () => {
  engine = createFaceEngine({ threads: 1 });
  temp = fileTempDir('facedrop-limits-');
  album = await startAlbumServer(albumTestConfig(temp.dir), { engine });
  await waitHealthy(album.app);
});
afterAll(async () => {
  await album.close();
  await engine.close();
  temp.remove();
});

const BOUNDARY = 'facedrop-test-boundary';

interface Held {
  request: http.ClientRequest;
  response: Promise<{ status: number; retryAfter: string | undefined; body: string }>;
}

/** Opens a multipart POST, sends `head`, and keeps the body open (as a slow client does) until destroyed. */
function openUpload(path: string, head: string): Held {
  const url = new URL(path, album.url);
  const request = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'transfer-encoding': 'chunked' } });
  const response = new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body }));
    });
    request.on('error', reject);
  });
  request.write(head);
  return { request, response };
}

const textPart = (name: string, value: string) => `--${BOUNDARY}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const fileHead = (name: string) => `--${BOUNDARY}\r\ncontent-disposition: form-data; name="${name}"; filename="a.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`;

describe('album limits under load', () => {
  it('24 slow account requests from one address hold no slot: complete ones are still served, and those over the cap get 429 with Retry-After', async () => {
    // Issue 23: a slot is taken once the body is in, so bodies that never end block nobody.
    const held = Array.from({ length: 24 }, (_, i) => openUpload('/api/accounts', textPart('username', `flood-${i}`) + fileHead('face')));
    for (const h of held) h.response.catch(() => {}); // hung up at the end
    await new Promise((r) => setTimeout(r, 200));
    const health = await fetch(`${album.url}/healthz`);
    expect(health.status).toBe(200);
    const lone = new FormData();
    lone.set('username', 'after-flood');
    expect((await fetch(`${album.url}/api/accounts`, { method: 'POST', body: lone })).status).toBe(400); // no selfie, but served

    // Complete requests that cost face work: at most ACCOUNT_CONCURRENCY.perAddress at once from one address.
    const selfie = fs.readFileSync(bbt('penny/penny1.png'));
    const burst = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const form = new FormData();
        form.set('username', `burst-${i}`);
        form.append('face', new Blob([selfie]), 'penny.png');
        const response = await fetch(`${album.url}/api/accounts`, { method: 'POST', body: form });
        return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { error?: string } };
      }),
    );
    const refused = burst.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.retryAfter === String(ACCOUNT_CONCURRENCY.retryAfterS) && r.body.error === 'rate_limited')).toBe(true);
    expect(burst.filter((r) => r.status !== 429).every((r) => r.status === 201 || r.status === 409)).toBe(true);
    for (const h of held) h.request.destroy();
  });

  it('refuses a file part with the wrong field name on its header, without waiting for its bytes', async () => {
    // The body never ends: the answer can only come from the part's header.
    const held = openUpload('/api/accounts', textPart('username', 'wrong-field') + fileHead('photo') + 'x'.repeat(64 * 1024));
    const response = await held.response;
    held.request.destroy();
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/Unexpected file field "photo"/) });
  });

  it('cuts a file part at MAX_UPLOAD_BYTES while it streams (413), the body still arriving', async () => {
    const small = fileTempDir('facedrop-limits-small-');
    const server = await startAlbumServer(albumTestConfig(small.dir, { MAX_UPLOAD_BYTES: String(64 * 1024) }), { engine });
    try {
      const url = new URL('/api/upload', server.url);
      const request = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'transfer-encoding': 'chunked' } });
      const status = new Promise<number>((resolve, reject) => {
        request.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)));
        request.on('error', reject);
      });
      request.write(textPart('username', 'someone') + fileHead('picture') + 'x'.repeat(200 * 1024));
      expect(await status).toBe(413);
      request.destroy();
    } finally {
      await server.close();
      small.remove();
    }
  });
});

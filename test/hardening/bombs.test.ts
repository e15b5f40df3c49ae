// Issue 23, finding 6 and must-show 3: decompression bombs. 16 all-zero 8900x8900 PNGs (226 KiB each) sent at
// once to `facedrop serve` are refused, each within 0.5 s, and the server's RSS stays under 600 MB. A smaller
// bomb, under the pixel limit but compressed like no photo is, is refused the same way.
import fs from 'node:fs';
import { once } from 'node:events';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServe, waitUntil } from '../processes.ts';
import { loadPlumbingFixture } from '../helpers.ts';
import { fileTempDir } from '../album/helpers.ts';

/** An RGB PNG of `width` x `height` black pixels, deflated as tightly as zlib can (built row by row: no 237 MB buffer). */
async function zeroPng(width: number, height: number): Promise<Buffer> {
  const deflate = zlib.createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (d: Buffer) => parts.push(d));
  const row = Buffer.alloc(1 + width * 3);
  for (let y = 0; y < height; y++) if (!deflate.write(row)) await once(deflate, 'drain');
  deflate.end();
  await once(deflate, 'end');
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
}

const rssMb = (pid: number) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
};

describe('decompression bombs', () => {
  const bbt = loadPlumbingFixture();
  let serve: Awaited<ReturnType<typeof startServe>>;
  let url: string;
  const temp = fileTempDir('facedrop-bomb-');
  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    serve = await startServe({ DATA_DIR: temp.dir, HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, FACE_THREADS: '2' });
    await waitUntil('the album server healthy', async () => (await fetch(`${url}/healthz`)).status === 200, 60_000);
    const form = new FormData();
    form.set('username', 'target');
    form.append('face', new Blob([fs.readFileSync(bbt.selfies.penny![0]!)]), 'penny.png');
    expect((await fetch(`${url}/api/accounts`, { method: 'POST', body: form })).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await serve?.stop();
    temp.remove();
  });

  const upload = async (png: Buffer) => {
    const form = new FormData();
    form.set('username', 'target');
    form.append('picture', new Blob([new Uint8Array(png)]), 'bomb.png');
    const started = Date.now();
    const response = await fetch(`${url}/api/upload`, { method: 'POST', body: form });
    const body = (await response.json()) as { error?: string };
    return { status: response.status, error: body.error, ms: Date.now() - started };
  };

  it('16 all-zero 8900x8900 PNGs at once: each refused (413 image_too_large) within 0.5 s, server RSS under 600 MB', async () => {
    const bomb = await zeroPng(8900, 8900);
    expect(bomb.length).toBeLessThan(300 * 1024);
    let peak = rssMb(serve.child.pid!);
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(serve.child.pid!))), 20);
    try {
      const results = await Promise.all(Array.from({ length: 16 }, () => upload(bomb)));
      expect(results.map((r) => [r.status, r.error])).toEqual(Array.from({ length: 16 }, () => [413, 'image_too_large']));
      expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(500);
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toBeLessThan(600);
  }, 60_000);

  it('a bomb under the pixel limit (6000x6000, all zero) is refused on its header too; an ordinary photo still passes', async () => {
    const small = await zeroPng(6000, 6000);
    expect(await upload(small)).toMatchObject({ status: 413, error: 'image_too_large' });
    const photo = Object.entries(bbt.photos).find(([, who]) => who.includes('penny'))![0];
    const form = new FormData();
    form.set('username', 'target');
    form.append('picture', new Blob([fs.readFileSync(photo)]), 'group.jpg');
    expect((await fetch(`${url}/api/upload`, { method: 'POST', body: form })).status).toBe(201);
  }, 60_000);
});

// Files posted in a chat are fetched from servers the bots do not control: a body without content-length
// is cut at the limit while it streams, so memory stays bounded whatever the server sends.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Telegram } from 'telegraf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadError, downloadAttachment } from '../../bots/discord/download.ts';
import { BodyTooLargeError, readBoundedBody } from '../../bots/shared/bounded-download.ts';
import { FileTooBigError, MAX_DOWNLOAD_BYTES, BotApi } from '../../bots/telegram/api.ts';

const MiB = 1024 * 1024;
const HUGE = 200 * MiB;
const TOKEN = '123456:TEST-token';

/** Serves HUGE bytes chunked (no content-length) on any GET, honouring backpressure; counts what it sent. */
let server: http.Server;
let base: string;
const sent: number[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === `/bot${TOKEN}/getFile`) {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ ok: true, result: { file_id: 'f', file_unique_id: 'u', file_path: 'photos/huge.jpg' } }));
    }
    const chunk = Buffer.alloc(64 * 1024, 0xab);
    let written = 0;
    const index = sent.push(0) - 1;
    res.writeHead(200, { 'content-type': 'image/jpeg' }); // chunked: no content-length
    const pump = () => {
      while (written < HUGE) {
        written += chunk.length;
        sent[index] = written;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

async function measure(read: () => Promise<unknown>): Promise<{ error: unknown; sentBytes: number; rssGrowth: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const error = await read().then(() => undefined, (e: unknown) => e);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { error, sentBytes: sent.at(-1) ?? 0, rssGrowth: peak - before };
}

describe('bounded downloads (bots/shared)', () => {
  it('cuts a 200 MiB chunked body without content-length at the limit', async () => {
    const { error, sentBytes, rssGrowth } = await measure(async () => readBoundedBody(await fetch(`${base}/any`), 5 * MiB));
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as BodyTooLargeError).bytes).toBeLessThan(6 * MiB);
    // The server could send only what socket buffers hold beyond the limit before the client hung up.
    expect(sentBytes).toBeLessThan(40 * MiB);
    expect(rssGrowth).toBeLessThan(100 * MiB);
  });

  it('Telegram: a file with no size and no content-length is cut at 20 MB (FileTooBigError), memory bounded', async () => {
    const api = new BotApi(new Telegram(TOKEN, { apiRoot: base }), TOKEN, { info() {}, warn() {}, error() {} });
    const { error, sentBytes, rssGrowth } = await measure(() => api.download('f', undefined));
    expect(error).toBeInstanceOf(FileTooBigError);
    expect((error as FileTooBigError).bytes).toBeGreaterThan(MAX_DOWNLOAD_BYTES);
    expect(sentBytes).toBeLessThan(MAX_DOWNLOAD_BYTES + 20 * MiB);
    expect(rssGrowth).toBeLessThan(100 * MiB);
  });

  it('Discord: an attachment with no content-length is cut at maxBytes (DownloadError 413), not retried, memory bounded', async () => {
    const before = sent.length;
    const { error, sentBytes, rssGrowth } = await measure(() => downloadAttachment(`${base}/attachments/1/2/huge.jpg?ex=1&is=2&hm=3`, { maxBytes: 8 * MiB, attempts: 3 }));
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).status).toBe(413);
    expect(sent.length - before).toBe(1);
    expect(sentBytes).toBeLessThan(40 * MiB);
    expect(rssGrowth).toBeLessThan(100 * MiB);
  });

  it('a body under the limit arrives whole and unchanged', async () => {
    const small = http.createServer((_req, res) => res.end(Buffer.from('exactly these bytes')));
    await new Promise<void>((resolve) => small.listen(0, '127.0.0.1', resolve));
    const bytes = await readBoundedBody(await fetch(`http://127.0.0.1:${(small.address() as AddressInfo).port}/`), 19);
    expect(Buffer.from(bytes).toString()).toBe('exactly these bytes');
    await new Promise((resolve) => small.close(resolve));
  });
});

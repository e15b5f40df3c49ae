// Issue 23, finding 2 and must-show 2: slow clients stall nobody. 64 slow connections from 4 loopback
// addresses (127.0.0.2-5) for 60 s, slow bodies and slow headers, while a normal client on 127.0.0.1
// creates 10 accounts and uploads 20 photos: each normal request is answered 2xx within 5 s, and the server
// closes every slow connection itself. Also finding 12: a client that half-closes after sending gets its answer.
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { loadPlumbingFixture } from '../helpers.ts';
import { albumTestConfig, fileTempDir, waitHealthy } from '../album/helpers.ts';

const ATTACK_MS = 60_000;
const ATTACKERS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const PER_ADDRESS = 16;

let engine: FaceEngine;
let album: AlbumServer;
let port: number;
let temp: { dir: string; remove(): void };
beforeAll(async () => {
  engine = createFaceEngine({ threads: 2 });
  temp = fileTempDir('facedrop-slow-');
  // The default per-address rate limit (120/min) stays on: the normal client needs 30 requests.
  album = await startAlbumServer(albumTestConfig(temp.dir, { UPLOAD_RATE_LIMIT: '120' }), { engine });
  port = Number(new URL(album.url).port);
  await waitHealthy(album.app);
});
afterAll(async () => {
  await album?.close();
  await engine?.close();
  temp?.remove();
});

interface Slow {
  kind: 'body' | 'headers' | 'account';
  openedAt: number;
  closedAt?: number;
}

/** One slow connection: a byte every 2 s of an upload's body (or of its headers) until the server closes it. */
function slowConnection(localAddress: string, kind: Slow['kind'], record: Slow[], until: number): Promise<void> {
  return new Promise((resolve) => {
    const entry: Slow = { kind, openedAt: Date.now() };
    record.push(entry);
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearInterval(timer);
      entry.closedAt ??= Date.now();
      socket.destroy();
      resolve();
    };
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', () => {}); // a 408, if any
    socket.on('connect', () => {
      const headers = `POST ${kind === 'account' ? '/api/accounts' : '/api/upload'} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000\r\n\r\n`;
      if (kind !== 'headers') socket.write(headers);
      let sent = 0;
      const text = kind !== 'headers' ? '--x\r\ncontent-disposition: form-data; name="username"\r\n\r\nsomeone' : headers;
      timer = setInterval(() => {
        if (Date.now() > until) return done();
        socket.write(text[sent++ % text.length]!);
      }, 2000);
    });
  });
}

/** Keeps PER_ADDRESS slow connections open from each address until `until`, opening a new one when one is closed. */
async function attack(record: Slow[], until: number): Promise<void> {
  const lanes = ATTACKERS.flatMap((address) =>
    Array.from({ length: PER_ADDRESS }, async (_, i) => {
      while (Date.now() < until) {
        // A quarter stuck in their headers, a quarter in account bodies (as many as the account cap), the rest in upload bodies.
        await slowConnection(address, i % 4 === 0 ? 'headers' : i % 4 === 1 ? 'account' : 'body', record, until);
        await new Promise((r) => setTimeout(r, 100));
      }
    }),
  );
  await Promise.all(lanes);
}

describe('slow clients', () => {
  const bbt = loadPlumbingFixture();

  it(
    'slowloris from 4 addresses for 60 s: 10 accounts and 20 uploads of a normal client are each answered 2xx within 5 s, and every slow connection is closed by the server',
    async () => {
      const record: Slow[] = [];
      const until = Date.now() + ATTACK_MS;
      const attacking = attack(record, until);
      await new Promise((r) => setTimeout(r, 1000)); // all 64 open

      const timed = async (what: string, send: () => Promise<Response>) => {
        const started = Date.now();
        const response = await send();
        await response.arrayBuffer();
        return { what, status: response.status, ms: Date.now() - started };
      };
      const members = ['raj', 'leonard', 'howard', 'sheldon', 'penny', 'amy', 'bernadette', 'stuart'];
      const results: Array<{ what: string; status: number; ms: number }> = [];
      // Spread over the attack, so every request meets it.
      const pause = () => new Promise((r) => setTimeout(r, 1500));
      for (let i = 0; i < 10; i++) {
        const member = members[i % members.length]!;
        const form = new FormData();
        form.set('username', i < members.length ? member : `${member}-${i}`);
        form.append('face', new Blob([fs.readFileSync(bbt.selfies[member]![0]!)]), `${member}.png`);
        results.push(await timed(`account ${i}`, () => fetch(`${album.url}/api/accounts`, { method: 'POST', body: form })));
        await pause();
      }
      const uploads = Object.entries(bbt.photos).flatMap(([file, who]) => who.slice(0, 5).map((member) => ({ file, member })));
      expect(uploads.length).toBeGreaterThanOrEqual(20);
      for (const { file, member } of uploads.slice(0, 20)) {
        const form = new FormData();
        form.set('username', member);
        form.append('picture', new Blob([fs.readFileSync(file)]), 'group.jpg');
        results.push(await timed(`upload ${file} to ${member}`, () => fetch(`${album.url}/api/upload`, { method: 'POST', body: form })));
        await pause();
      }
      await attacking;
      const failed = results.filter((r) => r.status < 200 || r.status > 299 || r.ms > 5000);
      expect(failed).toEqual([]);
      expect(results).toHaveLength(30);

      // The attack was real: 64 at once, and the server (not the attacker) ended them, long before the minute.
      expect(record.length).toBeGreaterThanOrEqual(ATTACKERS.length * PER_ADDRESS);
      const endedByServer = record.filter((s) => s.closedAt !== undefined && s.closedAt < until - 100);
      expect(endedByServer.filter((s) => s.kind === 'headers').length).toBeGreaterThan(0);
      expect(endedByServer.filter((s) => s.kind === 'body').length).toBeGreaterThan(0);
      expect(endedByServer.filter((s) => s.kind === 'account').length).toBeGreaterThan(0);
      const longest = Math.max(...endedByServer.map((s) => s.closedAt! - s.openedAt));
      expect(longest).toBeLessThan(20_000);
    },
    150_000,
  );

  it('a client that half-closes its socket after sending its request still gets the answer', async () => {
    const form = new FormData();
    form.set('username', 'nobody-here');
    form.append('picture', new Blob([fs.readFileSync(Object.keys(bbt.photos)[0]!)]), 'group.jpg');
    const request = new Request('http://x/', { method: 'POST', body: form });
    const body = Buffer.from(await request.arrayBuffer());
    const head = `POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${request.headers.get('content-type')}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => {
        socket.write(head);
        socket.end(body); // FIN after the request: "I have nothing more to send"
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      setTimeout(() => resolve(text), 10_000).unref();
    });
    expect(answer).toMatch(/^HTTP\/1\.1 404/);
    expect(answer).toContain('"unknown_account"');
  });
});

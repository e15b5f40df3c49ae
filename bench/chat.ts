// `npm run bench -- chat`: post-to-album latency in the chat path (issue 24). `facedrop serve` processes with the
// Telegram bot in webhook mode, fed by the tests' fake Bot API (test/fakes); 8 members registered in a group with
// their selfies, then 20 photos posted at once. Latency of a photo: from its post to the moment it is in every
// album it was delivered to (the album's own receivedAt). One replica on the embedded database, then two replicas
// on PostgreSQL (the tests' throw-away server, test/postgres.ts) behind a round-robin proxy as PUBLIC_URL.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { openRecords } from '../core/records/index.ts';
import { FakeTelegramApi, type TgChat, type TgUser } from '../test/fakes/telegram-api.ts';
import { writeDemoBbt } from '../test/demo-fixture.ts';
import { freePort, startServe, waitUntil } from '../test/processes.ts';
import { skipReason, startPostgres } from '../test/postgres.ts';
import { loadFixture } from './fixtures.ts';

const SECRET = 'bench-webhook-secret-0123456789';
const progress = (s: string) => process.stderr.write(`[chat bench] ${s}\n`);
const PHOTOS = 20;

/** A round-robin HTTP proxy: the replicas' album servers behind one PUBLIC_URL, as a load balancer would put them. */
async function roundRobin(ports: number[]): Promise<{ url: string; close(): Promise<void> }> {
  let next = 0;
  const server = http.createServer((req, res) => {
    const port = ports[next++ % ports.length]!;
    const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface Run {
  latencies: number[];
  photosInAlbums: number;
  deliveries: number;
  wallMs: number;
}

async function chatRun(replicas: number, database: { url: string; env: Record<string, string> }, dir: string): Promise<Run> {
  const fixtureRoot = await writeDemoBbt(path.join(dir, 'faces'));
  const bbt = loadFixture('bbt', fixtureRoot);
  const fake = await FakeTelegramApi.start();
  const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  const proxy = replicas > 1 ? await roundRobin(ports) : undefined;
  const publicUrl = proxy?.url ?? `http://127.0.0.1:${ports[0]!}`;
  // The machine's cores split between the replicas: one replica gets both face threads, two get one each.
  const threads = String(Math.max(1, Math.floor(os.availableParallelism() / replicas)));
  const serves = [];
  for (const port of ports) {
    serves.push(
      await startServe({
        ...database.env,
        DATA_DIR: path.join(dir, 'data'),
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        FACE_THREADS: threads,
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/telegram/hook',
        TELEGRAM_WEBHOOK_SECRET: SECRET,
      }),
    );
  }
  let update = 1;
  let turn = 0;
  const post = (body: object) =>
    fetch(`http://127.0.0.1:${ports[turn++ % ports.length]!}/telegram/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify({ update_id: update++, ...body }),
    });
  const records = await openRecords(database.url);
  try {
    progress(`${replicas} replica(s) listening`);
    for (const s of serves) await waitUntil('the webhook bot', () => s.output().includes('takes updates by webhook'));
    progress('webhook bots up');
    const chat: TgChat = { id: -100900, type: 'supergroup', title: 'bench' };
    const poster: TgUser = { id: 9000, is_bot: false, first_name: 'Poster' };
    // The 8 members register with their first selfie, agreeing when asked (not timed).
    const users = bbt.members.map((m, i) => ({ id: 9001 + i, is_bot: false as const, first_name: m, username: m }));
    for (const [i, m] of bbt.members.entries()) {
      const u = users[i]!;
      fake.openedBy.add(u.id);
      const seen = fake.sentTo(u.id).length;
      await post({ message: fake.buildMessage(chat, u, { caption: '/register', photo: { original: fs.readFileSync(bbt.selfies[m]![0]!) } }) });
      const consent = await fake.waitFor(() => fake.sentTo(u.id).slice(seen).find((x) => /^Before I learn/.test(x.text)), 'the consent question', 120_000);
      const data = (consent.params.reply_markup as { inline_keyboard: Array<Array<{ callback_data?: string }>> }).inline_keyboard.flat().find((b) => b.callback_data)!.callback_data!;
      await post({ callback_query: { id: `agree-${i}`, from: u, chat_instance: '1', data, message: { message_id: consent.messageId, date: 0, chat: { id: u.id, type: 'private' }, text: consent.text } } });
      progress(`${m} consents`);
      await waitUntil(`${m} registered`, async () => (await records.contacts.list(`tg:${chat.id}`)).length === i + 1);
    }
    const tokens: string[] = [];
    for (const u of users) tokens.push(await fake.waitFor(() => fake.sentTo(u.id).map((x) => x.text.match(/\/a\/([\w-]+)/)?.[1]).find(Boolean), 'the album link', 60_000));
    // 20 photos: the 5 group photos at 4 sizes each (other bytes, so other photos).
    const groups = Object.keys(bbt.photos);
    const photos = await Promise.all(
      Array.from({ length: PHOTOS }, async (_, k) => {
        const file = groups[k % groups.length]!;
        const { width = 1000 } = await sharp(file).metadata();
        return sharp(file).resize({ width: Math.round(width * (1 - 0.04 * Math.floor(k / groups.length))) }).jpeg({ quality: 90 }).toBuffer();
      }),
    );
    const messages = photos.map((photo) => fake.buildMessage(chat, poster, { photo: { original: photo } }));
    const postedAt = new Map<string, number>();
    const t0 = Date.now();
    // All at once: the updates arrive together, as from a busy group.
    await Promise.all(
      messages.map(async (message, k) => {
        postedAt.set(createHash('sha256').update(photos[k]!).digest('hex'), Date.now());
        const res = await post({ message });
        if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      }),
    );
    await waitUntil('every job done', async () => (await records.jobs.countReady('telegram')) === 0, 600_000);
    await waitUntil('every packet delivered', async () => (await records.packets.pending()).length === 0, 600_000);
    const wallMs = Date.now() - t0;
    // Each photo's arrival in its last album, from the albums' own records.
    const arrived = new Map<string, number>();
    let deliveries = 0;
    for (const token of tokens) {
      const album = (await (await fetch(`${publicUrl}/api/albums/${token}`)).json()) as { photos: Array<{ sha256: string; receivedAt: string }> };
      for (const p of album.photos) {
        if (!postedAt.has(p.sha256)) continue;
        deliveries++;
        arrived.set(p.sha256, Math.max(arrived.get(p.sha256) ?? 0, Date.parse(p.receivedAt)));
      }
    }
    const latencies = [...arrived].map(([sha, at]) => at - postedAt.get(sha)!);
    return { latencies, photosInAlbums: arrived.size, deliveries, wallMs };
  } finally {
    await records.close();
    for (const s of serves) await s.stop();
    await proxy?.close();
    await fake.close();
  }
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
};

export async function chatLatency(log: (s: string) => void): Promise<void> {
  log(`## Chat path: ${PHOTOS} photos posted at once in a Telegram group of 8 members (fake Bot API, webhook), post to photo in every matched album (${os.availableParallelism()} cores)`);
  log('| set-up | photos delivered | deliveries | p50 s | p95 s | max s | all done s |');
  log('|---|---|---|---|---|---|---|');
  const row = (name: string, r: Run) =>
    log(`| ${name} | ${r.photosInAlbums}/${PHOTOS} | ${r.deliveries} | ${(quantile(r.latencies, 0.5) / 1000).toFixed(2)} | ${(quantile(r.latencies, 0.95) / 1000).toFixed(2)} | ${(Math.max(...r.latencies) / 1000).toFixed(2)} | ${(r.wallMs / 1000).toFixed(2)} |`);
  const one = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-bench-chat-'));
  try {
    row('one replica, embedded database (2 face threads)', await chatRun(1, { url: `sqlite://${path.join(one, 'data', 'facedrop.sqlite')}`, env: {} }, one));
  } finally {
    fs.rmSync(one, { recursive: true, force: true });
  }
  const skip = skipReason();
  if (skip) {
    log(`| two replicas on PostgreSQL | skipped: ${skip} | | | | | |`);
  } else {
    const postgres = await startPostgres();
    const two = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-bench-chat-'));
    try {
      const url = await postgres.database();
      row('two replicas, PostgreSQL, round-robin album address (1 face thread each)', await chatRun(2, { url, env: { DATABASE_URL: url } }, two));
    } finally {
      fs.rmSync(two, { recursive: true, force: true });
      await postgres.stop();
    }
  }
  log('');
}

// Telegram webhook mode with two `facedrop serve` replicas on one data folder, records on the embedded
// database or on PostgreSQL (must show 3), updates posted to both, one replica killed with SIGKILL while
// photos are being analysed: every photo reaches the member's album exactly once and no group reply is sent twice.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecords } from '../../core/records/index.ts';
import { getAlbum } from '../../core/share/index.ts';
import { FakeTelegramApi, type TgChat, type TgUser } from '../fakes/telegram-api.ts';
import { demoGroupPhoto, demoSelfie } from '../demo-faces.ts';
import { tempDir } from '../helpers.ts';
import { freePort, startServe, waitUntil } from '../processes.ts';
import { skipReason, startPostgres, type TestPostgres } from '../postgres.ts';

const SECRET = 'webhook-secret-0123456789';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const pgSkip = skipReason();
let postgres: TestPostgres | undefined;
beforeAll(async () => {
  if (!pgSkip) postgres = await startPostgres();
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
});

// On PostgreSQL one replica names the database by STORE_URL, the other by DATABASE_URL: both work.
const engines = [
  { name: 'the embedded database', skip: undefined, database: async (dir: string) => ({ url: `sqlite://${path.join(dir, 'facedrop.sqlite')}`, env: [{}, {}] }) },
  {
    name: 'PostgreSQL',
    skip: pgSkip,
    database: async () => {
      const url = await postgres!.database();
      return { url, env: [{ DATABASE_URL: url }, { STORE_URL: url }] };
    },
  },
];

describe.each(engines)('Telegram by webhook, two replicas on $name', ({ skip, database }) => {
  it.skipIf(!!skip)('a replica killed mid-analysis loses nothing: each photo arrives once, each message gets one reply', { timeout: 600_000 }, async () => {
    const dir = tempDir();
    const db = await database(dir);
    const fake = await FakeTelegramApi.start();
    const ports = [await freePort(), await freePort()];
    const env = (port: number) => ({
      ...db.env[port === ports[0] ? 0 : 1],
      DATA_DIR: dir,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${ports[0]!}`,
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.url,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/telegram/hook',
      TELEGRAM_WEBHOOK_SECRET: SECRET,
    });
    const replicas = [await startServe(env(ports[0]!)), await startServe(env(ports[1]!))];
    let nextUpdate = 1;
    const post = (replica: number, update: object, secret = SECRET) =>
      fetch(`http://127.0.0.1:${ports[replica]!}/telegram/hook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
        body: JSON.stringify({ update_id: nextUpdate++, ...update }),
      });
    try {
      for (const r of replicas) await waitUntil('the webhook bot', () => r.output().includes('takes updates by webhook'));
      expect(fake.ok('setWebhook').map((c) => c.params)).toEqual([
        expect.objectContaining({ url: 'https://bot.example.org/telegram/hook', secret_token: SECRET }),
        expect.objectContaining({ url: 'https://bot.example.org/telegram/hook', secret_token: SECRET }),
      ]);
      expect(fake.ok('getUpdates')).toEqual([]);

      const chat: TgChat = { id: -100500, type: 'supergroup', title: 'party' };
      const ann: TgUser = { id: 5001, is_bot: false, first_name: 'Ann', username: 'ann' };
      const poster: TgUser = { id: 5002, is_bot: false, first_name: 'Kim' };
      fake.openedBy.add(ann.id);
      // No secret, a wrong secret: refused, nothing stored.
      const selfieUpdate = { message: fake.buildMessage(chat, ann, { caption: '/register', photo: { original: await demoSelfie(0) } }) };
      expect((await post(0, selfieUpdate, '')).status).toBe(401);
      expect((await post(1, selfieUpdate, 'wrong-secret-0123456789')).status).toBe(401);
      expect((await post(1, selfieUpdate)).status).toBe(200);
      // Ann agrees (the consent question comes to her private chat first).
      const consent = await fake.waitFor(() => fake.sentTo(ann.id).find((m) => /^Before I learn/.test(m.text)), 'the consent question', 120_000);
      const data = (consent.params.reply_markup as { inline_keyboard: Array<Array<{ callback_data?: string }>> }).inline_keyboard.flat().find((b) => b.callback_data)!.callback_data!;
      const press = { callback_query: { id: 'agree-1', from: ann, chat_instance: '1', data, message: { message_id: consent.messageId, date: 0, chat: { id: ann.id, type: 'private' }, text: consent.text } } };
      expect((await post(0, press)).status).toBe(200);

      const records = await openRecords(db.url);
      try {
        await waitUntil('Ann registered', async () => (await records.contacts.list(`tg:${chat.id}`)).length === 1);
        // The album link follows the registration in the private chat.
        const token = await fake.waitFor(() => fake.sentTo(ann.id).map((m) => m.text.match(/\/a\/([\w-]+)/)?.[1]).find(Boolean), 'the album link', 60_000);

        // Six photos of Ann, posted to both replicas; one replica dies while they are being analysed.
        const photos = await Promise.all([900, 940, 980, 1020, 1060, 1100].map((width) => demoGroupPhoto(0, width)));
        const messages = photos.map((photo) => fake.buildMessage(chat, poster, { photo: { original: photo } }));
        for (const [i, message] of messages.entries()) expect((await post(i % 2, { message })).status).toBe(200);
        await waitUntil('analysis under way', () => fake.ok('getFile').length >= 2);
        await replicas[1]!.stop('SIGKILL');

        await waitUntil('every job done', async () => (await records.jobs.countReady('telegram')) === 0, 300_000);
        await waitUntil('every packet delivered', async () => (await records.packets.pending()).length === 0, 300_000);
        const album = (await getAlbum(`http://127.0.0.1:${ports[0]!}`, token!)).photos.map((p) => p.sha256).sort();
        expect(album).toEqual(photos.map(sha256).sort());
        // One reply per message, none twice.
        const replies = fake.sentTo(chat.id).filter((m) => m.replyTo !== undefined);
        for (const message of messages) expect(replies.filter((r) => r.replyTo === message.message_id)).toHaveLength(1);
      } finally {
        await records.close();
      }
    } finally {
      for (const r of replicas) await r.stop();
      await fake.close();
    }
  });
});

describe.each(engines)('Telegram long polling, two replicas on $name', ({ skip, database }) => {
  it.skipIf(!!skip)('long polling runs in one replica at a time; when it dies, the other takes over', { timeout: 300_000 }, async () => {
    const dir = tempDir();
    const db = await database(dir);
    const fake = await FakeTelegramApi.start();
    const env = async () => ({ ...db.env[0], DATA_DIR: dir, HOST: '127.0.0.1', PORT: String(await freePort()), TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url });
    const replicas = [await startServe(await env()), await startServe(await env())];
    const polling = () => replicas.filter((r) => r.output().includes('is polling for updates'));
    try {
      await waitUntil('one replica polling', () => polling().length === 1);
      await waitUntil('getUpdates held open', () => fake.waitingPolls >= 1);
      // Both are up and one polls; the other waits for the lock (it tries every 2 s).
      await waitUntil('both bots started', () => fake.ok('setMyCommands').length === 2);
      expect(polling()).toHaveLength(1);
      const [first] = polling();
      await first!.stop('SIGKILL');
      const other = replicas.find((r) => r !== first)!;
      await waitUntil('the other replica polling', () => other.output().includes('is polling for updates'));
    } finally {
      for (const r of replicas) await r.stop();
      await fake.close();
    }
  });
});

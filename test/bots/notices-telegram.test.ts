// Private notices through the fake Telegram Bot API (real HTTP) and a real album server: batching, /notify,
// a member who never opened a private chat, and "not me" from a notice's button.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { startTelegramBot, type TelegramBot } from '../../bots/telegram/bot.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import type { Fixture } from '../../bench/fixtures.ts';
import { FakeTelegramApi, type TgChat, type TgUser } from '../fakes/telegram-api.ts';
import { loadPlumbingFixture } from '../helpers.ts';

const read = (p: string) => new Uint8Array(fs.readFileSync(p));
// Long enough that three photos posted one after another (one chat's jobs run in order) are delivered
// before the notice goes, even on a loaded machine.
const NOTICE_DELAY_MS = 30_000;

describe('Telegram private notices', () => {
  const bbt: Fixture = loadPlumbingFixture();
  let dir: string;
  let engine: FaceEngine;
  let album: AlbumServer;
  let fake: FakeTelegramApi;
  let terminal: Terminal;
  let members: Members;
  let bot: TelegramBot;
  let stopConsenting: (() => void) | undefined;
  const errors: string[] = [];
  const log = { info: () => {}, warn: () => {}, error: (o: object | string, m?: string) => errors.push(JSON.stringify([o, m])) };

  const group: TgChat = { id: -100777, type: 'supergroup', title: 'Physics Lab' };
  const user = (name: string, id: number): TgUser => ({ id, is_bot: false, first_name: name, username: name });
  const leonard = user('leonard', 5001);
  const sheldon = user('sheldon', 5002);
  const raj = user('raj', 5003); // never opens a private chat with the bot
  const photo = (name: string) => read(Object.keys(bbt.photos).find((p) => p.endsWith(`/${name}`))!);
  const albumShas = async (userId: number) => {
    const link = await members.link(`tg:${userId}`);
    const body = (await (await fetch(`${album.url}/api/albums/${link!.token!}`)).json()) as { photos: Array<{ sha256: string }> };
    return body.photos.map((p) => p.sha256);
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-notices-'));
    engine = createFaceEngine({ threads: 2 });
    album = await startAlbumServer(loadConfig({ DATA_DIR: path.join(dir, 'album'), HOST: '127.0.0.1', PORT: '0', STORE_URL: `sqlite://${dir}/album.sqlite`, LOG_LEVEL: 'silent' }, { dotenv: false }), { engine });
    fake = await FakeTelegramApi.start();
    const config = loadConfig(
      {
        DATA_DIR: path.join(dir, 'terminal'),
        PORT: '0',
        PUBLIC_URL: album.url,
        STORE_URL: `sqlite://${dir}/terminal.sqlite`,
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        FACE_THREADS: '2',
        LOG_LEVEL: 'silent',
        NOTICE_DELAY_MS: String(NOTICE_DELAY_MS),
      },
      { dotenv: false },
    );
    terminal = await openTerminal(config, { engine });
    members = new Members(terminal, config.PUBLIC_URL);
    bot = await startTelegramBot({ config, terminal, members, log, retry: { baseDelayMs: 200 }, stopGraceMs: 300 });
    fake.openedBy.add(leonard.id);
    fake.openedBy.add(sheldon.id);
    // The members agree when asked (consent itself: telegram-private.test.ts).
    stopConsenting = fake.autoConsent();
  });

  afterAll(async () => {
    stopConsenting?.();
    await bot?.stop();
    await terminal?.close();
    await album?.close();
    await fake?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('[1] three photos in a minute: one private notice with a contact sheet, the count, the group and the album link; /notify off: none; never opened a chat: not messaged, nothing fails', async () => {
    for (const [u, m] of [
      [leonard, 'leonard'],
      [sheldon, 'sheldon'],
      [raj, 'raj'],
    ] as const) {
      const sent = fake.pushMessage(group, u, { caption: '/register', photo: { original: read(bbt.selfies[m]![0]!) } });
      await fake.waitFor(() => fake.sentTo(group.id).find((r) => r.replyTo === sent.message_id && /joined/.test(r.text)), `${m}'s registration`, 60_000);
    }
    const off = fake.pushMessage({ id: sheldon.id, type: 'private' }, sheldon, { text: '/notify off' });
    expect((await fake.waitFor(() => fake.sentTo(sheldon.id).find((r) => r.replyTo === off.message_id), 'the /notify answer')).text).toMatch(/no longer tell you/);

    // bbt1, bbt3 and bbt5 all show leonard, sheldon and raj.
    const posted = ['bbt1.jpg', 'bbt3.jpg', 'bbt5.jpg'].map((name) => fake.pushMessage(group, user('howard', 5009), { photo: { original: photo(name) } }));
    for (const p of posted) await fake.waitFor(() => fake.sentTo(group.id).find((r) => r.replyTo === p.message_id), 'the group reply', 60_000);
    await fake.waitFor(async () => (await albumShas(leonard.id)).length === 3, "leonard's three photos", 60_000);
    expect(await albumShas(sheldon.id)).toHaveLength(3);
    expect(await albumShas(raj.id)).toHaveLength(3);

    const notice = await fake.waitFor(() => fake.photosTo(leonard.id)[0], "leonard's notice", NOTICE_DELAY_MS + 60_000);
    expect(notice.caption).toMatch(/3 new photos of you from Physics Lab/);
    const link = await members.link(`tg:${leonard.id}`);
    expect(notice.caption).toContain(`${album.url}/a/${link!.token!}`);
    // The preview is one picture (a contact sheet drawn with canvas), wider than one thumbnail.
    const sheet = await sharp(notice.photo!).metadata();
    expect(sheet.format).toBe('jpeg');
    expect(sheet.width!).toBeGreaterThan(400);
    expect(notice.buttons.map((b) => b.text)).toEqual(['🙅 Not me: 1', '🙅 Not me: 2', '🙅 Not me: 3']);

    // raj's notice was tried once (403: never opened a chat) and given up quietly; sheldon chose off.
    await fake.waitFor(() => fake.calls.some((c) => c.method === 'sendPhoto' && Number(c.params.chat_id) === raj.id && c.status === 403), "raj's refused notice", 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(fake.photosTo(leonard.id)).toHaveLength(1);
    expect(fake.photosTo(sheldon.id)).toHaveLength(0);
    expect(fake.calls.filter((c) => c.method === 'sendPhoto' && Number(c.params.chat_id) === raj.id)).toHaveLength(1);
    expect((await terminal.records.jobs.list('notices:tg')).filter((j) => j.state === 'failed')).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('[2] "not me" on the notice removes the photo; the same face posted again does not reach that member; others still get it', async () => {
    const notice = fake.photosTo(leonard.id)[0]!;
    const before = await albumShas(leonard.id);
    const button = notice.buttons[0]!;
    const query = fake.pushCallback(leonard, { message_id: 1, chat: { id: leonard.id, type: 'private' } }, button.callback_data!);
    const answered = await fake.waitFor(() => fake.ok('answerCallbackQuery').find((c) => c.params.callback_query_id === query), 'the button answer');
    expect(String(answered.params.text)).toMatch(/Removed from your album/);
    const after = await albumShas(leonard.id);
    expect(after).toHaveLength(2);
    const removed = before.find((s) => !after.includes(s))!;

    // Another member's button is refused.
    const stolen = fake.pushCallback(sheldon, { message_id: 1, chat: { id: sheldon.id, type: 'private' } }, notice.buttons[1]!.callback_data!);
    expect(String((await fake.waitFor(() => fake.ok('answerCallbackQuery').find((c) => c.params.callback_query_id === stolen), 'the refusal')).params.text)).toMatch(/for the member/);
    expect(await albumShas(leonard.id)).toHaveLength(2);

    // The same photo again: leonard is not sent it (the face he rejected), sheldon's and raj's albums keep theirs.
    const name = ['bbt1.jpg', 'bbt3.jpg', 'bbt5.jpg'].find((n) => createHash('sha256').update(photo(n)).digest('hex') === removed)!;
    const again = fake.pushMessage(group, user('howard', 5009), { photo: { original: photo(name) } });
    const reply = await fake.waitFor(() => fake.sentTo(group.id).find((r) => r.replyTo === again.message_id), 'the group reply', 60_000);
    expect(reply.text).not.toMatch(/leonard/);
    expect(reply.text).toMatch(/sheldon/);
    expect(await albumShas(leonard.id)).toEqual(after);
    expect(await albumShas(sheldon.id)).toHaveLength(3);
    expect(await albumShas(raj.id)).toHaveLength(3);
  });
});
